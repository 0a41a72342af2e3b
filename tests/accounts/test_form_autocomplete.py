"""Every account field tells browsers and password managers what it holds (autocomplete, inputmode)."""

import re

import pytest
from django.urls import reverse

from accounts.forms import (
    ConfirmForm,
    DeleteAccountForm,
    LoginForm,
    PasswordChangeForm,
    PasswordResetSetForm,
    ProfileForm,
    RegistrationForm,
)

pytestmark = pytest.mark.django_db


def attrs_of(form) -> dict[str, dict[str, str]]:
    rendered = {}
    for field in form.visible_fields():
        html = str(field)
        rendered[field.name] = dict(re.findall(r'\s([\w-]+)="([^"]*)"', html))
    return rendered


def test_registration_fields_name_their_autocomplete(user):
    attrs = attrs_of(RegistrationForm())

    assert {name: value["autocomplete"] for name, value in attrs.items()} == {
        "last_name": "family-name",
        "first_name": "given-name",
        "middle_name": "additional-name",
        "username": "username",
        "email": "email",
        "phone": "tel",
        "password": "new-password",
        "password_confirm": "new-password",
    }
    assert attrs["phone"]["type"] == "tel"
    assert attrs["phone"]["inputmode"] == "tel"


def test_profile_fields_name_their_autocomplete(user):
    attrs = attrs_of(ProfileForm(user=user))

    assert {name: value.get("autocomplete") for name, value in attrs.items()} == {
        "last_name": "family-name",
        "first_name": "given-name",
        "middle_name": "additional-name",
        "phone": "tel",
        "birth_date": "bday",
        "newsletter": None,  # a checkbox holds no personal data to fill in
    }
    assert attrs["phone"]["inputmode"] == "tel"


def test_login_confirm_password_and_deletion_fields_name_their_autocomplete(user):
    assert attrs_of(LoginForm())["login"]["autocomplete"] == "username"
    assert attrs_of(LoginForm())["password"]["autocomplete"] == "current-password"
    confirm = attrs_of(ConfirmForm())
    assert confirm["email"]["autocomplete"] == "email"
    assert (confirm["code"]["autocomplete"], confirm["code"]["inputmode"]) == ("one-time-code", "numeric")
    change = attrs_of(PasswordChangeForm(user))
    assert [change[name]["autocomplete"] for name in ("old_password", "new_password1", "new_password2")] == [
        "current-password",
        "new-password",
        "new-password",
    ]
    reset = attrs_of(PasswordResetSetForm(user))
    assert [reset[name]["autocomplete"] for name in ("new_password1", "new_password2")] == ["new-password"] * 2
    assert attrs_of(DeleteAccountForm(user=user))["password"]["autocomplete"] == "current-password"


def test_the_pages_render_the_attributes(client, user):
    register = client.get(reverse("accounts:register")).content.decode()
    assert 'autocomplete="family-name"' in register
    assert 'type="tel"' in register
    client.force_login(user)
    profile = client.get(reverse("accounts:profile")).content.decode()
    assert 'autocomplete="bday"' in profile
    assert 'autocomplete="tel"' in profile
