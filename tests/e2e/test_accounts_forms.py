"""Account forms in a real browser: every error at once, phones as people write them, confirm signs in,
and the login page says why the visitor was sent there."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import User
from tests.e2e.helpers import PHONE, fits_width, wait_for
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.e2e

STRONG = "Strong$Pass7"


def fill(page, **values: str) -> None:
    for name, value in values.items():
        page.locator(f"#id_{name}").fill(value)


def feedback_of(page, field: str):
    return page.locator(f"#id_{field} ~ .invalid-feedback")


def test_registration_with_several_bad_fields_shows_all_errors_at_once(page, server_url, shot, console_errors):
    UserFactory(username="taken.name")
    page.goto(f"{server_url}/accounts/register/")
    fill(
        page,
        last_name="",
        first_name="Maria",
        username="taken.name",
        email="maria@",
        phone="8 (912) 555",
        password="zq7kx",
        password_confirm="zq7kxy",
    )
    page.locator("#register-form button[type=submit]").click()

    expect(page).to_have_url(f"{server_url}/accounts/register/")
    expect(feedback_of(page, "last_name")).to_have_text(["This field is required."])
    expect(feedback_of(page, "username")).to_have_text(["A user with that username already exists."])
    expect(feedback_of(page, "email")).to_have_text(["Enter a valid email address."])
    expect(feedback_of(page, "phone")).to_contain_text(["Enter the phone as +7 or 8 followed by 10 digits"])
    expect(feedback_of(page, "password")).to_have_text(
        [
            "The password must be at least 8 characters long.",
            "The password must contain at least one uppercase Latin letter.",
            "The password must contain at least one of these characters: $ % & ! :",
        ]
    )
    expect(feedback_of(page, "password_confirm")).to_have_text(["The two passwords do not match."])
    expect(page.locator("#register-form .is-invalid")).to_have_count(6)
    expect(page.locator("#id_first_name")).to_have_value("Maria")
    expect(page.locator("#id_phone")).to_have_attribute("autocomplete", "tel")
    expect(page.locator("#id_phone")).to_have_attribute("inputmode", "tel")
    shot("01-register-errors")

    page.set_viewport_size(PHONE)
    assert fits_width(page)
    shot("02-register-errors-390")

    assert User.objects.count() == 1
    assert console_errors == []


def test_phone_in_8_form_is_accepted_and_the_code_lands_signed_in_on_home(
    page, server_url, shot, mailoutbox, console_errors
):
    page.goto(f"{server_url}/accounts/register/")
    fill(
        page,
        last_name="Petrova",
        first_name="Maria",
        username="maria.p",
        email="maria.p@example.com",
        phone="8 (912) 555-12-34",
        password=STRONG,
        password_confirm=STRONG,
    )
    page.locator("#register-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/accounts/confirm/\?email="))
    assert User.objects.get(username="maria.p").phone == "+79125551234"

    email = wait_for(lambda: mailoutbox, message="the confirmation email")[0]
    code = re.search(r"\b(\d{6})\b", email.body).group(1)
    expect(page.locator("#id_code")).to_have_attribute("autocomplete", "one-time-code")
    page.locator("#id_code").fill(code)
    page.locator("#confirm-form button[type=submit]").click()

    expect(page).to_have_url(f"{server_url}/")
    expect(page.locator(".alert-success")).to_contain_text("Welcome to Agora, Maria! Your email is confirmed.")
    expect(page.locator("#nav-user")).to_contain_text("Petrova Maria")

    page.goto(f"{server_url}/accounts/profile/")
    expect(page.locator("#id_phone")).to_have_value("+79125551234")
    expect(page.locator("#id_birth_date")).to_have_attribute("autocomplete", "bday")
    shot("01-profile")
    page.set_viewport_size(PHONE)
    assert fits_width(page)
    shot("02-profile-390")
    assert console_errors == []


def test_the_login_page_says_why_when_the_shop_is_opened_anonymously(page, server_url, shot, console_errors):
    user = UserFactory()
    page.goto(f"{server_url}/shop/")

    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/shop/$"))
    expect(page.locator("#login-reason")).to_have_text("Log in to see the shop.")
    expect(page.locator("#id_login")).to_have_attribute("autocomplete", "username")
    expect(page.locator("#id_password")).to_have_attribute("autocomplete", "current-password")
    shot("01-login-reason")
    page.set_viewport_size(PHONE)
    assert fits_width(page)
    shot("02-login-reason-390")

    fill(page, login=user.username, password=PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    expect(page).to_have_url(f"{server_url}/shop/")
    assert console_errors == []
