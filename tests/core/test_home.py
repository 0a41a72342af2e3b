import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.registry import home_sections


@pytest.mark.django_db
def test_home_page_shows_navigation_and_a_widget_per_section(client):
    response = client.get(reverse("core:home"))
    content = response.content.decode()
    assert response.status_code == 200
    for section in home_sections():
        assert f'id="section-{section.key}"' in content
        assert str(section.title) in content
    assert reverse("accounts:login") in content
    assert reverse("accounts:register") in content


@pytest.mark.django_db
def test_a_small_table_is_counted_exactly():
    from chat.models import Message
    from core.selectors import count_estimate
    from tests.chat_factories import MessageFactory

    MessageFactory.create_batch(3)
    MessageFactory(is_deleted=True)
    assert count_estimate(Message.objects.filter(is_deleted=False)) == 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the estimate is PostgreSQL's planner's")
@pytest.mark.django_db
def test_a_large_table_is_estimated_without_counting_it(monkeypatch):
    from chat.models import Message
    from core import selectors
    from tests.chat_factories import ChatFactory

    chat = ChatFactory()
    Message.objects.bulk_create(Message(chat=chat, text="hi") for _ in range(2000))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE chat_message")
    monkeypatch.setattr(selectors, "COUNT_ESTIMATE_ABOVE", 1000)
    with CaptureQueriesContext(connection) as captured:
        estimate = selectors.count_estimate(Message.objects.filter(is_deleted=False))
    assert 1500 < estimate < 2500
    assert [query["sql"].split()[0] for query in captured.captured_queries] == ["EXPLAIN"]
