"""A confirmed email signs the new user in and takes them home, within the session rules."""

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import User, UserSession
from core.models import AuditEvent
from tests.accounts.helpers import REGISTRATION, code_from_outbox, committed

pytestmark = pytest.mark.django_db


def register() -> User:
    data: dict[str, Any] = {**REGISTRATION}
    data.pop("password_confirm")
    with committed():
        return services.user_register(**data)


def test_the_right_code_signs_in_and_lands_on_the_home_page_with_a_welcome(client, mailoutbox):
    user = register()

    response = client.post(reverse("accounts:confirm"), {"email": "maria@example.com", "code": code_from_outbox()})

    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")
    assert [str(message) for message in get_messages(response.wsgi_request)] == [
        "Welcome to Agora, Maria! Your email is confirmed."
    ]
    home = client.get(reverse("core:home"))
    assert home.context["user"] == user
    assert UserSession.objects.filter(user=user, kind=UserSession.Kind.WEB).count() == 1
    assert AuditEvent.objects.filter(action="accounts.login", actor=user).exists()


def test_a_wrong_code_signs_nobody_in(client, mailoutbox):
    register()
    right = code_from_outbox()
    wrong = "000000" if right != "000000" else "111111"

    response = client.post(reverse("accounts:confirm"), {"email": "maria@example.com", "code": wrong})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert not UserSession.objects.exists()


def test_signing_in_by_confirmation_respects_the_device_cap(settings, mailoutbox):
    settings.ACCOUNTS_MAX_SESSIONS = 1
    user = register()
    # One browser of this account is signed in already (the cap counts every device).
    User.objects.filter(pk=user.pk).update(is_active=True)
    other = Client()
    other.post(reverse("accounts:login"), {"login": "maria", "password": REGISTRATION["password"]})
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert UserSession.objects.filter(user=user).count() == 1

    Client().post(reverse("accounts:confirm"), {"email": "maria@example.com", "code": code_from_outbox()})

    assert UserSession.objects.filter(user=user).count() == 1
    assert other.get(reverse("accounts:profile")).status_code == 302


def test_an_account_blocked_before_its_confirmation_is_confirmed_but_not_signed_in(client, mailoutbox):
    user = register()
    services.user_block(user=user, reason="Spam", until=timezone.now() + timedelta(days=1), actor=None)

    response = client.post(reverse("accounts:confirm"), {"email": "maria@example.com", "code": code_from_outbox()})

    assert response["Location"] == reverse("accounts:login")
    assert "_auth_user_id" not in client.session
    user.refresh_from_db()
    assert user.is_active


def test_the_emailed_link_then_confirm_signs_in_too(client, mailoutbox):
    register()
    link = next(line for line in mailoutbox[0].body.splitlines() if "/accounts/confirm/" in line)
    page = client.get(link[link.index("/accounts/confirm/") :].strip())
    form = page.context["form"]

    response = client.post(reverse("accounts:confirm"), {"email": form["email"].value(), "code": form["code"].value()})

    assert response["Location"] == reverse("core:home")
    assert client.get(reverse("accounts:profile")).status_code == 200
