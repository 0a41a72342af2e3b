"""Every form and API call of accounts reports all of a submit's problems together."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from tests.accounts.helpers import REGISTRATION
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

WEAK_RULES = {
    "The password must be at least 8 characters long.",
    "The password must contain at least one uppercase Latin letter.",
    "The password must contain at least one of these characters: $ % & ! :",
}
MANY_BAD = {
    **REGISTRATION,
    "last_name": "",
    "username": "taken",
    "email": "not-an-email",
    "phone": "8 912 345",
    "password": "weak",
    "password_confirm": "other",
}


def test_registration_form_shows_every_bad_field_of_one_submit(client, mailoutbox):
    UserFactory(username="taken")

    response = client.post(reverse("accounts:register"), MANY_BAD)

    errors = response.context["form"].errors
    assert response.status_code == 200
    assert set(errors) == {"last_name", "username", "email", "phone", "password", "password_confirm"}
    assert errors["username"] == ["A user with that username already exists."]
    assert errors["phone"][0].startswith("Enter the phone as +7 or 8 followed by 10 digits")
    assert set(errors["password"]) == WEAK_RULES
    assert errors["password_confirm"] == ["The two passwords do not match."]
    assert User.objects.count() == 1
    assert mailoutbox == []


def test_registration_form_reports_a_taken_email_beside_a_weak_password(client):
    UserFactory(email="maria@example.com")

    response = client.post(
        reverse("accounts:register"), {**REGISTRATION, "password": "weak", "password_confirm": "weak"}
    )

    errors = response.context["form"].errors
    assert errors["email"] == ["A user with that email already exists."]
    assert set(errors["password"]) == WEAK_RULES


def test_a_rate_limited_registration_does_not_say_which_username_is_taken(client, settings):
    settings.ACCOUNTS_FORM_RATE_LIMIT_PER_IP = 0
    UserFactory(username="taken")

    response = client.post(reverse("accounts:register"), {**REGISTRATION, "username": "taken"})

    assert response.status_code == 429
    assert "username" not in response.context["form"].errors
    assert User.objects.count() == 1


def test_api_register_answers_every_bad_field_in_errors(api_client, mailoutbox):
    UserFactory(username="taken")

    response = api_client.post("/api/auth/register/", MANY_BAD, format="json")

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"last_name", "username", "email", "phone", "password", "password_confirm"}
    assert errors["username"] == ["A user with that username already exists."]
    assert set(errors["password"]) == WEAK_RULES
    assert errors["password_confirm"] == ["The two passwords do not match."]
    assert User.objects.count() == 1
    assert mailoutbox == []


def test_api_register_with_only_service_problems_lists_them_all(api_client):
    UserFactory(username="taken", phone="+79123456789")

    response = api_client.post(
        "/api/auth/register/",
        {**REGISTRATION, "username": "taken", "password": "weak", "password_confirm": "weak"},
        format="json",
    )

    errors = response.json()["errors"]
    assert set(errors) == {"username", "phone", "password"}
    assert set(errors["password"]) == WEAK_RULES


def test_profile_form_shows_a_future_birth_date_a_taken_phone_and_a_blank_name_together(client, user):
    UserFactory(phone="+79001112233")
    client.force_login(user)
    tomorrow = timezone.localdate() + timedelta(days=1)

    response = client.post(
        reverse("accounts:profile"),
        {"last_name": "", "first_name": "Olga", "phone": "8 (900) 111-22-33", "birth_date": tomorrow.isoformat()},
    )

    errors = response.context["form"].errors
    assert set(errors) == {"last_name", "phone", "birth_date"}
    assert errors["phone"] == ["A user with that phone already exists."]
    assert errors["birth_date"] == ["The birth date cannot be in the future."]
    fresh = User.objects.get(pk=user.pk)
    assert (fresh.last_name, fresh.first_name, fresh.phone, fresh.birth_date) == (
        user.last_name,
        user.first_name,
        user.phone,
        None,
    )


def test_api_profile_patch_answers_every_bad_field(user_api_client, user):
    UserFactory(phone="+79001112233")

    response = user_api_client.patch(
        "/api/users/me/",
        {"phone": "+7 900 111 22 33", "birth_date": "2999-01-01", "first_name": " "},
        format="json",
    )

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"phone", "birth_date", "first_name"}
    assert User.objects.get(pk=user.pk).phone == user.phone


def test_password_change_shows_a_wrong_current_password_each_rule_and_the_mismatch_together(client, user):
    client.force_login(user)

    response = client.post(
        reverse("accounts:password-change"),
        {"old_password": "Wrong$Pass1", "new_password1": "weak", "new_password2": "other"},
    )

    errors = response.context["form"].errors
    assert set(errors) == {"old_password", "new_password1", "new_password2"}
    assert set(errors["new_password1"]) == WEAK_RULES
    assert errors["new_password2"] == ["The two password fields didn’t match."]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_reset_shows_each_rule_even_when_the_confirmation_differs(client, user, mailoutbox):
    client.post(reverse("accounts:password-reset"), {"email": user.email})
    link = next(line for line in mailoutbox[0].body.splitlines() if "/accounts/password-reset/" in line)
    page = client.get(link[link.index("/accounts/") :].strip(), follow=True)

    response = client.post(page.redirect_chain[-1][0], {"new_password1": "weak", "new_password2": "other"})

    errors = response.context["form"].errors
    assert set(errors["new_password1"]) == WEAK_RULES
    assert errors["new_password2"] == ["The two password fields didn’t match."]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_account_deletion_shows_a_wrong_password_and_the_missing_tick_together(client, user):
    client.force_login(user)

    response = client.post(reverse("accounts:delete"), {"password": "Wrong$Pass1"})

    errors = response.context["form"].errors
    assert errors["password"] == ["The password is not correct."]
    assert "confirm" in errors
    assert User.objects.filter(pk=user.pk).exists()
