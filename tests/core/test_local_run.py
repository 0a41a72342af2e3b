"""`make run` for a newcomer: the local-only demo superuser, a quiet run_cron.py, and the
run_local launcher that Ctrl-C stops cleanly."""

import io
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from accounts import demo
from accounts.models import User
from core.jobs import describe_result, result_did_something
from core.log_filters import QuietPolling
from tests.processes import child_database_env

ROOT = Path(django_settings.BASE_DIR)


# --- the demo superuser --------------------------------------------------------------------


@pytest.mark.django_db
def test_fill_in_local_mode_makes_the_owner_a_staff_superuser_and_says_so(settings):
    settings.DEMO_SUPERUSER = True
    out = io.StringIO()

    demo.fill(scale=1, stdout=out)

    owner = User.objects.get(username="owner")
    assert owner.is_superuser and owner.is_staff and owner.check_password(demo.DEMO_PASSWORD)
    assert "owner      superuser     login: owner@example.com  (staff superuser: /admin/)" in out.getvalue()


@pytest.mark.django_db
def test_fill_elsewhere_creates_no_superuser(settings):
    settings.DEMO_SUPERUSER = False
    out = io.StringIO()

    demo.fill(scale=1, stdout=out)

    assert not User.objects.filter(is_superuser=True).exists()
    owner = User.objects.get(username="owner")
    assert not owner.is_staff
    assert "superuser" not in out.getvalue()


def settings_value(module: str, name: str, **env: str) -> str:
    """A setting as a fresh process with ``module`` as its settings sees it."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import django; django.setup(); from django.conf import settings; print(settings.{name})",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": module,
            "DJANGO_SECRET_KEY": "only-for-this-check-" + "x" * 40,
            "DJANGO_ALLOWED_HOSTS": "agora.example.com",
            **env,
        },
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_only_local_settings_let_fill_make_a_superuser():
    assert settings_value("config.settings.local", "DEMO_SUPERUSER") == "True"
    assert settings_value("config.settings.production", "DEMO_SUPERUSER", DJANGO_DEMO_SUPERUSER="true") == "False"
    assert settings_value("config.settings.test", "DEMO_SUPERUSER") == "False"


# --- run_cron.py prints only what happened -------------------------------------------------


@pytest.mark.parametrize(
    ("result", "did"),
    [
        (0, False),
        (None, False),
        (3, True),
        ({"week": "2026-W48", "sent": 0, "failed": 0}, False),
        ({"week": "2026-W48", "sent": 2, "failed": 0}, True),
        ({"expired": 0, "orphans": 1}, True),
    ],
)
def test_a_job_result_counts_as_work_done_only_with_a_number_above_zero(result, did):
    assert result_did_something(result) is did


def test_a_summary_is_described_by_its_texts_and_non_zero_counts():
    assert (
        describe_result({"week": "2026-W48", "sent": 2, "failed": 0, "skipped": 1})
        == "week 2026-W48, sent 2, skipped 1"
    )
    assert describe_result(4) == "4"


# --- run_local: the server and run_cron.py, stopped together --------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_run_local(port: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_local", f"127.0.0.1:{port}", "--cron-interval", "1"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", **child_database_env()},
    )


def wait_until_served(port: int, process: subprocess.Popen) -> int:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5) as response:
                return response.status
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise AssertionError("the server did not answer")


def port_is_open(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_stops_the_server_and_run_cron_and_exits_zero(sig):
    port = free_port()
    process = start_run_local(port)
    try:
        assert wait_until_served(port, process) == 200

        process.send_signal(sig)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()

    assert process.returncode == 0, output
    assert f"Agora: http://127.0.0.1:{port}" in output
    assert "run_cron: 10 jobs" in output
    assert output.rstrip().endswith("Agora stopped."), output
    assert "Traceback" not in output and "Error" not in output, output
    assert not port_is_open(port)  # the server (and its autoreloader child) has gone


@pytest.mark.django_db(transaction=True)
def test_when_the_server_cannot_start_run_cron_is_stopped_and_the_command_fails():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = start_run_local(port)
        output, _ = process.communicate(timeout=90)

    assert process.returncode == 1, output
    assert "the server ended with exit code 1; the other was stopped." in output


# --- the development server's console --------------------------------------------------------


def server_line(request_line: str, status: int) -> logging.LogRecord:
    return logging.LogRecord("django.server", logging.INFO, __file__, 1, '"%s" %s %s', (request_line, status, 12), None)


def test_the_server_console_leaves_out_the_badges_polling_but_keeps_pages_and_errors():
    quiet = QuietPolling()
    polled = server_line("GET /nav/badges/ HTTP/1.1", 200)
    failed = server_line("GET /nav/badges/ HTTP/1.1", 500)
    failed.status_code = 500
    page = server_line("GET /shop/ HTTP/1.1", 200)

    assert quiet.filter(polled) is False
    assert quiet.filter(failed) is True
    assert quiet.filter(page) is True


def test_the_server_logger_uses_the_quiet_filter():
    handler = logging.getLogger("django.server").handlers[0]

    assert any(isinstance(item, QuietPolling) for item in handler.filters)
