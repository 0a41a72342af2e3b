"""Accounts in a real browser: register, confirm by emailed code, log in, edit the profile, log out."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import formats, timezone, translation
from PIL import Image
from playwright.sync_api import expect

from accounts.models import User
from accounts.services import user_block
from tests.e2e.helpers import wait_for
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.e2e

NAV_LINKS = ("Home", "Shop", "Sites", "Chat", "Crowdfunding", "Mailings", "Blog", "Log in", "Register")
NEW_PASSWORD = "Strong$Pass7"


def fill_registration(page, **values: str) -> None:
    fields = {
        "last_name": "Petrova",
        "first_name": "Maria",
        "middle_name": "",
        "username": "maria.petrova",
        "email": "maria@example.com",
        "phone": "+7 (912) 555-12-34",
        "password": NEW_PASSWORD,
        "password_confirm": NEW_PASSWORD,
        **values,
    }
    for name, value in fields.items():
        page.locator(f"#id_{name}").fill(value)


def feedback_of(page, field: str):
    """The error messages rendered beside a form field."""
    return page.locator(f"#id_{field} ~ .invalid-feedback")


def test_register_confirm_login_by_phone_edit_profile_avatar_and_log_out(
    page, server_url, shot, mailoutbox, console_errors, tmp_path
):
    # Home: the navigation bar offers every section and, for a visitor, Log in / Register.
    page.goto(f"{server_url}/")
    navbar = page.locator("nav.navbar")
    for label in NAV_LINKS:
        expect(navbar.get_by_role("link", name=re.compile(rf"^{label}\b"))).to_be_visible()
    expect(page.locator("#nav-user")).to_have_count(0)
    shot("01-home")

    # Register through the form; the phone is typed the way people write it.
    navbar.get_by_role("link", name="Register").click()
    expect(page).to_have_url(f"{server_url}/accounts/register/")
    fill_registration(page)
    shot("02-register-filled")
    page.locator("#register-form button[type=submit]").click()

    # The confirm page, with the email filled in; the code arrives by email.
    expect(page).to_have_url(re.compile(r"/accounts/confirm/\?email=maria(@|%40)example\.com$"))
    expect(page.locator(".alert-success")).to_contain_text("We have sent a 6-digit code to maria@example.com")
    expect(page.locator("#id_email")).to_have_value("maria@example.com")
    shot("03-confirm")
    user = User.objects.get(username="maria.petrova")
    assert user.phone == "+79125551234"
    assert not user.is_active
    email = wait_for(lambda: mailoutbox, message="the confirmation email")[0]
    assert email.to == ["maria@example.com"]
    assert email.alternatives, "the email has an HTML part"
    code = re.search(r"\b(\d{6})\b", email.body).group(1)

    page.locator("#id_code").fill(code)
    page.locator("#confirm-form button[type=submit]").click()
    # The code signs the new user in and takes them home.
    expect(page).to_have_url(f"{server_url}/")
    expect(page.locator(".alert-success")).to_contain_text("Welcome to Agora, Maria! Your email is confirmed.")
    expect(page.locator("#nav-user")).to_contain_text("Petrova Maria")
    page.locator("#nav-logout").click()
    expect(page.locator("#nav-user")).to_have_count(0)

    # Log in by phone, written differently from the registration.
    page.goto(f"{server_url}/accounts/login/")
    page.locator("#id_login").fill("+7 912 555 12 34")
    page.locator("#id_password").fill(NEW_PASSWORD)
    shot("04-login-by-phone")
    page.locator("#login-form button[type=submit]").click()
    expect(page).to_have_url(f"{server_url}/")
    expect(page.locator("#nav-user")).to_contain_text("Petrova Maria")
    expect(navbar.get_by_role("link", name="Log in")).to_have_count(0)
    shot("05-logged-in")

    # The profile: edit the middle name and the birth date.
    page.locator("#nav-user").click()
    expect(page).to_have_url(f"{server_url}/accounts/profile/")
    expect(page.locator("h1")).to_have_text("Petrova Maria")
    expect(page.locator("#id_phone")).to_have_value("+79125551234")
    shot("06-profile")
    page.locator("#id_middle_name").fill("Ivanovna")
    page.locator("#id_birth_date").fill("1994-03-15")
    page.locator("#profile-form button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text("Your profile is saved.")
    expect(page.locator("#id_middle_name")).to_have_value("Ivanovna")
    expect(page.locator("#id_birth_date")).to_have_value("1994-03-15")
    expect(page.locator("#nav-user")).to_contain_text("Petrova Maria Ivanovna")
    shot("07-profile-saved")
    user.refresh_from_db()
    assert (user.middle_name, user.birth_date.isoformat()) == ("Ivanovna", "1994-03-15")

    # Upload an avatar: the picture changes from the bundled default to the (shrunk) upload.
    avatar = page.locator("#profile-avatar")
    expect(avatar).to_have_attribute("src", re.compile(r"avatar-default\.png$"))
    picture = tmp_path / "me.png"
    Image.new("RGB", (800, 600), (220, 80, 40)).save(picture)
    page.locator("#id_avatar").set_input_files(picture)
    page.locator("#avatar-form button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text("Your avatar is updated.")
    expect(avatar).to_have_attribute("src", re.compile(rf"^{settings.MEDIA_URL}avatars/[0-9a-f]{{32}}\.png$"))
    expect(page.locator("#nav-user img")).to_have_attribute("src", avatar.get_attribute("src"))
    page.wait_for_function("document.getElementById('profile-avatar').complete")
    assert avatar.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [512, 384]
    shot("08-avatar-uploaded")

    # Log out: the bar offers Log in again.
    page.locator("#nav-logout").click()
    expect(page).to_have_url(f"{server_url}/")
    expect(page.locator(".alert-info")).to_contain_text("You have logged out.")
    expect(navbar.get_by_role("link", name="Log in")).to_be_visible()
    expect(page.locator("#nav-user")).to_have_count(0)
    shot("09-logged-out")

    assert console_errors == []


def test_registration_errors_are_shown_beside_the_fields_and_nothing_is_created(
    page, server_url, shot, mailoutbox, console_errors
):
    page.goto(f"{server_url}/accounts/register/")
    fill_registration(page, phone="8 912 555", password="zq7kx", password_confirm="zq7kx")
    page.locator("#register-form button[type=submit]").click()

    expect(page).to_have_url(f"{server_url}/accounts/register/")
    expect(page.locator("#id_password")).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(feedback_of(page, "password")).to_have_text(
        [
            "The password must be at least 8 characters long.",
            "The password must contain at least one uppercase Latin letter.",
            "The password must contain at least one of these characters: $ % & ! :",
        ]
    )
    expect(page.locator("#id_phone")).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(feedback_of(page, "phone")).to_contain_text("Enter the phone as +7 or 8 followed by 10 digits")
    expect(page.locator("#id_username")).not_to_have_class(re.compile(r"\bis-invalid\b"))
    expect(page.locator("#id_username")).to_have_value("maria.petrova")
    expect(page.locator("#id_password")).to_have_value("")
    shot("01-weak-password-bad-phone")

    # Cyrillic letters and spaces break their own rules; the confirmation must match.
    page.locator("#id_phone").fill("+7 912 555-12-34")
    page.locator("#id_password").fill("Пароль 1A$x")
    page.locator("#id_password_confirm").fill("Something$Else1")
    page.locator("#register-form button[type=submit]").click()
    expect(feedback_of(page, "password_confirm")).to_have_text(["The two passwords do not match."])
    expect(feedback_of(page, "phone")).to_have_count(0)
    shot("02-passwords-differ")

    page.locator("#id_password").fill("Пароль 1A$x")
    page.locator("#id_password_confirm").fill("Пароль 1A$x")
    page.locator("#register-form button[type=submit]").click()
    expect(feedback_of(page, "password")).to_have_text(
        [
            "The password may contain only Latin letters (no Cyrillic or other alphabets).",
            "The password may not contain spaces.",
        ]
    )
    shot("03-cyrillic-password")

    assert not User.objects.exists()
    assert mailoutbox == []
    assert console_errors == []


def test_blocked_user_sees_the_reason_and_end_date_only_after_the_right_password(page, server_url, shot):
    user = UserFactory()
    until = timezone.now().replace(microsecond=0) + timedelta(days=3)
    user_block(user=user, reason="Spam in the chats", until=until, actor=None)

    page.goto(f"{server_url}/accounts/login/")
    page.locator("#id_login").fill(user.username)
    page.locator("#id_password").fill("Wrong$Pass1")
    page.locator("#login-form button[type=submit]").click()
    expect(page.locator("#login-form .alert-danger")).to_contain_text("Wrong login or password.")
    expect(page.locator("#blocked-message")).to_have_count(0)
    expect(page.locator("body")).not_to_contain_text("Spam in the chats")
    shot("01-wrong-password")

    page.locator("#id_password").fill(PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    with translation.override("en"):
        local_until = timezone.localtime(until)
        shown_until = f"{formats.date_format(local_until, 'DATETIME_FORMAT')} {formats.date_format(local_until, 'T')}"
    message = page.locator("#blocked-message")
    expect(message).to_contain_text("Your account is blocked.")
    expect(message).to_contain_text("Reason: Spam in the chats")
    expect(message).to_contain_text(f"Blocked until: {shown_until}")
    expect(page).to_have_url(f"{server_url}/accounts/login/")
    expect(page.locator("#nav-user")).to_have_count(0)
    shot("02-blocked")


def log_in_through_the_form(page, server_url: str, login: str) -> None:
    page.goto(f"{server_url}/accounts/login/")
    page.locator("#id_login").fill(login)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    expect(page).to_have_url(f"{server_url}/")


def test_the_devices_page_lists_browsers_and_api_logins_and_signs_the_others_out(page, browser, server_url, shot):
    user = UserFactory(username="nina.devices", email="nina@example.com")
    laptop = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    try:
        # The same account in two browsers (the second by email) and one API client.
        log_in_through_the_form(page, server_url, "nina.devices")
        log_in_through_the_form(laptop.new_page(), server_url, "nina@example.com")
        tokens = page.request.post(
            f"{server_url}/api/auth/login/", data={"login": "nina.devices", "password": PASSWORD}
        ).json()

        page.goto(f"{server_url}/accounts/profile/")
        page.locator("#devices-link").click()
        expect(page).to_have_url(f"{server_url}/accounts/profile/devices/")
        rows = page.locator("#devices tbody tr")
        expect(rows).to_have_count(3)
        expect(rows.filter(has_text="this browser")).to_have_count(1)
        expect(rows.filter(has_text="API client")).to_have_count(1)
        shot("01-three-devices")

        page.locator("#sign-out-others button[type=submit]").click()
        expect(page.locator(".alert-success")).to_contain_text("2 other devices are signed out.")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("this browser")
        shot("02-only-this-browser")

        # The laptop's session and the API's refresh token no longer work; this browser still does.
        other = laptop.new_page()
        other.goto(f"{server_url}/accounts/profile/")
        expect(other).to_have_url(re.compile(r"/accounts/login/\?next="))
        refreshed = page.request.post(f"{server_url}/api/auth/refresh/", data={"refresh": tokens["refresh"]})
        assert refreshed.status == 401
        page.goto(f"{server_url}/accounts/profile/")
        expect(page).to_have_url(f"{server_url}/accounts/profile/")
        assert user.active_sessions.count() == 1
    finally:
        laptop.close()
