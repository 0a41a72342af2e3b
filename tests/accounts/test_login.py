from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.jobs import lift_expired_blocks
from accounts.models import User, UserSession
from core.models import AuditEvent
from tests.accounts.helpers import committed
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
LOGIN = reverse("accounts:login")


def log_in(client: Client, login: str, password: str = PASSWORD, **extra):
    return client.post(LOGIN, {"login": login, "password": password, **extra})


def signed_in_user(client: Client):
    response = client.get(reverse("accounts:profile"))
    return response.context["user"] if response.status_code == 200 else None


@pytest.mark.parametrize("login", ["person", "PERSON@example.com", "+7 (912) 000-00-01", "+79120000001"])
def test_one_field_logs_in_by_username_email_or_phone(client, login):
    UserFactory(username="person", email="person@example.com", phone="+79120000001")
    response = log_in(client, login)
    assert response.status_code == 302
    assert signed_in_user(client).username == "person"


def test_wrong_password_shows_a_generic_error_and_records_a_failed_login(client, user):
    response = log_in(client, user.username, "Wrong$Pass1")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["Wrong login or password."]
    assert signed_in_user(client) is None
    assert AuditEvent.objects.filter(action="accounts.login_failed").count() == 1


def test_unknown_login_gets_the_same_error_as_a_wrong_password(client):
    response = log_in(client, "nobody")
    assert response.context["form"].non_field_errors() == ["Wrong login or password."]


def test_successful_login_is_audited_with_ip(client, user):
    log_in(client, user.username)
    event = AuditEvent.objects.get(action="accounts.login")
    assert event.actor == user
    assert event.ip_address == "127.0.0.1"


def test_unconfirmed_account_is_told_to_confirm_after_the_right_password(client):
    user = UserFactory(is_active=False, email_confirmed_at=None)
    response = log_in(client, user.username)
    assert "Confirm your email" in response.context["form"].non_field_errors()[0]
    assert signed_in_user(client) is None


def test_session_id_rotates_at_login(client, user):
    client.get(LOGIN)
    client.session.save()
    before = client.session.session_key
    log_in(client, user.username)
    assert client.session.session_key != before


def test_session_ends_with_the_browser_unless_remember_me(client, user):
    log_in(client, user.username)
    assert client.session.get_expire_at_browser_close()
    other = Client()
    log_in(other, user.username, remember="on")
    assert not other.session.get_expire_at_browser_close()
    assert other.session.get_expiry_age() == 14 * 24 * 3600


def test_login_redirects_to_a_safe_next_only(client, user):
    response = log_in(client, user.username, next="/accounts/profile/")
    assert response["Location"] == "/accounts/profile/"
    other = Client()
    response = log_in(other, user.username, next="https://evil.example.com/")
    assert response["Location"] == reverse("core:home")


def test_protected_page_redirects_anonymous_visitor_to_login_with_next(client):
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={reverse('accounts:profile')}"


def test_admin_login_goes_through_our_login_page(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/admin/"


def test_five_failures_lock_the_username_and_ip_out_even_with_the_right_password(client, user):
    for _attempt in range(5):
        log_in(client, user.username, "Wrong$Pass1")
    response = log_in(client, user.username)
    assert response.status_code == 429
    assert "Too many failed attempts" in response.content.decode()
    assert signed_in_user(client) is None
    assert AccessAttempt.objects.filter(username=user.username).exists()
    assert AuditEvent.objects.filter(action="accounts.locked_out").exists()


def test_four_failures_do_not_lock_out(client, user):
    for _attempt in range(4):
        log_in(client, user.username, "Wrong$Pass1")
    assert log_in(client, user.username).status_code == 302


def test_lockout_is_per_username_and_ip(client, user, other_user):
    for _attempt in range(5):
        log_in(client, user.username, "Wrong$Pass1")
    assert log_in(client, other_user.username).status_code == 302
    elsewhere = Client(REMOTE_ADDR="10.0.0.9")
    assert log_in(elsewhere, user.username).status_code == 302


def test_lockout_lasts_fifteen_minutes(settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME == timedelta(minutes=15)
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"


def test_lockout_is_lifted_after_the_cooloff(client, user):
    for _attempt in range(5):
        log_in(client, user.username, "Wrong$Pass1")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert log_in(client, user.username).status_code == 302


def test_fourth_session_ends_the_oldest(user):
    clients = [Client() for _ in range(4)]
    for client in clients[:3]:
        assert log_in(client, user.username).status_code == 302
    first_key = clients[0].session.session_key
    log_in(clients[3], user.username)

    assert UserSession.objects.filter(user=user).count() == 3
    assert not Session.objects.filter(session_key=first_key).exists()
    assert signed_in_user(clients[0]) is None
    assert all(signed_in_user(client) == user for client in clients[1:])


def test_logout_requires_post_and_ends_the_session(client, user):
    log_in(client, user.username)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert signed_in_user(client) == user
    client.post(reverse("accounts:logout"))
    assert signed_in_user(client) is None
    assert not UserSession.objects.filter(user=user).exists()
    assert AuditEvent.objects.filter(action="accounts.logout", actor=user).exists()


# --- Blocking --------------------------------------------------------------------------------


def block(user: User, *, days: int | None = 3, actor: User | None = None) -> User:
    until = timezone.now() + timedelta(days=days) if days else None
    with committed():
        return services.user_block(user=user, reason="Spam in chats", until=until, actor=actor)


def test_blocked_user_sees_reason_and_end_date_after_the_right_password(client, user):
    block(user)
    response = log_in(client, user.username)
    content = response.content.decode()
    assert response.status_code == 200
    assert "Spam in chats" in content
    assert response.context["blocked"].until == User.objects.get(pk=user.pk).blocked_until
    assert signed_in_user(client) is None


def test_blocked_user_with_a_wrong_password_learns_nothing_about_the_block(client, user):
    block(user)
    response = log_in(client, user.username, "Wrong$Pass1")
    assert "Spam in chats" not in response.content.decode()
    assert response.context["blocked"] is None


def test_block_ends_existing_sessions_and_emails_the_reason(client, user, manager, mailoutbox):
    log_in(client, user.username)
    block(user, actor=manager)
    assert signed_in_user(client) is None
    assert not UserSession.objects.filter(user=user).exists()
    assert "Spam in chats" in mailoutbox[-1].body
    event = AuditEvent.objects.get(action="accounts.blocked")
    assert event.actor == manager
    assert event.details["reason"] == "Spam in chats"


def test_block_needs_a_reason_and_a_future_end(user):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.user_block(user=user, reason=" ", until=None, actor=None)
    with pytest.raises(ValidationError):
        services.user_block(user=user, reason="x", until=timezone.now() - timedelta(hours=1), actor=None)
    user.refresh_from_db()
    assert not user.is_blocked


def test_block_without_end_date_lasts_until_lifted(client, user):
    block(user, days=None)
    assert lift_expired_blocks() == 0
    assert "no end date" in log_in(client, user.username).content.decode()


def test_expired_blocks_are_lifted_by_the_job_once(client, user, other_user):
    block(user)
    block(other_user)
    User.objects.filter(pk=user.pk).update(blocked_until=timezone.now() - timedelta(minutes=1))

    assert lift_expired_blocks() == 1
    assert lift_expired_blocks() == 0
    assert not User.objects.get(pk=user.pk).is_blocked
    assert User.objects.get(pk=other_user.pk).is_blocked
    assert log_in(client, user.username).status_code == 302


def test_a_block_whose_date_passed_no_longer_stops_login_even_before_the_job(client, user):
    block(user)
    User.objects.filter(pk=user.pk).update(blocked_until=timezone.now() - timedelta(minutes=1))
    assert log_in(client, user.username).status_code == 302


def test_unblock_restores_login(client, user, manager):
    block(user)
    services.user_unblock(user=user, actor=manager)
    assert log_in(client, user.username).status_code == 302
    assert AuditEvent.objects.filter(action="accounts.unblocked", actor=manager).exists()
