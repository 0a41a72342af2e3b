"""Helpers for tests that start real child processes (run_cron.py, a Celery worker)."""

import os

from django.conf import settings
from django.db import connection


def child_database_env() -> dict[str, str]:
    """Environment that points a child process at this test's database (SQLite file or PostgreSQL)
    and at this test run's cache (a parallel worker has its own Redis database)."""
    # The child must not shift the Redis database again as if it were a parallel worker itself.
    cache = {"REDIS_URL": settings.REDIS_URL, "PYTEST_XDIST_WORKER": ""} if settings.REDIS_URL else {}
    name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        return {"SQLITE_PATH": str(name), "DATABASE_URL": "", **cache}
    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    return {"DATABASE_URL": f"{base}/{name}", **cache}
