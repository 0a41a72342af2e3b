"""Keeps the "last use" of browser sessions on the Devices page roughly current."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from accounts import services

SEEN_SESSION_KEY = "accounts_device_seen"


class DeviceActivityMiddleware:
    """Record a signed-in browser's use at most once per ACCOUNTS_DEVICE_SEEN_INTERVAL seconds.

    The time of the last record is kept in the session itself, so most requests cost nothing.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if user is not None and user.is_authenticated and session is not None and session.session_key:
            now = timezone.now().timestamp()
            if now - session.get(SEEN_SESSION_KEY, 0) >= settings.ACCOUNTS_DEVICE_SEEN_INTERVAL:
                session[SEEN_SESSION_KEY] = now
                services.device_seen(session_key=session.session_key)
        return response
