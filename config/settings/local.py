"""Embedded default for a developer machine: `make run`."""

import secrets

from .base import *  # noqa: F403
from .base import BASE_DIR, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SERVE_PUBLIC_MEDIA = env.bool("SERVE_PUBLIC_MEDIA", default=True)
# `fill` makes the demo "owner" a staff superuser, so a newcomer can open /admin/ at once.
DEMO_SUPERUSER = env.bool("DJANGO_DEMO_SUPERUSER", default=True)


def _local_secret_key() -> str:
    """A random key kept in an ignored file, so sessions survive restarts without a committed secret."""
    key_file = BASE_DIR / ".secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="") or _local_secret_key()
