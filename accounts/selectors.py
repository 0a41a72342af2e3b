"""Reads for accounts."""

from django.contrib.sessions.models import Session
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.models import User, UserSession
from accounts.validators import PHONE_PATTERN, normalize_phone


def user_by_login(login: str) -> User | None:
    """The user whose email, phone or username is ``login`` (one field for all three)."""
    login = (login or "").strip()
    if not login:
        return None
    if "@" in login:
        return User.objects.filter(email__iexact=login).first()
    phone = normalize_phone(login)
    if PHONE_PATTERN.match(phone):
        # "89123456789" is a phone written with the trunk prefix, but may also be a digits-only username.
        return User.objects.filter(phone=phone).first() or User.objects.filter(username=login).first()
    return User.objects.filter(username=login).first()


def user_search(*, query: str = "") -> QuerySet[User]:
    """Active users, optionally those whose username, first name or last name starts with ``query``
    (people pickers: typing "Olg" finds Olga whatever her username)."""
    users = User.objects.filter(is_active=True).order_by("username", "id")
    prefix = query.strip().lower()
    if prefix:
        # lower() on both sides rather than LIKE's own folding, which is ASCII-only on SQLite.
        users = users.alias(
            username_lower=Lower("username"), first_name_lower=Lower("first_name"), last_name_lower=Lower("last_name")
        ).filter(
            Q(username_lower__startswith=prefix)
            | Q(first_name_lower__startswith=prefix)
            | Q(last_name_lower__startswith=prefix)
        )
    return users


def live_devices() -> QuerySet[UserSession]:
    """Devices still signed in: their browser session or their current refresh token has not expired."""
    now = timezone.now()
    live_sessions = Session.objects.filter(expire_date__gt=now).values("session_key")
    live_tokens = OutstandingToken.objects.filter(expires_at__gt=now, blacklistedtoken__isnull=True).values("jti")
    return UserSession.objects.filter(
        Q(kind=UserSession.Kind.WEB, session_key__in=live_sessions)
        | Q(kind=UserSession.Kind.API, refresh_jti__in=live_tokens)
    )


def user_devices(*, user: User) -> QuerySet[UserSession]:
    """The user's signed-in browsers and API clients, most recently used first."""
    return live_devices().filter(user=user).order_by(F("last_used_at").desc(nulls_last=True), "-created_at", "-id")
