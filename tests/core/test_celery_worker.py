"""A real Celery worker, on a real Redis broker, executes a real task against the test database."""

import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from celery import Celery
from django.utils import timezone

from accounts.models import User
from mailings.models import Attempt, Client, Mailing, MailMessage
from tests.factories import UserFactory
from tests.processes import child_database_env

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(celery_broker_url):
    queue = f"agora-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "CELERY_BROKER_URL": celery_broker_url,
        "CELERY_RESULT_BACKEND": celery_broker_url,
        **child_database_env(),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-Q", queue, "--loglevel=INFO"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield queue
    process.terminate()
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    sys.stderr.write(output)  # shown by pytest when the test fails


def test_real_worker_runs_the_scheduled_job_task_from_redis(worker, celery_broker_url):
    blocked = UserFactory(is_blocked=True, blocked_reason="spam", blocked_until=timezone.now() - timedelta(minutes=1))
    # Not set as the current app: the app under test stays current for the tests that run next.
    client = Celery(broker=celery_broker_url, backend=celery_broker_url, set_as_current=False)

    result = client.send_task("core.run_scheduled_job", args=["accounts.lift_expired_blocks"], queue=worker)

    assert result.get(timeout=90) == "1"
    deadline = time.monotonic() + 10
    while User.objects.get(pk=blocked.pk).is_blocked and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not User.objects.get(pk=blocked.pk).is_blocked


def test_real_worker_runs_the_mailing_job_and_records_every_delivery(worker, celery_broker_url):
    owner = UserFactory()
    message = MailMessage.objects.create(owner=owner, subject="Worker news", body="Sent by a real worker.")
    now = timezone.now()
    mailing = Mailing.objects.create(
        owner=owner,
        message=message,
        start_at=now - timedelta(minutes=1),
        end_at=now + timedelta(days=1),
        periodicity="once",
        next_send_at=now - timedelta(minutes=1),
    )
    mailing.clients.set(
        [Client.objects.create(owner=owner, email=f"reader{n}@example.com", full_name=f"Reader {n}") for n in range(3)]
    )
    # Not set as the current app: the app under test stays current for the tests that run next.
    client = Celery(broker=celery_broker_url, backend=celery_broker_url, set_as_current=False)

    result = client.send_task("core.run_scheduled_job", args=["mailings.send_due_mailings"], queue=worker)

    assert "'runs': 1" in result.get(timeout=90)
    assert Attempt.objects.filter(mailing=mailing, status=Attempt.Status.SUCCESS).count() == 3
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.COMPLETED
