"""The login page says why a visitor was sent there, naming the section they wanted."""

import pytest
from django.urls import reverse

from core.sections import Section

pytestmark = pytest.mark.django_db

GARDEN = Section("garden", "Garden", "Seeds and tools.", url_name="accounts:devices")


def reason_on(client, url: str) -> str | None:
    response = client.get(url, follow=True)
    assert response.request["PATH_INFO"] == reverse("accounts:login")
    return response.context["reason"] or None


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("/shop/", "Log in to see the shop."),
        ("/chat/", "Log in to see your chats."),
        ("/mailings/clients/", "Log in to see your mailings."),
        ("/accounts/profile/", "Log in to continue."),
    ],
)
def test_a_protected_page_sends_an_anonymous_visitor_to_log_in_with_the_reason(client, url, reason):
    response = client.get(url)
    assert response.status_code == 302

    login_page = client.get(response["Location"])

    assert login_page.context["reason"] == reason
    assert f'id="login-reason">{reason}</div>' in login_page.content.decode()


def test_a_section_without_its_own_wording_is_named_by_its_title(client, settings):
    settings.HOME_SECTIONS = [*settings.HOME_SECTIONS, "tests.accounts.test_login_reason.GARDEN"]

    response = client.get(f"{reverse('accounts:login')}?next={reverse('accounts:devices')}")

    assert response.context["reason"] == "Log in to open the “Garden” section."


@pytest.mark.parametrize("next_url", ["https://evil.example.com/shop/", "//evil.example.com/shop/", ""])
def test_no_reason_without_a_safe_local_next(client, next_url):
    response = client.get(reverse("accounts:login"), {"next": next_url} if next_url else {})

    assert response.context["reason"] == ""
    assert 'id="login-reason"' not in response.content.decode()


def test_the_reason_stays_after_a_failed_try_and_the_login_goes_on_to_next(client, user, password):
    login = reverse("accounts:login")
    failed = client.post(login, {"login": user.username, "password": "Wrong$1", "next": "/shop/"})
    assert failed.context["reason"] == "Log in to see the shop."

    response = client.post(reverse("accounts:login"), {"login": user.username, "password": password, "next": "/shop/"})

    assert response["Location"] == "/shop/"


def test_the_reason_is_translated(client):
    response = client.get(reverse("accounts:login"), {"next": "/shop/"}, HTTP_ACCEPT_LANGUAGE="ru")

    assert response.context["reason"] == "Войдите, чтобы увидеть магазин."
