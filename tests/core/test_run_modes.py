"""Each row of the run-mode table switches by its environment variable alone."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"],
    "database_name": str(settings.DATABASES["default"]["NAME"]),
    "cache": settings.CACHES["default"]["BACKEND"],
    "email": settings.EMAIL_BACKEND,
    "email_host": getattr(settings, "EMAIL_HOST", ""),
    "email_port": getattr(settings, "EMAIL_PORT", 0),
    "email_tls": getattr(settings, "EMAIL_USE_TLS", False),
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "broker": settings.CELERY_BROKER_URL,
    "sessions": settings.SESSION_ENGINE,
}))
"""
INFRASTRUCTURE = ("DATABASE_URL", "REDIS_URL", "EMAIL_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")


def settings_under(module: str, **variables: str) -> dict:
    env = {key: value for key, value in os.environ.items() if key not in INFRASTRUCTURE}
    env.update({"DJANGO_SETTINGS_MODULE": module, **variables})
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_embedded_default_uses_sqlite_local_memory_inline_tasks_and_console_email():
    probe = settings_under("config.settings.local")
    assert probe["engine"] == "django.db.backends.sqlite3"
    assert probe["database_name"].endswith("db.sqlite3")
    assert probe["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert probe["email"] == "django.core.mail.backends.console.EmailBackend"
    assert probe["eager"] is True
    assert probe["sessions"] == "django.contrib.sessions.backends.db"


def test_database_url_alone_switches_to_postgresql():
    probe = settings_under("config.settings.local", DATABASE_URL="postgres://agora@db.example:5432/agora")
    assert probe["engine"] == "django.db.backends.postgresql"
    assert probe["database_name"] == "agora"
    assert probe["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert probe["eager"] is True


def test_redis_url_alone_switches_cache_sessions_and_celery_broker():
    probe = settings_under("config.settings.local", REDIS_URL="redis://cache.example:6379/2")
    assert probe["cache"] == "django_redis.cache.RedisCache"
    assert probe["broker"] == "redis://cache.example:6379/2"
    assert probe["eager"] is False
    assert probe["sessions"] == "django.contrib.sessions.backends.cached_db"
    assert probe["engine"] == "django.db.backends.sqlite3"


def test_email_url_alone_switches_to_smtp():
    probe = settings_under("config.settings.local", EMAIL_URL="smtp+tls://user:secret@mail.example:587")
    assert probe["email"] == "django.core.mail.backends.smtp.EmailBackend"
    assert probe["email_host"] == "mail.example"
    assert probe["email_port"] == 587
    assert probe["email_tls"] is True
    assert probe["cache"] == "django.core.cache.backends.locmem.LocMemCache"


@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite-only property; this run uses PostgreSQL")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
