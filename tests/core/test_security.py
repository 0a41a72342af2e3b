import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]


def production_env(**extra: str) -> dict[str, str]:
    # Set by the browser tests for Playwright, which may have run earlier in this parallel worker.
    inherited = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "agora.example.com",
        **extra,
    }


def test_check_deploy_is_clean_under_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = production_env()
    del env["DJANGO_SECRET_KEY"]
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.django_db
def test_pages_carry_the_security_headers(client):
    response = client.get(reverse("core:home"))
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_forms_are_protected_against_csrf(user, password):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("accounts:login"), {"login": user.username, "password": password})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_pages_reference_no_cdn(client):
    content = client.get(reverse("core:home")).content.decode()
    assert "cdn" not in content.lower()
    assert "/static/vendor/bootstrap/css/bootstrap.min.css" in content


@pytest.mark.skipif(shutil.which("crontab") is None, reason="no crontab binary (apt-get install cron)")
def test_django_crontab_installs_every_job_into_the_system_crontab():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}

    def manage(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", "crontab", *args], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    manage("add")
    try:
        shown = manage("show")
        installed = subprocess.run(["crontab", "-l"], capture_output=True, text=True).stdout
    finally:
        manage("remove")
    from core.schedule import JOBS

    assert shown.count("core.jobs.run_job") == len(JOBS)
    for job in JOBS:
        assert job.name in shown
        assert job.cron in installed
