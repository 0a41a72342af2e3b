"""Full mode: a real Celery worker consuming a preview host's queue starts and stops a real preview."""

import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from celery import Celery

from sitestore import previews
from sitestore.models import Preview
from tests.factories import UserFactory
from tests.processes import child_database_env
from tests.sitestore.factories import SiteTemplateFactory
from tests.sitestore.previews_support import (  # noqa: F401  # preview_settings is an autouse fixture
    TEST_BUNDLES,
    assert_nothing_left,
    preview_settings,
)

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def preview_worker(settings, celery_broker_url):
    # A queue of this test only, standing for one preview host's "previews" queue.
    queue = f"previews-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "CELERY_BROKER_URL": celery_broker_url,
        "CELERY_RESULT_BACKEND": celery_broker_url,
        "SITESTORE_BUNDLES_ROOT": str(TEST_BUNDLES),
        "SITE_PREVIEW_PORTS": settings.SITE_PREVIEW_PORTS,
        "SITE_PREVIEW_WORK_ROOT": settings.SITE_PREVIEW_WORK_ROOT,
        "SITE_PREVIEW_HOST": settings.SITE_PREVIEW_HOST,
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
    worker = Worker(queue=queue, process=process)
    yield worker
    worker.stop()


@dataclass
class Worker:
    queue: str
    process: subprocess.Popen

    def stop(self) -> None:
        """A warm shutdown (SIGTERM), as when the host's service manager stops the worker."""
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            output, _ = self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            output, _ = self.process.communicate()
        sys.stderr.write(output)  # shown by pytest when the test fails


def test_a_preview_hosts_worker_starts_and_stops_a_real_preview(preview_worker, celery_broker_url):
    queue = preview_worker.queue
    user = UserFactory()
    template = SiteTemplateFactory(bundle="echo")
    # Not set as the current app: the app under test stays current for the tests that run next.
    client = Celery(broker=celery_broker_url, backend=celery_broker_url, set_as_current=False)

    started = client.send_task(
        "sitestore.preview_start", kwargs={"user_id": user.pk, "template_id": template.pk}, queue=queue
    ).get(timeout=90)

    preview = Preview.objects.get(pk=started["preview"])
    assert preview.status == Preview.Status.RUNNING and preview.host == "preview-host-1"
    assert previews.process_matches(preview.pid, preview.process_started_at)
    refused = client.send_task(
        "sitestore.preview_start", kwargs={"user_id": user.pk, "template_id": template.pk}, queue=queue
    ).get(timeout=90)
    assert "already have a preview" in refused["error"]

    stopped = client.send_task("sitestore.preview_stop", args=[preview.pk, "stopped by owner"], queue=queue)

    assert stopped.get(timeout=90) == "stopped"
    preview.refresh_from_db()
    assert preview.stop_reason == "stopped by owner"
    assert_nothing_left(preview)


def test_a_preview_hosts_worker_that_shuts_down_ends_its_previews(preview_worker, celery_broker_url):
    user = UserFactory()
    template = SiteTemplateFactory(bundle="echo")
    client = Celery(broker=celery_broker_url, backend=celery_broker_url, set_as_current=False)
    started = client.send_task(
        "sitestore.preview_start", kwargs={"user_id": user.pk, "template_id": template.pk}, queue=preview_worker.queue
    ).get(timeout=90)
    preview = Preview.objects.get(pk=started["preview"])
    assert previews.process_matches(preview.pid, preview.process_started_at)

    preview_worker.stop()

    preview.refresh_from_db()
    assert (preview.status, preview.stop_reason) == (Preview.Status.STOPPED, "server shutdown")
    assert_nothing_left(preview)
