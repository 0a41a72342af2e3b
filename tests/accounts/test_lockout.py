"""Lock-out per account (whichever login was typed), per address across accounts, equal work per path."""

import re

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import services
from accounts.models import User
from core.models import AuditEvent
from tests.accounts.helpers import REGISTRATION, committed
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

WEB_LOGIN = reverse("accounts:login")
API_LOGIN = "/api/auth/login/"
USERNAME_LOGIN = "/api/users/login/"
WRONG = "Wrong$Pass1"


def web_login(client: Client, login: str, password: str = PASSWORD):
    return client.post(WEB_LOGIN, {"login": login, "password": password})


def api_login(client: APIClient, login: str, password: str = PASSWORD):
    return client.post(API_LOGIN, {"login": login, "password": password})


def is_signed_in(client: Client) -> bool:
    return client.get(reverse("accounts:profile")).status_code == 200


def test_five_failures_by_username_lock_the_account_also_for_its_email_and_phone(client, user):
    for _attempt in range(5):
        web_login(client, user.username, WRONG)

    by_email = web_login(client, user.email.upper())
    by_phone = web_login(client, "+7 " + user.phone[2:])

    assert by_email.status_code == by_phone.status_code == 429
    assert not is_signed_in(client)
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {user.username}


def test_failures_with_every_spelling_of_one_account_add_up(client, user):
    for login in (user.username, user.email, user.phone, user.username, user.email.upper()):
        web_login(client, login, WRONG)

    assert web_login(client, user.username).status_code == 429


def test_web_and_both_api_logins_share_one_count(user):
    web, api = Client(), APIClient()
    for _attempt in range(2):
        web_login(web, user.username, WRONG)
    for _attempt in range(2):
        api_login(api, user.email, WRONG)
    api.post(USERNAME_LOGIN, {"username": user.phone, "password": WRONG})

    assert api_login(api, user.username).status_code == 429
    assert api.post(USERNAME_LOGIN, {"username": user.username, "password": PASSWORD}).status_code == 429
    assert web_login(web, user.email).status_code == 429
    assert not is_signed_in(web)


def test_the_lock_is_per_address(client, user):
    for _attempt in range(5):
        web_login(client, user.username, WRONG)

    assert web_login(Client(REMOTE_ADDR="10.0.0.7"), user.email).status_code == 302


def test_an_address_failing_across_many_accounts_is_locked_out_for_every_account(settings, client):
    settings.ACCOUNTS_LOGIN_IP_FAILURE_LIMIT = 8
    victims = UserFactory.create_batch(4)
    for victim in victims:
        for _attempt in range(2):
            web_login(client, victim.username, WRONG)
    fresh = UserFactory()

    web_refused = web_login(client, fresh.username)
    api_refused = api_login(APIClient(), fresh.email)

    assert web_refused.status_code == api_refused.status_code == 429
    assert api_refused.json()["code"] == 429
    assert not is_signed_in(client)
    assert AuditEvent.objects.filter(action="accounts.locked_out").count() == 2
    # Another address is not affected, and below the per-address limit nobody is locked.
    assert web_login(Client(REMOTE_ADDR="10.0.0.8"), fresh.username).status_code == 302


def test_below_the_address_limit_other_accounts_still_log_in(settings, client):
    settings.ACCOUNTS_LOGIN_IP_FAILURE_LIMIT = 8
    for victim in UserFactory.create_batch(3):
        for _attempt in range(2):
            web_login(client, victim.username, WRONG)

    assert web_login(client, UserFactory().username).status_code == 302


def test_unknown_logins_are_counted_too(client, user):
    for _attempt in range(5):
        web_login(client, "ghost@example.com", WRONG)

    assert web_login(client, "GHOST@example.com").status_code == 429
    assert web_login(client, user.username).status_code == 302


class CountingHasher(MD5PasswordHasher):
    """The test hasher, counting how often a password is actually hashed."""

    calls = 0

    def encode(self, password: str, salt: str) -> str:
        CountingHasher.calls += 1
        return super().encode(password, salt)


@pytest.fixture
def counting_hasher(settings):
    settings.PASSWORD_HASHERS = ["tests.accounts.test_lockout.CountingHasher"]
    CountingHasher.calls = 0
    return CountingHasher


def hashes_for(counting_hasher, login: str, password: str) -> int:
    counting_hasher.calls = 0
    api_login(APIClient(REMOTE_ADDR="10.9.9.9"), login, password)
    return counting_hasher.calls


def test_wrong_password_for_an_existing_and_an_unknown_login_hash_exactly_once(counting_hasher):
    person = UserFactory()
    blocked = UserFactory()
    unconfirmed = UserFactory(is_active=False, email_confirmed_at=None)
    with committed():
        services.user_block(user=blocked, reason="spam", until=None, actor=None)

    counts = {
        "unknown": hashes_for(counting_hasher, "nobody", WRONG),
        "existing, wrong": hashes_for(counting_hasher, person.username, WRONG),
        "blocked, right": hashes_for(counting_hasher, blocked.username, PASSWORD),
        "unconfirmed, right": hashes_for(counting_hasher, unconfirmed.email, PASSWORD),
        "existing, right": hashes_for(counting_hasher, person.email, PASSWORD),
    }

    assert counts == dict.fromkeys(counts, 1)


def test_the_confirm_page_looks_the_same_for_a_pending_and_an_unknown_email(client):
    data = {**REGISTRATION}
    data.pop("password_confirm")
    with committed():
        services.user_register(**data)
    pending_email = "maria@example.com"
    assert User.objects.filter(email__iexact=pending_email, is_active=False).exists()

    pending = client.get(reverse("accounts:confirm"), {"email": pending_email})
    unknown = client.get(reverse("accounts:confirm"), {"email": "nobody@example.com"})

    assert pending.context["cooldown"] == unknown.context["cooldown"] == 0
    assert normalised(pending, pending_email) == normalised(unknown, "nobody@example.com")


def normalised(response, email: str) -> str:
    """The page without the email asked for and the per-response CSRF token."""
    content = response.content.decode().replace(email, "EMAIL").replace(email.replace("@", "%40"), "EMAIL")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", content)


def test_the_registering_browser_is_told_the_cooldown(client, mailoutbox):
    with committed():
        response = client.post(reverse("accounts:register"), REGISTRATION, follow=True)

    assert response.context["cooldown"] > 0
    assert len(mailoutbox) == 1
