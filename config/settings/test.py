"""Settings for the test suite: SQLite by default, PostgreSQL/Redis when their URLs are set."""

import os

from .base import *  # noqa: F403
from .base import BASE_DIR, CACHES, DATABASES, REDIS_URL

DEBUG = False
SECRET_KEY = "test-only-key-not-a-secret-0123456789-abcdefghijklmnopqrstuvwxyz"  # noqa: S105
ALLOWED_HOSTS = ["*"]

# Fast hashing: the suite creates many users; the production hasher is not under test here.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# A file-backed SQLite test database lets a separate process (the Celery worker test, the
# browser tests' live server) see committed rows; the in-memory default would not.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # One file per run, so two test runs in the same checkout never share a database.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / f".pytest-db-{os.getpid()}.sqlite3")}

# A server process started by a test (the API fuzzing run) is pointed at that test's upload folders.
MEDIA_ROOT = env.str("TEST_MEDIA_ROOT", default=str(BASE_DIR / "artifacts" / "test-media"))
PRIVATE_MEDIA_ROOT = env.str("TEST_PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "artifacts" / "test-private-media"))
BACKUP_DIR = BASE_DIR / "artifacts" / "test-backups"
CELERY_TASK_ALWAYS_EAGER = True

# Serve static files from the finders (no collectstatic needed for the browser tests' live server).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
SERVE_PUBLIC_MEDIA = True

# Parallel runs (pytest-xdist): each worker gets its own Redis database, because the suite clears the
# cache between tests and django-redis clears a whole database, whatever the key prefix.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if REDIS_URL and _WORKER.startswith("gw"):
    _base, _, _database = REDIS_URL.rpartition("/")
    REDIS_URL = f"{_base}/{int(_database or 0) + int(_WORKER[2:])}"
    CACHES["default"]["LOCATION"] = REDIS_URL
