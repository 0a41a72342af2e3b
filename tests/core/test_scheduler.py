import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from core import jobs, services
from core.models import AuditEvent, JobRun
from core.schedule import JOBS, celery_beat_schedule, crontab_jobs, job_by_name
from tests.factories import UserFactory
from tests.processes import child_database_env

ROOT = Path(__file__).resolve().parents[2]
EXPECTED_JOBS = {"accounts.purge_unconfirmed_registrations", "accounts.lift_expired_blocks", "core.purge_audit_events"}


def test_every_job_is_declared_once_and_served_to_all_three_schedulers():
    names = [job.name for job in JOBS]
    assert len(names) == len(set(names))
    assert EXPECTED_JOBS <= set(names)
    assert set(celery_beat_schedule()) == set(names)
    assert {entry[2][0] for entry in crontab_jobs()} == set(names)
    assert settings.CELERY_BEAT_SCHEDULE.keys() == celery_beat_schedule().keys()
    assert settings.CRONJOBS == crontab_jobs()


def test_beat_entries_call_the_generic_task_with_the_job_name():
    entry = celery_beat_schedule()["accounts.lift_expired_blocks"]
    assert entry["task"] == "core.run_scheduled_job"
    assert entry["args"] == ("accounts.lift_expired_blocks",)


def test_crontab_entries_use_the_declared_cron_expression():
    for cron, function, args in crontab_jobs():
        assert function == "core.jobs.run_job"
        assert cron == job_by_name(args[0]).cron


def test_unknown_job_name_is_refused():
    with pytest.raises(KeyError):
        job_by_name("nope")


def test_due_follows_the_cron_expression():
    job = job_by_name("core.purge_audit_events")  # 03:17 daily
    last = datetime(2026, 1, 1, 3, 17, tzinfo=UTC)
    assert not job.is_due(last_started_at=last, now=last + timedelta(hours=23))
    assert job.is_due(last_started_at=last, now=last + timedelta(days=1, minutes=1))
    assert job.is_due(last_started_at=None, now=last)


@pytest.mark.django_db
def test_a_due_run_is_claimed_by_exactly_one_runner():
    job = job_by_name("accounts.lift_expired_blocks")
    now = timezone.now()
    assert services.job_run_claim(job=job, now=now) is True
    assert services.job_run_claim(job=job, now=now) is False
    JobRun.objects.filter(name=job.name).update(last_started_at=now - timedelta(minutes=2))
    assert services.job_run_claim(job=job, now=now) is True


@pytest.mark.django_db
def test_a_runner_that_read_a_stale_state_loses_the_claim(monkeypatch):
    job = job_by_name("accounts.lift_expired_blocks")
    now = timezone.now()
    stale = JobRun.objects.create(name=job.name, last_started_at=now - timedelta(minutes=5))
    # Another runner claims between our read and our write: we still hold the old value.
    JobRun.objects.filter(pk=stale.pk).update(last_started_at=now - timedelta(seconds=1))
    monkeypatch.setattr(JobRun.objects, "get_or_create", lambda **lookup: (stale, False))

    assert services.job_run_claim(job=job, now=now) is False
    assert JobRun.objects.get(pk=stale.pk).last_started_at == now - timedelta(seconds=1)


@pytest.mark.django_db
def test_run_due_jobs_runs_each_job_once_and_records_the_outcome():
    ran = jobs.run_due_jobs()
    assert set(ran) == {job.name for job in JOBS}
    assert jobs.run_due_jobs() == []
    assert set(JobRun.objects.values_list("last_status", flat=True)) == {"ok"}


@pytest.mark.django_db
def test_a_failing_job_is_recorded_and_does_not_stop_the_others(monkeypatch):
    def explode() -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("accounts.jobs.lift_expired_blocks", explode)
    ran = jobs.run_due_jobs()
    assert len(ran) == len(JOBS)
    failed = JobRun.objects.get(name="accounts.lift_expired_blocks")
    assert failed.last_status == "failed"
    assert "boom" in failed.last_result
    assert JobRun.objects.get(name="core.purge_audit_events").last_status == "ok"


@pytest.mark.django_db
def test_audit_events_past_retention_are_purged(settings):
    settings.AUDIT_RETENTION_DAYS = 90
    old = AuditEvent.objects.create(action="x")
    AuditEvent.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=91))
    recent = AuditEvent.objects.create(action="y")
    AuditEvent.objects.filter(pk=recent.pk).update(created_at=timezone.now() - timedelta(days=89))

    assert jobs.purge_audit_events() == 1
    assert jobs.purge_audit_events() == 0
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["y"]


@pytest.mark.django_db
def test_celery_task_runs_the_named_job_inline_in_embedded_mode():
    from core.tasks import run_scheduled_job

    user = UserFactory(is_blocked=True, blocked_reason="x", blocked_until=timezone.now() - timedelta(minutes=1))
    result = run_scheduled_job.delay("accounts.lift_expired_blocks")
    assert result.get() == "1"
    user.refresh_from_db()
    assert not user.is_blocked


def run_cron(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "run_cron.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
    )


def test_run_cron_list_prints_the_schedule():
    result = run_cron("--list")
    assert result.returncode == 0, result.stderr
    for job in JOBS:
        assert job.name in result.stdout
        assert job.cron in result.stdout


@pytest.mark.django_db(transaction=True)
def test_run_cron_once_runs_due_jobs():
    # The test database is a file (see settings/test.py), so the child process can open it.
    result = subprocess.run(
        [sys.executable, "run_cron.py", "--once"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", **child_database_env()},
    )
    assert result.returncode == 0, result.stderr
    assert "accounts.lift_expired_blocks" in result.stdout
    assert JobRun.objects.filter(last_status="ok").count() == len(JOBS)


def _run_cron_process(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "run_cron.py", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", **child_database_env()},
    )


@pytest.mark.django_db(transaction=True)
def test_two_runners_started_together_run_each_due_job_once():
    first, second = _run_cron_process("--once"), _run_cron_process("--once")
    outputs = [process.communicate(timeout=120) for process in (first, second)]
    assert first.returncode == second.returncode == 0, outputs
    ran = []
    for stdout, _stderr in outputs:
        line = stdout.strip().splitlines()[-1]
        if line != "ran: nothing was due":
            ran += line.removeprefix("ran: ").split(", ")
    assert sorted(ran) == sorted(job.name for job in JOBS)


@pytest.mark.django_db(transaction=True)
def test_run_cron_loop_runs_jobs_and_stops_cleanly_on_sigterm():
    import signal
    import time

    old = AuditEvent.objects.create(action="x")
    AuditEvent.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=400))
    process = _run_cron_process("--interval", "0.5")
    deadline = time.monotonic() + 60
    while JobRun.objects.filter(last_status="ok").count() < len(JOBS) and time.monotonic() < deadline:
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert JobRun.objects.filter(last_status="ok").count() == len(JOBS)
    # Only a job that did something is printed (so a registration email stays easy to find).
    assert "run_cron: core.purge_audit_events: 1" in stdout
    assert "accounts.lift_expired_blocks" not in stdout and "previews" not in stdout
    assert "Scheduled job accounts.lift_expired_blocks finished" not in stderr


@pytest.mark.django_db(transaction=True)
def test_run_cron_loop_reports_a_failing_job():
    import signal
    import time

    process = subprocess.Popen(
        [sys.executable, "-c", FAILING_JOB_RUNNER],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", **child_database_env()},
    )
    deadline = time.monotonic() + 60
    while not JobRun.objects.filter(last_status="failed").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "run_cron: accounts.lift_expired_blocks failed: RuntimeError('boom')" in stdout


# run_cron.py's loop with one job replaced by one that raises.
FAILING_JOB_RUNNER = """
import sys
import django
django.setup()
import accounts.jobs
def explode():
    raise RuntimeError("boom")
accounts.jobs.lift_expired_blocks = explode
import run_cron
sys.exit(run_cron.main(["--interval", "0.5"]))
"""


def test_the_job_runner_writes_only_through_core_services():
    # House rule: every write is a service. The runner decides what to run; services record it.
    import ast

    tree = ast.parse(Path(jobs.__file__).read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "core.models" not in imported
