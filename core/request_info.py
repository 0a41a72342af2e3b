"""Facts about the request shared by audit, lock-out and throttling."""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or the address TRUSTED_PROXY_COUNT proxies reported.

    X-Forwarded-For is only believed as far as our own proxies wrote it, so a client cannot
    pick its own address to dodge the lock-out.
    """
    proxies: int = settings.TRUSTED_PROXY_COUNT
    forwarded: str = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
        if len(addresses) >= proxies:
            return addresses[-proxies]
    remote: str | None = request.META.get("REMOTE_ADDR")
    return remote or None
