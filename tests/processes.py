"""Helpers for tests that start real child processes (run_cron.py, a Celery worker)."""

import os

from django.db import connection


def child_database_env() -> dict[str, str]:
    """Environment that points a child process at this test's database (SQLite file or PostgreSQL)."""
    name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        return {"SQLITE_PATH": str(name), "DATABASE_URL": ""}
    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    return {"DATABASE_URL": f"{base}/{name}"}
