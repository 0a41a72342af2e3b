"""Rate limits of the public account forms (register, resend code, password reset), in the cache.

The cache is Redis in full mode, so every web node shares the counts. Each form counts its
submissions per client address and per email typed, in fixed windows.
"""

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from core.request_info import client_ip


def _count(key: str, window: int) -> int:
    # ``add`` then ``incr`` are atomic in Redis and in the local-memory cache alike.
    if cache.add(key, 1, timeout=window):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.set(key, 1, timeout=window)
        return 1


def form_rate_limit_hit(*, request: HttpRequest, form: str, email: str = "") -> bool:
    """Count one submission of ``form``; True when it goes over the per-address or per-email limit."""
    window = settings.ACCOUNTS_FORM_RATE_WINDOW_SECONDS
    ip_address = client_ip(request) or "unknown"
    over = _count(f"accounts:rate:{form}:ip:{ip_address}", window) > settings.ACCOUNTS_FORM_RATE_LIMIT_PER_IP
    email = (email or "").strip().lower()
    if email:
        # Hashed: the cache holds no email addresses.
        digest = salted_hmac("accounts.form-rate", email).hexdigest()
        over |= _count(f"accounts:rate:{form}:email:{digest}", window) > settings.ACCOUNTS_FORM_RATE_LIMIT_PER_EMAIL
    return over


def rate_limited_message() -> str:
    minutes = max(1, settings.ACCOUNTS_FORM_RATE_WINDOW_SECONDS // 60)
    return _("Too many requests from you. Please try again in %(minutes)s minutes.") % {"minutes": minutes}
