"""Login lock-out: django-axes counts failures per account and address; we add a per-address cap.

Axes keys its counters on the name typed into the form, so five wrong passwords for a
username followed by the right password with the same account's email used to get through.
``account_key`` (``AXES_USERNAME_CALLABLE``) resolves whatever was typed to the account first,
so every spelling of one account (username, email, phone; web, admin and API logins) shares
one count. Axes has a single failure limit, so the larger limit per address across accounts
(``ACCOUNTS_LOGIN_IP_FAILURE_LIMIT``) is read from axes' own records here.
"""

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.selectors import user_by_login
from accounts.validators import PHONE_PATTERN, normalize_phone

# Usernames cannot contain "@" or "+", so these keys of unknown logins never name an account.
UNKNOWN_LOGIN_PREFIX = "?"


def login_key(login: str) -> str:
    """The name failures are counted under: the account's username, or the normalised login typed."""
    login = (login or "").strip()
    user = user_by_login(login)
    if user is not None:
        return user.username
    if "@" in login:
        return f"{UNKNOWN_LOGIN_PREFIX}{login.lower()}"
    if PHONE_PATTERN.match(normalize_phone(login)):
        return f"{UNKNOWN_LOGIN_PREFIX}{normalize_phone(login)}"
    return f"{UNKNOWN_LOGIN_PREFIX}{login}"


def account_key(request: HttpRequest | None, credentials: dict | None) -> str | None:
    """``AXES_USERNAME_CALLABLE``: axes asks several times per login, so the answer is kept on the request."""
    typed = (credentials or {}).get("username")
    if typed is None:
        return None
    cache = getattr(request, "_accounts_login_keys", None) if request is not None else None
    if cache is None:
        cache = {}
        if request is not None:
            request._accounts_login_keys = cache  # type: ignore[attr-defined]  # our own per-request memo
    if typed not in cache:
        cache[typed] = login_key(typed)
    return cache[typed]


def address_failures(ip_address: str | None) -> int:
    """Failed logins from one address across all accounts within the cool-off time."""
    if not ip_address:
        return 0
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    total = AccessAttempt.objects.filter(ip_address=ip_address, attempt_time__gte=since).aggregate(
        total=Sum("failures_since_start")
    )["total"]
    return total or 0


def address_is_locked_out(ip_address: str | None) -> bool:
    return address_failures(ip_address) >= settings.ACCOUNTS_LOGIN_IP_FAILURE_LIMIT


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return _("Too many failed attempts. Try again in %(minutes)s minutes.") % {"minutes": minutes}


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """What django-axes answers once an account/address pair (or an address) is locked out."""
    message = lockout_message()
    if request.path.startswith("/api/"):
        return JsonResponse({"code": 429, "message": message}, status=429)
    return render(request, "accounts/locked_out.html", {"message": message}, status=429)
