import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User
from core.models import AuditEvent
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "Fresh$Pass2"


def reset_link(client: Client, email: str, mailoutbox) -> str:
    client.post(reverse("accounts:password-reset"), {"email": email})
    found = re.search(r"https?://[^/]+(/accounts/password-reset/[^\s]+/)", mailoutbox[-1].body)
    assert found, mailoutbox[-1].body
    return found.group(1)


def set_password_via(client: Client, link: str, password: str = NEW_PASSWORD):
    page = client.get(link, follow=True)
    return client.post(page.redirect_chain[-1][0], {"new_password1": password, "new_password2": password})


def test_reset_request_answers_the_same_for_known_and_unknown_emails(client, user, mailoutbox):
    known = client.post(reverse("accounts:password-reset"), {"email": user.email.upper()})
    unknown = client.post(reverse("accounts:password-reset"), {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert len(mailoutbox) == 1
    assert mailoutbox[0].alternatives, "the reset email has an HTML part"


def test_reset_link_sets_a_new_password_once(client, user, mailoutbox):
    link = reset_link(client, user.email, mailoutbox)
    response = set_password_via(client, link)
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action="accounts.password_reset", actor=user).exists()

    again = client.get(link, follow=True)
    assert again.context["validlink"] is False


def test_reset_link_expires_after_fifteen_minutes(client, user, mailoutbox, settings):
    assert settings.PASSWORD_RESET_TIMEOUT == 900
    link = reset_link(client, user.email, mailoutbox)
    from django.contrib.auth.tokens import default_token_generator

    now = default_token_generator._now()
    default_token_generator._now = lambda: now + timedelta(seconds=901)
    try:
        page = client.get(link, follow=True)
    finally:
        del default_token_generator._now
    assert page.context["validlink"] is False
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_reset_applies_the_password_rules(client, user, mailoutbox):
    link = reset_link(client, user.email, mailoutbox)
    response = set_password_via(client, link, "weakpass")
    assert response.status_code == 200
    assert response.context["form"].errors["new_password1"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_change_keeps_this_session_and_ends_the_others(user):
    this_browser, other_browser = Client(), Client()
    for browser in (this_browser, other_browser):
        browser.post(reverse("accounts:login"), {"login": user.username, "password": PASSWORD})

    response = this_browser.post(
        reverse("accounts:password-change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert this_browser.get(reverse("accounts:profile")).status_code == 200
    assert other_browser.get(reverse("accounts:profile")).status_code == 302
    assert User.objects.get(pk=user.pk).check_password(NEW_PASSWORD)


def test_password_change_needs_the_old_password_and_follows_the_rules(client, user):
    client.force_login(user)
    wrong_old = client.post(
        reverse("accounts:password-change"),
        {"old_password": "Nope$Pass1", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    weak = client.post(
        reverse("accounts:password-change"),
        {"old_password": PASSWORD, "new_password1": "weak", "new_password2": "weak"},
    )
    assert wrong_old.status_code == weak.status_code == 200
    assert User.objects.get(pk=user.pk).check_password(PASSWORD)


def test_password_change_revokes_api_tokens(client, user):
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

    refresh = RefreshToken.for_user(user)
    client.force_login(user)
    client.post(
        reverse("accounts:password-change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert BlacklistedToken.objects.filter(token__jti=refresh["jti"]).exists()


def test_other_users_password_is_untouched_by_a_reset(client, user, mailoutbox):
    bystander = UserFactory()
    set_password_via(client, reset_link(client, user.email, mailoutbox))
    bystander.refresh_from_db()
    assert bystander.check_password(PASSWORD)
