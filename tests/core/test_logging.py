import logging


def test_django_log_lines_reach_the_console_once():
    django_logger = logging.getLogger("django")

    assert django_logger.handlers == []
    assert django_logger.propagate is True
    assert logging.getLogger().handlers, "the root handler prints them"
