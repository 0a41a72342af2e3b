"""Reads for accounts."""

from django.db.models import F, QuerySet

from accounts.models import User, UserSession
from accounts.validators import PHONE_PATTERN, normalize_phone


def user_by_login(login: str) -> User | None:
    """The user whose email, phone or username is ``login`` (one field for all three)."""
    login = (login or "").strip()
    if not login:
        return None
    if "@" in login:
        lookup = {"email__iexact": login}
    elif PHONE_PATTERN.match(normalize_phone(login)):
        lookup = {"phone": normalize_phone(login)}
    else:
        lookup = {"username": login}
    return User.objects.filter(**lookup).first()


def user_search(*, query: str = "") -> QuerySet[User]:
    """Active users, optionally those whose username starts with ``query``."""
    users = User.objects.filter(is_active=True).order_by("username", "id")
    if query:
        users = users.filter(username__istartswith=query.strip())
    return users


def user_devices(*, user: User) -> QuerySet[UserSession]:
    """The user's signed-in browsers and API clients, most recently used first."""
    return UserSession.objects.filter(user=user).order_by(F("last_used_at").desc(nulls_last=True), "-created_at", "-id")
