"""The SMTP sink (``tests.smtp_sink``) for the delivery tests: a real server that records what arrives."""

from collections.abc import Iterator

import pytest
from pytest_django import Settings

from tests.smtp_sink import SinkHandler, smtp_server_running, smtp_settings_use


@pytest.fixture
def smtp_sink(settings: Settings) -> Iterator[SinkHandler]:
    """Start the sink and point Django's SMTP backend at it (pytest-django would force locmem)."""
    handler = SinkHandler()
    with smtp_server_running(handler) as port:
        smtp_settings_use(settings, port)
        yield handler
