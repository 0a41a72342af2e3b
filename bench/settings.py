"""Production settings for the benchmark server, with the bench-only URL configuration.

Everything production does stays on (DEBUG off, whitenoise's manifest storage, the middleware, the
throttle classes); only what a loopback benchmark cannot satisfy is given a value here: a secret
key, the host name, plain HTTP instead of the HTTPS redirect, and API throttle rates high enough
that the load generator measures the work, not 429 answers. The environment still wins.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-key-not-a-secret-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("DJANGO_SECURE_HSTS_SECONDS", "0")
for _scope in ("ANON", "USER", "AUTH"):
    os.environ.setdefault(f"API_THROTTLE_{_scope}", "1000000/minute")

from config.settings.production import *  # noqa: E402, F403

ROOT_URLCONF = "bench.urls"
# The bench talks plain HTTP on loopback: secure-only cookies would never be sent back.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
