"""The accounts API: registration, confirmation, JWT login/refresh/logout, own profile, user lists."""

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts import services
from accounts.models import EmailConfirmation, User
from core.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

REGISTER = "/api/auth/register/"
CONFIRM = "/api/auth/confirm/"
RESEND = "/api/auth/confirm/resend/"
LOGIN = "/api/auth/login/"
REFRESH = "/api/auth/refresh/"
LOGOUT = "/api/auth/logout/"
USERNAME_LOGIN = "/api/users/login/"
ME = "/api/users/me/"
USERS = "/api/users/"

UNAUTHORIZED = {"code": 401, "message": "Unauthorized"}
NEW_PASSWORD = "Strong$Pass1"


# --- helpers -------------------------------------------------------------------------------


def registration(**overrides) -> dict:
    data = {
        "username": "new.person",
        "email": "New.Person@Example.com",
        "phone": "+7 (999) 345-67-89",
        "last_name": "Petrova",
        "first_name": "Maria",
        "middle_name": "Ivanovna",
        "password": NEW_PASSWORD,
        "password_confirm": NEW_PASSWORD,
    }
    data.update(overrides)
    return data


@pytest.fixture
def register(api_client, django_capture_on_commit_callbacks):
    """POST a registration and run its on-commit callbacks, so the code email is sent."""

    def post(**overrides):
        with django_capture_on_commit_callbacks(execute=True):
            return api_client.post(REGISTER, registration(**overrides))

    return post


@pytest.fixture
def resend(api_client, django_capture_on_commit_callbacks):
    def post(email: str):
        with django_capture_on_commit_callbacks(execute=True):
            return api_client.post(RESEND, {"email": email})

    return post


def code_in(message) -> str:
    """The 6-digit code as the user reads it in the email body."""
    match = re.search(r"\b(\d{6})\b", message.body)
    assert match, message.body
    return match.group(1)


@pytest.fixture
def pending(register, mailoutbox):
    """A fresh unconfirmed registration: (user, emailed code)."""
    response = register()
    assert response.status_code == 201, response.json()
    return User.objects.get(username="new.person"), code_in(mailoutbox[-1])


def tokens_for(user: User) -> dict[str, str]:
    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def bearer_client(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def is_blacklisted(refresh: str) -> bool:
    jti = RefreshToken(refresh, verify=False)["jti"]  # type: ignore[arg-type]  # simplejwt accepts the encoded token
    return BlacklistedToken.objects.filter(token__jti=jti).exists()


def block(user: User, until=None) -> User:
    return services.user_block(user=user, reason="Spam in chats", until=until, actor=None)


# --- registration --------------------------------------------------------------------------


def test_register_creates_inactive_user_in_group_user_and_emails_a_code(register, mailoutbox):
    response = register()

    assert response.status_code == 201
    body = response.json()
    assert body["username"] == "new.person"
    assert body["email"] == "New.Person@example.com"  # the domain part is normalised
    assert body["phone"] == "+79993456789"
    assert body["groups"] == ["user"]
    assert "password" not in body and "password_confirm" not in body
    user = User.objects.get(username="new.person")
    assert not user.is_active
    assert user.email_confirmed_at is None
    assert user.check_password(NEW_PASSWORD)
    assert list(user.groups.values_list("name", flat=True)) == ["user"]
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["New.Person@example.com"]
    code = code_in(message)
    assert code in message.subject
    assert message.alternatives and code in message.alternatives[0][0]
    # Only a keyed hash is stored, never the code itself.
    confirmation = EmailConfirmation.objects.get(user=user)
    assert code not in confirmation.code_hash


def test_register_normalises_the_phone(register):
    response = register(phone="+7 (912) 345-67-89")

    assert response.status_code == 201
    assert User.objects.get(username="new.person").phone == "+79123456789"


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Sh$rt1", "at least 8 characters"),
        ("Пароль$Long1A", "only Latin letters"),
        ("lower$case1", "uppercase Latin letter"),
        ("NoSpecials12", "one of these characters"),
        ("With Space$A1", "may not contain spaces"),
    ],
)
def test_register_reports_each_broken_password_rule(register, mailoutbox, password, message):
    response = register(password=password, password_confirm=password)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 400
    assert any(message in error for error in body["errors"]["password"]), body
    assert not User.objects.filter(username="new.person").exists()
    assert mailoutbox == []


def test_register_reports_every_broken_password_rule_at_once(register):
    response = register(password="пароль", password_confirm="пароль")

    errors = response.json()["errors"]["password"]
    assert response.status_code == 400
    assert len(errors) >= 4


def test_register_refuses_mismatched_password_confirmation(register, mailoutbox):
    response = register(password_confirm="Strong$Pass2")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"password_confirm"}
    assert not User.objects.exists()
    assert mailoutbox == []


def test_register_refuses_an_email_differing_only_by_case(register, user, mailoutbox):
    response = register(email=user.email.upper())

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 400
    assert "email" in body["errors"], body
    assert User.objects.count() == 1
    assert mailoutbox == []


def test_register_refuses_a_taken_phone_in_another_format(register, user):
    formatted = f"+7 ({user.phone[2:5]}) {user.phone[5:8]}-{user.phone[8:10]}-{user.phone[10:]}"

    response = register(phone=formatted)

    assert response.status_code == 400
    assert "phone" in response.json()["errors"]
    assert User.objects.count() == 1


def test_register_refuses_a_taken_username(register, user):
    response = register(username=user.username)

    assert response.status_code == 400
    assert "username" in response.json()["errors"]
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", "+7 912 345"),
        ("phone", "9 912 345-67-89"),
        ("phone", "8 912 345-67-8"),
        ("username", "ab"),
        ("username", "super_admin"),
        ("username", "имя"),
        ("email", "not-an-email"),
    ],
)
def test_register_refuses_invalid_fields(register, field, value):
    response = register(**{field: value})

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not User.objects.exists()


def test_register_requires_every_field_but_the_middle_name(api_client):
    response = api_client.post(REGISTER, {})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 400
    assert set(body["errors"]) == {
        "username",
        "email",
        "phone",
        "last_name",
        "first_name",
        "password",
        "password_confirm",
    }


def test_register_accepts_an_empty_middle_name(register):
    response = register(middle_name="")

    assert response.status_code == 201
    assert User.objects.get(username="new.person").middle_name == ""


# --- email confirmation --------------------------------------------------------------------


def test_confirm_with_the_emailed_code_activates_the_account(api_client, pending):
    user, code = pending

    response = api_client.post(CONFIRM, {"email": "new.person@example.com", "code": code})

    assert response.status_code == 200
    assert response.json()["username"] == "new.person"
    user.refresh_from_db()
    assert user.is_active
    assert user.email_confirmed_at is not None
    assert not EmailConfirmation.objects.filter(user=user).exists()


def test_confirm_with_a_wrong_code_fails_and_counts(api_client, pending):
    user, code = pending
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    response = api_client.post(CONFIRM, {"email": user.email, "code": wrong})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 400
    assert "wrong or has expired" in body["message"]
    user.refresh_from_db()
    assert not user.is_active
    assert EmailConfirmation.objects.get(user=user).failed_attempts == 1


def test_confirm_after_five_wrong_codes_refuses_even_the_right_one(api_client, pending):
    user, code = pending
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert api_client.post(CONFIRM, {"email": user.email, "code": wrong}).status_code == 400

    response = api_client.post(CONFIRM, {"email": user.email, "code": code})

    assert response.status_code == 400
    user.refresh_from_db()
    assert not user.is_active
    assert user.email_confirmed_at is None


def test_confirm_with_an_expired_code_fails(api_client, pending):
    user, code = pending
    EmailConfirmation.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = api_client.post(CONFIRM, {"email": user.email, "code": code})

    assert response.status_code == 400
    user.refresh_from_db()
    assert not user.is_active


def test_confirm_code_is_valid_for_fifteen_minutes(api_client, pending):
    user, _code = pending
    confirmation = EmailConfirmation.objects.get(user=user)

    assert confirmation.expires_at - confirmation.sent_at == timedelta(minutes=15)


def test_a_used_code_is_dead(api_client, pending):
    user, code = pending
    assert api_client.post(CONFIRM, {"email": user.email, "code": code}).status_code == 200

    response = api_client.post(CONFIRM, {"email": user.email, "code": code})

    assert response.status_code == 400


def test_confirm_for_an_unknown_email_answers_like_a_wrong_code(api_client, pending):
    _user, code = pending

    response = api_client.post(CONFIRM, {"email": "nobody@example.com", "code": code})

    assert response.status_code == 400
    assert "wrong or has expired" in str(response.json())


@pytest.mark.parametrize("code", ["12345", "1234567", ""])
def test_confirm_refuses_a_code_of_the_wrong_length_without_counting(api_client, pending, code):
    user, _code = pending

    response = api_client.post(CONFIRM, {"email": user.email, "code": code})

    assert response.status_code == 400
    assert "code" in response.json()["errors"]
    assert EmailConfirmation.objects.get(user=user).failed_attempts == 0


def test_resend_during_the_cooldown_answers_400_with_the_seconds_left(resend, pending, mailoutbox):
    user, code = pending
    # The code sent at registration is not re-sent; this first request starts the cool-down.
    assert resend(user.email).status_code == 202

    response = resend(user.email)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 400
    seconds = int(re.search(r"wait (\d+) seconds", body["message"]).group(1))
    assert 0 < seconds <= 60
    assert body["errors"] == {"non_field_errors": [body["message"]]}
    assert len(mailoutbox) == 1
    # The pending code still works.
    assert services.email_confirmation_confirm(email=user.email, code=code) == user


def test_resend_after_the_cooldown_sends_a_new_code_and_kills_the_old(api_client, resend, pending, mailoutbox):
    user, old_code = pending
    EmailConfirmation.objects.filter(user=user).update(sent_at=timezone.now() - timedelta(seconds=61))

    response = resend(user.email.upper())

    assert response.status_code == 202
    assert response.json()["code"] == 202
    assert len(mailoutbox) == 2
    new_code = code_in(mailoutbox[-1])
    if new_code != old_code:
        assert api_client.post(CONFIRM, {"email": user.email, "code": old_code}).status_code == 400
    assert api_client.post(CONFIRM, {"email": user.email, "code": new_code}).status_code == 200


def test_resend_resets_the_wrong_try_counter(api_client, resend, pending, mailoutbox):
    user, code = pending
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        api_client.post(CONFIRM, {"email": user.email, "code": wrong})
    EmailConfirmation.objects.filter(user=user).update(sent_at=timezone.now() - timedelta(minutes=2))

    resend(user.email)

    response = api_client.post(CONFIRM, {"email": user.email, "code": code_in(mailoutbox[-1])})
    assert response.status_code == 200


def test_resend_cooldown_is_the_same_for_an_unknown_and_a_pending_email(resend, pending, mailoutbox):
    user, _code = pending
    answers = {}
    for email in (user.email, "nobody@example.com"):
        first, second = resend(email), resend(email)
        answers[email] = (first.status_code, second.status_code, second.json()["message"])

    assert answers[user.email][:2] == answers["nobody@example.com"][:2] == (202, 400)
    assert re.sub(r"\d+", "N", answers[user.email][2]) == re.sub(r"\d+", "N", answers["nobody@example.com"][2])
    assert len(mailoutbox) == 1


def test_resend_for_an_unknown_or_confirmed_email_answers_the_same_and_sends_nothing(resend, user, mailoutbox):
    unknown = resend("nobody@example.com")
    confirmed = resend(user.email)

    assert unknown.status_code == confirmed.status_code == 202
    assert unknown.json() == confirmed.json()
    assert mailoutbox == []


# --- login ---------------------------------------------------------------------------------


def assert_token_pair_works(response, user: User) -> None:
    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body) == {"access", "refresh"}
    me = bearer_client(body["access"]).get(ME)
    assert me.status_code == 200
    assert me.json()["id"] == user.pk


def test_login_by_email_in_any_case(api_client, user, password):
    response = api_client.post(LOGIN, {"login": f"  {user.email.upper()} ", "password": password})

    assert_token_pair_works(response, user)
    user.refresh_from_db()
    assert user.last_login is not None
    assert AuditEvent.objects.filter(action="accounts.login", actor=user, details__channel="api").exists()


@pytest.mark.parametrize(
    "template",
    ["{p}", "+7 ({a}) {b}-{c}-{d}", "+7 {a} {b} {c} {d}", "+7-{a}-{b}-{c}-{d}", "+7({a}){b}{c}{d}"],
)
def test_login_by_phone_in_any_formatting(api_client, user, password, template):
    phone = user.phone
    login = template.format(p=phone, a=phone[2:5], b=phone[5:8], c=phone[8:10], d=phone[10:])

    response = api_client.post(LOGIN, {"login": login, "password": password})

    assert_token_pair_works(response, user)


def test_login_by_username(api_client, user, password):
    response = api_client.post(LOGIN, {"login": user.username, "password": password})

    assert_token_pair_works(response, user)


def test_users_login_by_username_returns_the_same_tokens(api_client, user, password):
    response = api_client.post(USERNAME_LOGIN, {"username": user.username, "password": password})

    assert_token_pair_works(response, user)


def test_users_login_with_a_wrong_password_answers_400(api_client, user):
    response = api_client.post(USERNAME_LOGIN, {"username": user.username, "password": "Wrong$Pass1"})

    assert response.status_code == 400
    assert response.json() == {"code": 400, "message": "Wrong login or password."}


def test_login_with_a_wrong_password_answers_400_with_a_message(api_client, user):
    response = api_client.post(LOGIN, {"login": user.username, "password": "Wrong$Pass1"})

    assert response.status_code == 400
    assert response.json() == {"code": 400, "message": "Wrong login or password."}
    user.refresh_from_db()
    assert user.last_login is None
    assert AuditEvent.objects.filter(action="accounts.login_failed").count() == 1


def test_login_with_an_unknown_login_answers_like_a_wrong_password(api_client, user):
    response = api_client.post(LOGIN, {"login": "nobody@example.com", "password": "Wrong$Pass1"})

    assert response.status_code == 400
    assert response.json() == {"code": 400, "message": "Wrong login or password."}


def test_login_ignores_a_stale_authorization_header(api_client, user, password):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {_expired_access(user)}")

    response = api_client.post(LOGIN, {"login": user.username, "password": password})

    assert_token_pair_works(response, user)


def test_login_requires_login_and_password(api_client):
    response = api_client.post(LOGIN, {})

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"login", "password"}


def test_login_of_an_unconfirmed_account_answers_403(api_client, pending):
    user, _code = pending

    response = api_client.post(LOGIN, {"login": user.email, "password": NEW_PASSWORD})

    assert response.status_code == 403
    body = response.json()
    assert body["code"] == 403
    assert "Confirm your email" in body["message"]
    assert not OutstandingToken.objects.filter(user=user).exists()


def test_login_of_an_unconfirmed_account_with_a_wrong_password_reveals_nothing(api_client, pending):
    user, _code = pending

    response = api_client.post(LOGIN, {"login": user.email, "password": "Wrong$Pass1"})

    assert response.status_code == 400
    assert response.json() == {"code": 400, "message": "Wrong login or password."}


def test_login_of_a_blocked_user_shows_reason_and_end_after_the_right_password(api_client, user, password):
    until = timezone.now() + timedelta(days=3)
    block(user, until=until)

    response = api_client.post(LOGIN, {"login": user.username, "password": password})

    assert response.status_code == 403
    body = response.json()
    assert body["code"] == 403
    assert body["reason"] == "Spam in chats"
    assert body["blocked_until"] == until.isoformat()
    assert "Spam in chats" in body["message"]
    assert not OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True).exists()


def test_login_of_a_user_blocked_for_good_has_no_end_date(api_client, user, password):
    block(user)

    response = api_client.post(LOGIN, {"login": user.email, "password": password})

    assert response.status_code == 403
    assert response.json()["blocked_until"] is None


def test_login_of_a_blocked_user_with_a_wrong_password_reveals_nothing(api_client, user):
    block(user)

    response = api_client.post(LOGIN, {"login": user.username, "password": "Wrong$Pass1"})

    assert response.status_code == 400
    assert response.json() == {"code": 400, "message": "Wrong login or password."}


def test_login_after_the_block_ended_works(api_client, user, password):
    block(user, until=timezone.now() + timedelta(minutes=5))
    User.objects.filter(pk=user.pk).update(blocked_until=timezone.now() - timedelta(seconds=1))

    response = api_client.post(LOGIN, {"login": user.username, "password": password})

    assert_token_pair_works(response, user)


def test_login_locks_out_after_five_failures_even_with_the_right_password(api_client, user, password):
    for _ in range(4):
        response = api_client.post(LOGIN, {"login": user.username, "password": "Wrong$Pass1"})
        assert response.status_code == 400
    fifth = api_client.post(LOGIN, {"login": user.username, "password": "Wrong$Pass1"})
    assert fifth.status_code == 429  # the fifth failure locks the pair at once

    response = api_client.post(LOGIN, {"login": user.username, "password": password})

    assert response.status_code == 429
    body = response.json()
    assert body["code"] == 429
    assert "Too many failed attempts" in body["message"]
    assert not OutstandingToken.objects.filter(user=user).exists()
    user.refresh_from_db()
    assert user.last_login is None
    assert AuditEvent.objects.filter(action="accounts.locked_out").exists()


def test_lock_out_counts_the_email_in_any_case_as_one_login(api_client, user, password):
    for number in range(5):
        login = user.email.upper() if number % 2 else user.email
        api_client.post(LOGIN, {"login": login, "password": "Wrong$Pass1"})

    response = api_client.post(LOGIN, {"login": user.email, "password": password})

    assert response.status_code == 429


def test_lock_out_applies_to_the_users_login_route_too(api_client, user, password):
    for _ in range(5):
        api_client.post(USERNAME_LOGIN, {"username": user.username, "password": "Wrong$Pass1"})

    response = api_client.post(USERNAME_LOGIN, {"username": user.username, "password": password})

    assert response.status_code == 429
    assert response.json()["code"] == 429


def test_lock_out_is_per_username_and_ip(api_client, user, other_user, password):
    for _ in range(5):
        api_client.post(LOGIN, {"login": user.username, "password": "Wrong$Pass1"})

    other_login = api_client.post(LOGIN, {"login": other_user.username, "password": password})
    other_ip = APIClient(REMOTE_ADDR="10.1.2.3").post(LOGIN, {"login": user.username, "password": password})

    assert_token_pair_works(other_login, other_user)
    assert_token_pair_works(other_ip, user)
    assert AccessAttempt.objects.filter(username=user.username, ip_address="127.0.0.1").exists()


def test_a_successful_login_resets_the_failure_count(api_client, user, password):
    for _ in range(4):
        api_client.post(LOGIN, {"login": user.username, "password": "Wrong$Pass1"})
    assert api_client.post(LOGIN, {"login": user.username, "password": password}).status_code == 200
    for _ in range(4):
        api_client.post(LOGIN, {"login": user.username, "password": "Wrong$Pass1"})

    response = api_client.post(LOGIN, {"login": user.username, "password": password})

    assert response.status_code == 200


def test_a_successful_login_by_email_resets_the_failures_counted_for_that_email(api_client, user, password):
    for _ in range(4):
        api_client.post(LOGIN, {"login": user.email, "password": "Wrong$Pass1"})
    assert api_client.post(LOGIN, {"login": user.email.upper(), "password": password}).status_code == 200
    assert not AccessAttempt.objects.exists()
    for _ in range(4):
        api_client.post(LOGIN, {"login": user.email, "password": "Wrong$Pass1"})

    response = api_client.post(LOGIN, {"login": user.email, "password": password})

    assert response.status_code == 200


# --- refresh and logout --------------------------------------------------------------------


def test_refresh_rotates_and_blacklists_the_old_refresh_token(api_client, user):
    tokens = tokens_for(user)

    response = api_client.post(REFRESH, {"refresh": tokens["refresh"]})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access", "refresh"}
    assert body["refresh"] != tokens["refresh"]
    assert is_blacklisted(tokens["refresh"])
    assert bearer_client(body["access"]).get(ME).status_code == 200
    reused = api_client.post(REFRESH, {"refresh": tokens["refresh"]})
    assert reused.status_code == 401
    assert reused.json() == UNAUTHORIZED
    assert api_client.post(REFRESH, {"refresh": body["refresh"]}).status_code == 200


def test_access_token_lives_fifteen_minutes_and_refresh_seven_days(api_client, user, password):
    body = api_client.post(LOGIN, {"login": user.username, "password": password}).json()

    access = AccessToken(body["access"])
    refresh = RefreshToken(body["refresh"])
    # simplejwt stamps "iat" and "exp" from two readings of the clock: a second may tick between them.
    assert 15 * 60 - 1 <= access["exp"] - access["iat"] <= 15 * 60
    assert refresh["exp"] - refresh["iat"] == 7 * 24 * 3600


@pytest.mark.parametrize("refresh", ["garbage", ""])
def test_refresh_with_a_bad_token_is_refused(api_client, refresh):
    response = api_client.post(REFRESH, {"refresh": refresh})

    assert response.status_code in (400, 401)
    assert response.json()["code"] == response.status_code


def test_refresh_with_an_access_token_is_refused(api_client, user):
    response = api_client.post(REFRESH, {"refresh": tokens_for(user)["access"]})

    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED
    assert OutstandingToken.objects.filter(user=user).count() == 1


def test_refresh_of_a_deleted_account_is_refused(api_client, user):
    tokens = tokens_for(user)
    User.objects.filter(pk=user.pk).delete()  # as the admin's delete does: no token revoked

    response = api_client.post(REFRESH, {"refresh": tokens["refresh"]})

    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED
    assert OutstandingToken.objects.count() == 1


def test_refresh_of_a_blocked_user_is_refused(api_client, user):
    tokens = tokens_for(user)
    block(user)

    response = api_client.post(REFRESH, {"refresh": tokens["refresh"]})

    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_refresh_of_a_blocked_user_is_refused_even_if_the_token_was_not_revoked(api_client, user):
    tokens = tokens_for(user)
    User.objects.filter(pk=user.pk).update(is_blocked=True, blocked_reason="Spam")

    response = api_client.post(REFRESH, {"refresh": tokens["refresh"]})

    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED
    assert not is_blacklisted(tokens["refresh"])
    assert OutstandingToken.objects.filter(user=user).count() == 1


def test_refresh_after_a_password_change_is_refused(api_client, user):
    tokens = tokens_for(user)
    services.user_password_set(user=user, password="Another$Pass2")

    response = api_client.post(REFRESH, {"refresh": tokens["refresh"]})

    assert response.status_code == 401


def test_logout_blacklists_the_refresh_token(user):
    tokens = tokens_for(user)
    client = bearer_client(tokens["access"])

    response = client.post(LOGOUT, {"refresh": tokens["refresh"]})

    assert response.status_code == 204
    assert is_blacklisted(tokens["refresh"])
    refreshed = APIClient().post(REFRESH, {"refresh": tokens["refresh"]})
    assert refreshed.status_code == 401
    assert refreshed.json() == UNAUTHORIZED
    assert AuditEvent.objects.filter(action="accounts.logout", actor=user).exists()


def test_logout_twice_with_the_same_token_is_refused(user):
    tokens = tokens_for(user)
    client = bearer_client(tokens["access"])
    client.post(LOGOUT, {"refresh": tokens["refresh"]})

    response = client.post(LOGOUT, {"refresh": tokens["refresh"]})

    assert response.status_code == 400
    assert "refresh" in response.json()["errors"]


def test_logout_with_someone_elses_refresh_token_is_refused(user, other_user):
    mine = tokens_for(user)
    theirs = tokens_for(other_user)

    response = bearer_client(mine["access"]).post(LOGOUT, {"refresh": theirs["refresh"]})

    assert response.status_code == 400
    assert "refresh" in response.json()["errors"]
    assert not is_blacklisted(theirs["refresh"])


@pytest.mark.parametrize("refresh", ["garbage", None])
def test_logout_with_a_bad_refresh_token_is_refused(user, refresh):
    tokens = tokens_for(user)
    data = {} if refresh is None else {"refresh": refresh}

    response = bearer_client(tokens["access"]).post(LOGOUT, data)

    assert response.status_code == 400
    assert response.json()["code"] == 400
    assert "refresh" in response.json()["errors"]
    assert not BlacklistedToken.objects.exists()


# --- 401 for every protected route ----------------------------------------------------------

PROTECTED = [
    ("get", ME, None),
    ("patch", ME, {"first_name": "Changed"}),
    ("delete", ME, {"password": "Secret$Pass1"}),
    ("get", USERS, None),
    ("get", "/api/users/{pk}/", None),
    ("post", LOGOUT, "refresh"),
]


def _expired_access(user: User) -> str:
    token = AccessToken.for_user(user)
    token.set_exp(from_time=timezone.now() - timedelta(hours=1))
    return str(token)


def _credentials(kind: str, user: User) -> dict:
    if kind == "none":
        return {}
    if kind == "garbage":
        return {"HTTP_AUTHORIZATION": "Bearer not.a.token"}
    if kind == "malformed header":
        return {"HTTP_AUTHORIZATION": "Bearer two parts"}
    if kind == "basic":
        return {"HTTP_AUTHORIZATION": "Basic dXNlcjpwYXNz"}
    if kind == "expired":
        return {"HTTP_AUTHORIZATION": f"Bearer {_expired_access(user)}"}
    if kind == "refresh as access":
        return {"HTTP_AUTHORIZATION": f"Bearer {tokens_for(user)['refresh']}"}
    access = tokens_for(user)["access"]
    if kind == "blocked":
        block(user)
    elif kind == "password changed":
        services.user_password_set(user=user, password="Another$Pass2")
    elif kind == "deactivated":
        User.objects.filter(pk=user.pk).update(is_active=False)
    elif kind == "blocked without revocation":
        User.objects.filter(pk=user.pk).update(is_blocked=True, blocked_reason="Spam")
    return {"HTTP_AUTHORIZATION": f"Bearer {access}"}


@pytest.mark.parametrize(("method", "url", "data"), PROTECTED)
@pytest.mark.parametrize(
    "kind",
    [
        "none",
        "garbage",
        "malformed header",
        "basic",
        "expired",
        "refresh as access",
        "blocked",
        "blocked without revocation",
        "password changed",
        "deactivated",
    ],
)
def test_protected_routes_answer_exactly_401_without_valid_credentials(user, other_user, method, url, data, kind):
    refresh = tokens_for(user)["refresh"]
    if data == "refresh":
        data = {"refresh": refresh}
    headers = _credentials(kind, user)
    user.refresh_from_db()
    before = (user.first_name, User.objects.count(), BlacklistedToken.objects.count())

    response = getattr(APIClient(), method)(url.format(pk=other_user.pk), data, **headers)

    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED
    user.refresh_from_db()
    assert (user.first_name, User.objects.count(), BlacklistedToken.objects.count()) == before


def test_a_session_of_a_blocked_user_stops_working_on_the_api(client, user):
    client.force_login(user)
    assert client.get(ME).status_code == 200
    User.objects.filter(pk=user.pk).update(is_blocked=True, blocked_reason="Spam")

    response = client.get(ME)

    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_session_authentication_works_for_the_api(client, user):
    client.force_login(user)

    response = client.get(ME)

    assert response.status_code == 200
    assert response.json()["username"] == user.username


# --- own profile ---------------------------------------------------------------------------


def test_me_shows_own_data_without_secrets(user_api_client, user):
    response = user_api_client.get(ME)

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == user.pk
    assert body["email"] == user.email
    assert body["phone"] == user.phone
    assert body["groups"] == ["user"]
    assert body["avatar_url"]
    assert not {"password", "is_blocked", "blocked_reason", "is_superuser"} & set(body)


def test_me_patch_updates_the_allowed_fields(user_api_client, user):
    response = user_api_client.patch(
        ME,
        {
            "first_name": "Olga",
            "last_name": "Sidorova",
            "middle_name": "Petrovna",
            "birth_date": "1990-05-17",
            "newsletter": True,
        },
    )

    assert response.status_code == 200
    assert response.json()["full_name"] == "Sidorova Olga Petrovna"
    user.refresh_from_db()
    assert (user.first_name, user.last_name, user.middle_name) == ("Olga", "Sidorova", "Petrovna")
    assert str(user.birth_date) == "1990-05-17"
    assert user.newsletter is True
    assert AuditEvent.objects.filter(action="accounts.profile_updated", target_id=str(user.pk)).exists()


def test_me_patch_normalises_the_phone(user_api_client, user):
    response = user_api_client.patch(ME, {"phone": "+7 (999) 111-22-33"})

    assert response.status_code == 200, response.json()
    assert response.json()["phone"] == "+79991112233"
    user.refresh_from_db()
    assert user.phone == "+79991112233"


def test_me_patch_refuses_a_duplicate_phone_and_changes_nothing(user_api_client, user, other_user):
    before = (user.phone, user.first_name)

    response = user_api_client.patch(ME, {"phone": other_user.phone, "first_name": "Changed"})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 400
    assert "phone" in body["errors"]
    user.refresh_from_db()
    assert (user.phone, user.first_name) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [("phone", "12345"), ("birth_date", "not-a-date"), ("newsletter", "maybe"), ("phone", None)],
)
def test_me_patch_refuses_invalid_values_and_changes_nothing(user_api_client, user, field, value):
    before = User.objects.values().get(pk=user.pk)

    response = user_api_client.patch(ME, {field: value})

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert User.objects.values().get(pk=user.pk) == before


def test_me_patch_ignores_read_only_fields(user_api_client, user, other_user):
    before = User.objects.values().get(pk=user.pk)

    response = user_api_client.patch(
        ME,
        {
            "email": "hijack@example.com",
            "username": "hijacker",
            "id": other_user.pk,
            "groups": ["manager"],
            "date_joined": "2000-01-01T00:00:00Z",
            "is_staff": True,
            "is_superuser": True,
            "is_blocked": True,
            "password": "Other$Pass1",
        },
    )

    assert response.status_code == 200
    assert response.json()["email"] == before["email"]
    assert User.objects.values().get(pk=user.pk) == before
    assert list(user.groups.values_list("name", flat=True)) == ["user"]


def test_me_delete_with_a_wrong_password_is_refused(user_api_client, user):
    response = user_api_client.delete(ME, {"password": "Wrong$Pass1"})

    assert response.status_code == 400
    assert "password" in response.json()["errors"]
    assert User.objects.filter(pk=user.pk).exists()


def test_me_delete_without_a_password_is_refused(user_api_client, user):
    response = user_api_client.delete(ME)

    assert response.status_code == 400
    assert "password" in response.json()["errors"]
    assert User.objects.filter(pk=user.pk).exists()


def test_me_delete_with_the_password_deletes_the_account_and_its_tokens(user, password):
    tokens = tokens_for(user)
    client = bearer_client(tokens["access"])

    response = client.delete(ME, {"password": password})

    assert response.status_code == 204
    assert not User.objects.filter(pk=user.pk).exists()
    assert is_blacklisted(tokens["refresh"])
    assert client.get(ME).status_code == 401
    assert APIClient().post(REFRESH, {"refresh": tokens["refresh"]}).status_code == 401


# --- user list and detail ------------------------------------------------------------------


def test_users_list_shows_public_data_of_active_users_only(user_api_client, user, other_user):
    inactive = UserFactory(is_active=False)

    response = user_api_client.get(USERS)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    ids = [row["id"] for row in body["results"]]
    assert set(ids) == {user.pk, other_user.pk}
    assert inactive.pk not in ids
    assert set(body["results"][0]) == {
        "id",
        "username",
        "first_name",
        "last_name",
        "middle_name",
        "full_name",
        "avatar_url",
    }


def test_users_list_searches_by_username_prefix(user_api_client):
    quinn = UserFactory(username="quinn.k")
    quinnette = UserFactory(username="Quinnette")
    UserFactory(username="joquinn")
    UserFactory(username="quinn.x", is_active=False)

    response = user_api_client.get(USERS, {"search": "quin"})

    assert {row["id"] for row in response.json()["results"]} == {quinn.pk, quinnette.pk}


def test_users_list_also_finds_first_and_last_name_prefixes_in_any_alphabet(user_api_client):
    olga = UserFactory(username="o.k", first_name="Ольга", last_name="Owen")
    orlov = UserFactory(username="bob", first_name="Bob", last_name="ольхин")
    UserFactory(username="carol", first_name="Carol", last_name="Вольская")  # "оль" inside, not at the start
    UserFactory(username="gone", first_name="Ольга", is_active=False)

    response = user_api_client.get(USERS, {"search": " ОЛЬ "})

    assert {row["id"] for row in response.json()["results"]} == {olga.pk, orlov.pk}


def test_users_list_is_paginated_twenty_by_default(user_api_client):
    UserFactory.create_batch(25)

    response = user_api_client.get(USERS)

    body = response.json()
    assert body["count"] == 26
    assert len(body["results"]) == 20
    assert body["previous"] is None
    assert "page=2" in body["next"]
    second = user_api_client.get(body["next"]).json()
    assert len(second["results"]) == 6
    assert second["next"] is None


def test_users_list_clamps_page_size_to_one_hundred(user_api_client):
    UserFactory.create_batch(104)

    response = user_api_client.get(USERS, {"page_size": 1000})

    body = response.json()
    assert body["count"] == 105
    assert len(body["results"]) == 100


@pytest.mark.parametrize("page_size", ["0", "-5", "abc"])
def test_users_list_falls_back_to_the_default_page_size(user_api_client, page_size):
    UserFactory.create_batch(21)

    response = user_api_client.get(USERS, {"page_size": page_size})

    assert response.status_code == 200
    assert len(response.json()["results"]) == 20


@pytest.mark.parametrize("page", ["99", "abc", "0", "-1"])
def test_users_list_with_a_bad_page_answers_400_naming_the_valid_range(user_api_client, page):
    response = user_api_client.get(USERS, {"page": page})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 400
    assert body["errors"]["page"] == ["Choose a page from 1 to 1."]


@pytest.mark.parametrize("page_size", [5, 100])
def test_users_list_query_count_does_not_grow_with_the_page_size(
    user_api_client, django_assert_max_num_queries, page_size
):
    UserFactory.create_batch(100, avatar="avatars/x.png")

    with django_assert_max_num_queries(2):
        response = user_api_client.get(USERS, {"page_size": page_size})

    assert len(response.json()["results"]) == page_size


def test_user_detail_shows_an_active_user(user_api_client, other_user):
    response = user_api_client.get(f"/api/users/{other_user.pk}/")

    assert response.status_code == 200
    assert response.json()["username"] == other_user.username
    assert "email" not in response.json()


def test_user_detail_of_an_inactive_user_answers_404(user_api_client):
    inactive = UserFactory(is_active=False)

    response = user_api_client.get(f"/api/users/{inactive.pk}/")

    assert response.status_code == 404
    assert response.json()["code"] == 404


def test_user_detail_of_an_unknown_id_answers_404(user_api_client):
    response = user_api_client.get("/api/users/999999/")

    assert response.status_code == 404
    assert response.json() == {"code": 404, "message": "Not found."}


# --- throttling ----------------------------------------------------------------------------


@pytest.fixture
def auth_rate(monkeypatch):
    """Shrink the "auth" scope's rate; DRF read the rates into a class attribute at import."""
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "auth", "2/minute")


def test_auth_routes_are_throttled_with_the_error_shape(auth_rate, register, mailoutbox):
    assert register(username="first.one", email="a@example.com", phone="+79990000001").status_code == 201
    assert register(username="second.one", email="b@example.com", phone="+79990000002").status_code == 201

    response = register(username="third.one", email="c@example.com", phone="+79990000003")

    assert response.status_code == 429
    body = response.json()
    assert body["code"] == 429
    assert body["message"]
    assert 0 < body["retry_after"] <= 60
    assert not User.objects.filter(username="third.one").exists()
    assert len(mailoutbox) == 2


def test_login_is_throttled_before_the_password_is_checked(auth_rate, api_client, user, password):
    for _ in range(2):
        api_client.post(LOGIN, {"login": user.username, "password": "Wrong$Pass1"})

    response = api_client.post(LOGIN, {"login": user.username, "password": password})

    assert response.status_code == 429
    assert response.json()["code"] == 429
    assert not OutstandingToken.objects.filter(user=user).exists()


def test_refresh_shares_the_auth_throttle(auth_rate, api_client, user):
    tokens = tokens_for(user)
    refresh = api_client.post(REFRESH, {"refresh": tokens["refresh"]}).json()["refresh"]
    api_client.post(REFRESH, {"refresh": refresh})

    response = api_client.post(REFRESH, {"refresh": refresh})

    assert response.status_code == 429
    assert response.json()["code"] == 429
