"""The web register, resend-code and password-reset forms are limited per address and per email."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.accounts.helpers import REGISTRATION, committed

pytestmark = pytest.mark.django_db

LIMITED = "Too many requests from you"


@pytest.fixture
def limits(settings):
    settings.ACCOUNTS_FORM_RATE_LIMIT_PER_IP = 3
    settings.ACCOUNTS_FORM_RATE_LIMIT_PER_EMAIL = 2
    settings.ACCOUNTS_FORM_RATE_WINDOW_SECONDS = 3600
    return settings


def registration(number: int) -> dict:
    return {
        **REGISTRATION,
        "username": f"maria{number}",
        "email": f"maria{number}@example.com",
        "phone": f"+7912345678{number}",
    }


def test_registration_is_limited_per_address_with_a_friendly_message(limits, client, mailoutbox):
    with committed():
        for number in range(3):
            assert client.post(reverse("accounts:register"), registration(number)).status_code == 302

    with committed():
        response = client.post(reverse("accounts:register"), registration(4))

    assert response.status_code == 429
    assert LIMITED in response.content.decode()
    assert response.context["form"]["username"].value() == "maria4"
    assert not User.objects.filter(username="maria4").exists()
    assert len(mailoutbox) == 3
    # Another address is not affected.
    with committed():
        assert Client(REMOTE_ADDR="10.0.0.5").post(reverse("accounts:register"), registration(4)).status_code == 302


def test_registration_is_limited_per_email_across_addresses(limits):
    for number in range(2):
        Client(REMOTE_ADDR=f"10.0.1.{number}").post(reverse("accounts:register"), {"email": "x@example.com"})

    response = Client(REMOTE_ADDR="10.0.1.9").post(
        reverse("accounts:register"), {**REGISTRATION, "email": "x@example.com"}
    )

    assert response.status_code == 429
    assert not User.objects.exists()


def test_password_reset_is_limited_per_email_across_addresses(limits, user, mailoutbox):
    for number in range(2):
        response = Client(REMOTE_ADDR=f"10.0.2.{number}").post(
            reverse("accounts:password-reset"), {"email": user.email}
        )
        assert response.status_code == 302

    response = Client(REMOTE_ADDR="10.0.2.9").post(reverse("accounts:password-reset"), {"email": user.email.upper()})

    assert response.status_code == 429
    assert LIMITED in response.content.decode()
    assert len(mailoutbox) == 2


def test_password_reset_is_limited_per_address_for_any_email(limits, client, mailoutbox):
    for number in range(3):
        client.post(reverse("accounts:password-reset"), {"email": f"someone{number}@example.com"})

    response = client.post(reverse("accounts:password-reset"), {"email": "another@example.com"})

    assert response.status_code == 429


def test_resend_is_limited_per_address_with_a_friendly_message(limits, client, mailoutbox):
    for number in range(3):
        client.post(reverse("accounts:confirm-resend"), {"email": f"someone{number}@example.com"})

    response = client.post(reverse("accounts:confirm-resend"), {"email": "maria@example.com"}, follow=True)

    assert any(LIMITED in str(message) for message in response.context["messages"])
    assert mailoutbox == []
