"""Phones written with 8 or separators are normalised everywhere; birth dates must be plausible."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import User
from accounts.validators import validate_birth_date
from tests.accounts.helpers import REGISTRATION, committed
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("typed", ["8 (912) 345-67-89", "+7 912 345 67 89", "89123456789", "8-912-345-67-89"])
def test_web_registration_stores_the_phone_as_plus_seven(client, typed):
    with committed():
        response = client.post(reverse("accounts:register"), {**REGISTRATION, "phone": typed})

    assert response.status_code == 302
    assert User.objects.get(username="maria").phone == "+79123456789"


def test_api_registration_accepts_the_trunk_prefix(api_client):
    with committed():
        response = api_client.post("/api/auth/register/", {**REGISTRATION, "phone": "8 (912) 345-67-89"}, format="json")

    assert response.status_code == 201
    assert response.json()["phone"] == "+79123456789"


def test_a_phone_written_with_eight_is_the_same_phone_for_uniqueness(client):
    UserFactory(phone="+79123456789")

    response = client.post(reverse("accounts:register"), {**REGISTRATION, "phone": "8 912 345-67-89"})

    assert response.context["form"].errors["phone"] == ["A user with that phone already exists."]
    assert not User.objects.filter(username="maria").exists()


@pytest.mark.parametrize("typed", ["7 912 345 67 89", "8 912 345 67", "9 (912) 345-67-89", "+7 912 abc 67 89"])
def test_a_bad_phone_gets_a_clear_message_on_web_and_api(client, api_client, typed):
    response = client.post(reverse("accounts:register"), {**REGISTRATION, "phone": typed})
    api = api_client.post("/api/auth/register/", {**REGISTRATION, "phone": typed}, format="json")

    message = "Enter the phone as +7 or 8 followed by 10 digits, e.g. +7 912 345-67-89 or 8 (912) 345-67-89."
    assert response.context["form"].errors["phone"] == [message]
    assert api.json()["errors"]["phone"] == [message]
    assert not User.objects.exists()


def test_profile_and_api_normalise_a_phone_written_with_eight(client, user_api_client, user):
    client.force_login(user)
    client.post(
        reverse("accounts:profile"),
        {"last_name": "Smirnova", "first_name": "Olga", "phone": "8 (900) 111-22-33"},
    )
    user.refresh_from_db()
    assert user.phone == "+79001112233"

    user_api_client.patch("/api/users/me/", {"phone": "8 900 111 22 44"}, format="json")
    user.refresh_from_db()
    assert user.phone == "+79001112244"


def test_log_in_with_the_phone_written_with_eight(client):
    UserFactory(phone="+79123456789")

    response = client.post(reverse("accounts:login"), {"login": "8 (912) 345-67-89", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")


def test_a_digits_only_username_that_looks_like_a_phone_still_logs_in(client):
    UserFactory(username="89123456789", phone="+79001112233")

    response = client.post(reverse("accounts:login"), {"login": "89123456789", "password": PASSWORD})

    assert response.status_code == 302


@pytest.mark.parametrize(
    "birth_date",
    [
        timezone.localdate() + timedelta(days=1),
        date(timezone.localdate().year - 131, 1, 1),
        date(1, 1, 1),
    ],
)
def test_future_and_absurdly_old_birth_dates_are_refused(birth_date):
    with pytest.raises(ValidationError):
        validate_birth_date(birth_date)


@pytest.mark.parametrize("birth_date", [timezone.localdate(), date(timezone.localdate().year - 129, 12, 31)])
def test_today_and_a_long_life_are_fine_birth_dates(birth_date):
    validate_birth_date(birth_date)


def test_web_profile_refuses_a_future_birth_date_and_changes_nothing(client, user):
    client.force_login(user)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()

    response = client.post(
        reverse("accounts:profile"),
        {"last_name": "Other", "first_name": user.first_name, "phone": user.phone, "birth_date": tomorrow},
    )

    assert response.context["form"].errors["birth_date"] == ["The birth date cannot be in the future."]
    fresh = User.objects.get(pk=user.pk)
    assert (fresh.last_name, fresh.birth_date) == (user.last_name, None)


@pytest.mark.parametrize(
    ("birth_date", "message"),
    [
        ("2999-01-01", "The birth date cannot be in the future."),
        ("1850-01-01", "Enter a birth date within the last 130 years."),
    ],
)
def test_api_refuses_implausible_birth_dates(user_api_client, user, birth_date, message):
    response = user_api_client.patch("/api/users/me/", {"birth_date": birth_date}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"]["birth_date"] == [message]
    assert User.objects.get(pk=user.pk).birth_date is None


def test_the_service_refuses_a_future_birth_date_from_any_channel(user):
    with pytest.raises(ValidationError) as caught:
        services.user_profile_update(user=user, data={"birth_date": timezone.localdate() + timedelta(days=1)})

    assert set(caught.value.message_dict) == {"birth_date"}
    assert User.objects.get(pk=user.pk).birth_date is None
