"""The shop newsletter's unsubscribe page: the same link-scanner-safe page as the mailings'
(GET asks, the button unsubscribes, an undo subscribes again; RFC 8058 one-click POST)."""

import pytest
from django.test import Client as BrowserClient
from django.urls import reverse

from core.models import AuditEvent
from shop import newsletter, services
from tests.factories import UserFactory


@pytest.fixture
def reader(db):
    return UserFactory(newsletter=True)


@pytest.fixture
def browser() -> BrowserClient:
    return BrowserClient(enforce_csrf_checks=True)


def _path(reader) -> str:
    return reverse("shop:newsletter-unsubscribe", args=[newsletter.unsubscribe_token(user=reader)])


def _newsletter(reader) -> bool:
    reader.refresh_from_db()
    return reader.newsletter


def test_opening_the_link_only_asks(reader, browser):
    """A link scanner that opens (or HEADs) the link turns nothing off."""
    responses = [browser.get(_path(reader)), browser.head(_path(reader))]

    assert [response.status_code for response in responses] == [200, 200]
    content = responses[0].content.decode()
    assert "Receive no more shop newsletters?" in content and 'id="unsubscribe-confirm"' in content
    assert _newsletter(reader) is True
    assert not AuditEvent.objects.filter(action="shop.newsletter_unsubscribed").exists()


def test_confirm_then_undo_with_the_same_link(reader, browser):
    path = _path(reader)
    browser.get(path)
    token = browser.cookies["csrftoken"].value

    done = browser.post(path, {"action": "unsubscribe", "csrfmiddlewaretoken": token})
    assert done.status_code == 200 and 'id="unsubscribe-undo"' in done.content.decode()
    assert _newsletter(reader) is False

    undone = browser.post(path, {"action": "resubscribe", "csrfmiddlewaretoken": token})
    assert undone.status_code == 200
    assert "You are subscribed to the shop newsletter again" in undone.content.decode()
    assert _newsletter(reader) is True
    assert AuditEvent.objects.filter(action="shop.newsletter_resubscribed", target_id=str(reader.pk)).count() == 1


@pytest.mark.parametrize("action", ["unsubscribe", "resubscribe"])
def test_the_buttons_without_the_csrf_token_change_nothing(reader, browser, action):
    if action == "resubscribe":
        services.newsletter_unsubscribe(user=reader)
    before = _newsletter(reader)

    response = browser.post(_path(reader), {"action": action})

    assert response.status_code == 403
    assert _newsletter(reader) is before


def test_the_mail_clients_one_click_post_unsubscribes_at_once(reader, browser):
    response = browser.post(
        _path(reader), "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200
    assert _newsletter(reader) is False


def test_resubscribe_service_reports_whether_anything_changed(reader):
    services.newsletter_unsubscribe(user=reader)

    assert services.newsletter_resubscribe(user=reader) is True
    assert services.newsletter_resubscribe(user=reader) is False
    assert _newsletter(reader) is True
