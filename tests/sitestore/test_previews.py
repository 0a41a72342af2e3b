"""Live previews with real processes: every way a preview ends leaves no process and no port behind.

Each test checks the operating system itself (``/proc`` and a bind on the port), not the rows alone.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from http.client import HTTPConnection
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from core.jobs import run_job
from core.models import AuditEvent
from sitestore import previews, tasks
from sitestore.models import Preview
from tests.factories import UserFactory
from tests.processes import child_database_env
from tests.sitestore.factories import PreviewFactory, SiteTemplateFactory, UserSiteFactory
from tests.sitestore.previews_support import (  # noqa: F401  # preview_settings is an autouse fixture
    PORTS,
    TEST_BUNDLES,
    assert_nothing_left,
    bought_site,
    preview_settings,
)

ROOT = Path(__file__).resolve().parents[2]


def get(port: int, path: str) -> dict:
    client = HTTPConnection("127.0.0.1", port, timeout=5)
    client.request("GET", path)
    return json.loads(client.getresponse().read())


@pytest.mark.django_db
def test_run_starts_the_site_in_its_own_copy_without_the_platforms_secrets_and_stop_ends_it(monkeypatch, settings):
    monkeypatch.setenv("DJANGO_SECRET_KEY", "platform-secret")
    monkeypatch.setenv("DATABASE_URL", "postgres://secret@db/agora")
    site = bought_site()

    preview = previews.preview_start(user=site.owner, site=site)

    assert preview.status == Preview.Status.RUNNING
    assert preview.port == PORTS[0] and preview.host == "preview-host-1"
    assert preview.expires_at - preview.started_at == timedelta(seconds=600)
    assert previews.process_matches(preview.pid, preview.process_started_at)
    # The server and the helper it started share the preview's own session.
    assert len(previews.session_members(preview.pid)) >= 3
    echoed = get(preview.port, "/cwd")
    assert set(echoed["environment"]) <= {"PATH", "HOME", "LANG", "PORT", "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED"}
    assert "platform-secret" not in json.dumps(echoed)
    purchased = Path(settings.PRIVATE_MEDIA_ROOT) / site.directory
    assert not (purchased / "written-by-preview.txt").exists()
    assert (previews.work_root(preview) / "site" / "written-by-preview.txt").exists()

    stopped = previews.preview_stop(preview=preview, reason="stopped by owner", actor=site.owner)

    assert stopped.status == Preview.Status.STOPPED
    assert stopped.stop_reason == "stopped by owner" and stopped.stopped_at is not None
    assert_nothing_left(stopped)
    assert list(AuditEvent.objects.values_list("action", flat=True).order_by("id")) == [
        "sitestore.preview_start",
        "sitestore.preview_stop",
    ]


@pytest.mark.django_db
def test_the_process_has_cpu_time_and_memory_limits(settings):
    settings.SITE_PREVIEW_CPU_SECONDS = 7
    settings.SITE_PREVIEW_MEMORY_MB = 300
    site = bought_site()
    preview = previews.preview_start(user=site.owner, site=site)

    limits = (Path("/proc") / str(preview.pid) / "limits").read_text()

    assert any(line.startswith("Max cpu time") and " 7 " in line for line in limits.splitlines())
    assert any(line.startswith("Max address space") and str(300 * 1024 * 1024) in line for line in limits.splitlines())
    previews.preview_stop(preview=preview, reason="test")


@pytest.mark.django_db
def test_the_scheduled_job_stops_a_preview_past_its_ttl():
    site = bought_site()
    preview = previews.preview_start(user=site.owner, site=site)
    Preview.objects.filter(pk=preview.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    other = previews.preview_start(user=UserFactory(), template=SiteTemplateFactory(bundle="echo"))

    result = run_job("sitestore.stop_expired_previews")

    assert result["expired"] == 1
    preview.refresh_from_db()
    assert preview.status == Preview.Status.STOPPED and preview.stop_reason == "expired"
    assert_nothing_left(preview)
    # A preview within its time runs on.
    other.refresh_from_db()
    assert other.status == Preview.Status.RUNNING
    assert previews.process_matches(other.pid, other.process_started_at)
    previews.preview_stop(preview=other, reason="test")


@pytest.mark.django_db
def test_the_process_dies_by_its_own_deadline_when_no_scheduler_runs(settings, monkeypatch):
    settings.SITE_PREVIEW_TTL = 2
    monkeypatch.setattr(previews, "DEADLINE_GRACE_SECONDS", 0)
    site = bought_site()
    preview = previews.preview_start(user=site.owner, site=site)
    assert preview.status == Preview.Status.RUNNING

    deadline = time.monotonic() + 10
    while previews.session_members(preview.pid) and time.monotonic() < deadline:
        time.sleep(0.1)

    assert previews.process_start_time(preview.pid) is None
    assert previews.session_members(preview.pid) == []
    assert previews.port_is_free(preview.port)
    # The row learns it at the job's next run, which then frees the owner's slot.
    previews.previews_expire()
    preview.refresh_from_db()
    assert preview.status == Preview.Status.STOPPED
    assert_nothing_left(preview)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("bundle", "message"),
    [("crash", "exit code 3"), ("missing", "exit code 127"), ("silent", "did not accept connections")],
)
def test_a_start_that_fails_ends_failed_with_no_process_and_no_port_left(settings, bundle, message):
    settings.SITE_PREVIEW_START_TIMEOUT = 1
    site = bought_site(bundle=bundle)

    preview = previews.preview_start(user=site.owner, site=site)

    assert preview.status == Preview.Status.FAILED
    assert message in preview.error
    assert_nothing_left(preview)
    if bundle == "crash":
        assert "cannot start" in preview.error  # the site's own output tells the owner why
    # The slot and the port are free again: the next start takes the same port.
    again = previews.preview_start(user=site.owner, site=bought_site(owner=site.owner))
    assert again.status == Preview.Status.RUNNING and again.port == preview.port
    previews.preview_stop(preview=again, reason="test")


@pytest.mark.django_db
def test_a_port_taken_by_a_stranger_is_skipped():
    stranger = socket.socket()
    stranger.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    stranger.bind(("127.0.0.1", PORTS[0]))
    stranger.listen()
    try:
        site = bought_site()
        preview = previews.preview_start(user=site.owner, site=site)
        assert preview.status == Preview.Status.RUNNING
        assert preview.port == PORTS[0] + 1
        previews.preview_stop(preview=preview, reason="test")
        assert_nothing_left(preview)
    finally:
        stranger.close()


@pytest.mark.django_db
def test_a_user_runs_one_preview_at_a_time_and_a_second_run_changes_nothing():
    site = bought_site()
    preview = previews.preview_start(user=site.owner, site=site)

    with pytest.raises(previews.PreviewRefused, match="already have a preview"):
        previews.preview_start(user=site.owner, template=SiteTemplateFactory(bundle="echo"))

    assert Preview.objects.count() == 1
    assert len(previews.session_members(preview.pid)) >= 3
    previews.preview_stop(preview=preview, reason="test")


@pytest.mark.django_db
def test_the_pool_refuses_a_start_when_site_preview_max_previews_run(settings):
    settings.SITE_PREVIEW_MAX = 1
    first = previews.preview_start(user=UserFactory(), template=SiteTemplateFactory(bundle="echo"))

    with pytest.raises(previews.PreviewRefused, match="slots are busy"):
        previews.preview_start(user=UserFactory(), template=first.template)

    assert Preview.objects.count() == 1
    previews.preview_stop(preview=first, reason="test")
    # A stopped preview gives its slot back.
    second = previews.preview_start(user=UserFactory(), template=first.template)
    assert second.status == Preview.Status.RUNNING
    previews.preview_stop(preview=second, reason="test")


@pytest.mark.django_db
def test_the_pool_refuses_when_every_port_is_taken(settings):
    settings.SITE_PREVIEW_PORTS = str(PORTS[0])
    PreviewFactory(status=Preview.Status.RUNNING, host="preview-host-1", port=PORTS[0])

    with pytest.raises(previews.PreviewRefused, match="No free port"):
        previews.preview_start(user=UserFactory(), template=SiteTemplateFactory(bundle="echo"))

    assert Preview.objects.count() == 1


@pytest.mark.django_db
def test_a_site_of_another_user_or_without_files_is_refused():
    site = bought_site()
    with pytest.raises(previews.PreviewRefused):
        previews.preview_start(user=UserFactory(), site=site)
    empty = UserSiteFactory(directory="")
    with pytest.raises(previews.PreviewRefused):
        previews.preview_start(user=empty.owner, site=empty)
    escaping = UserSiteFactory(directory="../../")
    with pytest.raises(previews.PreviewRefused):
        previews.preview_start(user=escaping.owner, site=escaping)
    assert Preview.objects.count() == 0


@pytest.mark.django_db
def test_stopping_twice_changes_nothing_and_a_stale_pid_is_never_killed():
    site = bought_site()
    preview = previews.preview_start(user=site.owner, site=site)
    previews.preview_stop(preview=preview, reason="first")
    again = previews.preview_stop(preview=preview, reason="second")
    assert again.stop_reason == "first"
    assert AuditEvent.objects.filter(action="sitestore.preview_stop").count() == 1

    # A row that names a live process of someone else (this test process) with another start time.
    mine = os.getpid()
    recycled = PreviewFactory(
        status=Preview.Status.RUNNING,
        host="preview-host-1",
        port=PORTS[1],
        pid=mine,
        process_started_at=previews.process_start_time(mine) + 1,
    )
    assert previews.process_group_kill(pid=mine, started_at=recycled.process_started_at) is False
    previews.previews_expire()
    recycled.refresh_from_db()
    assert recycled.status == Preview.Status.STOPPED and recycled.stop_reason == "process ended"


@pytest.mark.django_db
def test_a_preview_of_another_host_is_stopped_by_that_hosts_worker(
    settings, monkeypatch, django_capture_on_commit_callbacks
):
    # No second machine here: the queue the stop is sent to is what this test can check.
    settings.CELERY_TASK_ALWAYS_EAGER = False
    remote = PreviewFactory(status=Preview.Status.RUNNING, host="preview-host-2", port=PORTS[0], pid=1)
    sent = []
    monkeypatch.setattr(tasks.preview_stop, "apply_async", lambda *, args, queue: sent.append((args, queue)))

    with django_capture_on_commit_callbacks(execute=True):
        previews.preview_stop(preview=remote, reason="stopped by owner")

    assert sent == [((remote.pk, "stopped by owner"), "previews.preview-host-2")]
    remote.refresh_from_db()
    assert remote.status == Preview.Status.RUNNING  # only that host may kill it and mark it
    # The task marks it stopped; a pid recorded on another machine is never signalled here.
    assert tasks.preview_stop.run(remote.pk, "stopped by owner") == Preview.Status.STOPPED
    assert previews.process_start_time(1) is not None


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_start_one_process():
    if connection.vendor != "postgresql":
        pytest.skip("the concurrency of claims is proven on PostgreSQL")
    site = bought_site()
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def run() -> None:
        barrier.wait()
        try:
            outcomes.append(previews.preview_start(user=site.owner, site=site))
        except previews.PreviewRefused as refusal:
            outcomes.append(refusal)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    started = [outcome for outcome in outcomes if isinstance(outcome, Preview)]
    assert len(started) == 1 and len(outcomes) == 2
    assert Preview.objects.count() == 1
    preview = Preview.objects.get()
    previews.preview_stop(preview=preview, reason="test")
    assert_nothing_left(preview)


@pytest.mark.django_db(transaction=True)
def test_a_sigkilled_server_leaves_a_running_preview_that_reclaim_ends(settings, tmp_path):
    template = SiteTemplateFactory(bundle="echo")
    user = UserFactory()
    script = (
        "from accounts.models import User; from sitestore.models import SiteTemplate; "
        "from sitestore.previews import preview_start; import time; "
        f"user = User.objects.get(pk={user.pk}); template = SiteTemplate.objects.get(pk={template.pk}); "
        "preview = preview_start(user=user, template=template); "
        "print(preview.status, flush=True); time.sleep(3600)"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "SITESTORE_BUNDLES_ROOT": str(TEST_BUNDLES),
        "SITE_PREVIEW_PORTS": settings.SITE_PREVIEW_PORTS,
        "SITE_PREVIEW_WORK_ROOT": settings.SITE_PREVIEW_WORK_ROOT,
        "SITE_PREVIEW_HOST": settings.SITE_PREVIEW_HOST,
        **child_database_env(),
    }
    server = subprocess.Popen(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", script],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        assert server.stdout.readline().strip() == "running"
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait()
    preview = Preview.objects.get()
    # The server is gone, its preview is not: it lives in its own session.
    assert preview.status == Preview.Status.RUNNING
    assert previews.process_matches(preview.pid, preview.process_started_at)
    assert not previews.port_is_free(preview.port)

    subprocess.run(
        [sys.executable, "manage.py", "previews_reclaim"], cwd=ROOT, env=env, check=True, capture_output=True
    )

    preview.refresh_from_db()
    assert preview.status == Preview.Status.STOPPED and preview.stop_reason == "reclaimed"
    deadline = time.monotonic() + 5
    while previews.process_start_time(preview.pid) is not None and time.monotonic() < deadline:
        time.sleep(0.05)  # reaped by init once the reclaiming process killed it
    assert_nothing_left(preview)


@pytest.mark.django_db
def test_the_start_task_returns_a_refusal_as_its_message():
    site = bought_site()
    preview = tasks.preview_start_on_a_preview_host(user=site.owner, site=site)
    assert preview.status == Preview.Status.RUNNING

    with pytest.raises(previews.PreviewRefused, match="already have a preview"):
        tasks.preview_start_on_a_preview_host(user=site.owner, site=site)

    assert tasks.preview_stop.run(preview.pk, "test") == Preview.Status.STOPPED
    assert tasks.preview_stop.run(0, "test") == "gone"


@pytest.mark.django_db(transaction=True)
def test_run_cron_reclaims_previews_at_start_and_stops_them_at_shutdown(settings):
    left_behind = previews.preview_start(user=UserFactory(), template=SiteTemplateFactory(bundle="echo"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "SITE_PREVIEW_HOST": settings.SITE_PREVIEW_HOST,
        "SITE_PREVIEW_WORK_ROOT": settings.SITE_PREVIEW_WORK_ROOT,
        **child_database_env(),
    }
    cron = subprocess.Popen(
        [sys.executable, "run_cron.py", "--interval", "60"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert cron.stdout is not None
        assert cron.stdout.readline().strip() == "run_cron: previews reclaimed: 1"
        left_behind.refresh_from_db()
        assert left_behind.stop_reason == "reclaimed"
        assert_nothing_left(left_behind)
        running = previews.preview_start(user=UserFactory(), template=left_behind.template)
        assert running.status == Preview.Status.RUNNING
    finally:
        cron.send_signal(signal.SIGTERM)
        output, _ = cron.communicate(timeout=30)
    assert "run_cron: previews stopped at shutdown: 1" in output
    running.refresh_from_db()
    assert running.stop_reason == "server shutdown"
    assert_nothing_left(running)


@pytest.mark.django_db
def test_deleting_the_account_stops_its_preview_before_the_rows_go(password):
    from accounts.services import user_delete

    site = bought_site()
    preview = previews.preview_start(user=site.owner, site=site)

    user_delete(user=site.owner, password=password)

    assert not Preview.objects.exists()
    assert_nothing_left(preview)


@pytest.mark.django_db
def test_staff_stop_a_running_preview_from_the_admin(client, superuser):
    site = bought_site()
    preview = previews.preview_start(user=site.owner, site=site)
    client.force_login(superuser)

    response = client.post(
        "/admin/sitestore/preview/", {"action": "stop_now", "_selected_action": [preview.pk]}, follow=True
    )

    assert "1 preview stopped." in response.content.decode()
    preview.refresh_from_db()
    assert preview.status == Preview.Status.STOPPED and preview.stop_reason == "stopped by staff"
    assert_nothing_left(preview)
    assert AuditEvent.objects.filter(action="sitestore.preview_stop", actor=superuser).exists()


@pytest.mark.django_db
def test_a_recycled_pid_and_its_session_are_never_signalled():
    # A stranger leading its own session, as a recycled pid could be.
    stranger = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        born = previews.process_start_time(stranger.pid)
        assert born is not None
        assert previews.process_group_kill(pid=stranger.pid, started_at=born - 1) is False
        row = PreviewFactory(
            status=Preview.Status.RUNNING,
            host="preview-host-1",
            port=PORTS[1],
            pid=stranger.pid,
            process_started_at=born - 1,
        )
        previews.previews_reclaim()
        row.refresh_from_db()
        assert row.status == Preview.Status.STOPPED
        assert previews.process_start_time(stranger.pid) == born
    finally:
        stranger.kill()
        stranger.wait()


@pytest.mark.django_db
def test_the_helpers_of_a_preview_whose_server_died_are_killed_by_the_job():
    site = bought_site()
    preview = previews.preview_start(user=site.owner, site=site)
    helpers = [member for member in previews.session_members(preview.pid) if member != preview.pid]
    assert helpers
    # The supervisor dies alone; the site's server and its helper live on in the session.
    os.kill(preview.pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while previews.process_start_time(preview.pid) is not None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert previews.session_members(preview.pid)

    assert previews.previews_expire()["ended"] == 1

    preview.refresh_from_db()
    assert preview.stop_reason == "process ended"
    assert_nothing_left(preview)


@pytest.mark.django_db
def test_a_start_no_preview_host_takes_is_refused_with_a_message(settings, monkeypatch):
    from celery.exceptions import TimeoutError as CeleryTimeoutError

    class Unanswered:
        def get(self, timeout: float) -> dict:
            raise CeleryTimeoutError(timeout)

    # Full mode with no worker on the "previews" queue: the broker never answers.
    monkeypatch.setattr(tasks.preview_start, "apply_async", lambda **options: Unanswered())

    with pytest.raises(previews.PreviewRefused, match="No preview server answered"):
        tasks.preview_start_on_a_preview_host(user=UserFactory(), template=SiteTemplateFactory(bundle="echo"))


@pytest.mark.django_db
def test_an_error_in_the_middle_of_a_start_leaves_no_process_and_frees_the_port(monkeypatch):
    def interrupted(process, port, seconds):
        raise KeyboardInterrupt  # the web process is told to stop while the site starts

    monkeypatch.setattr(previews, "_wait_until_listening", interrupted)
    site = bought_site()

    with pytest.raises(KeyboardInterrupt):
        previews.preview_start(user=site.owner, site=site)

    preview = Preview.objects.get()
    assert preview.status == Preview.Status.FAILED and "KeyboardInterrupt" in preview.error
    assert_nothing_left(preview)


@pytest.mark.django_db
def test_the_previews_reclaim_command_ends_this_hosts_previews():
    from io import StringIO

    from django.core.management import call_command

    preview = previews.preview_start(user=UserFactory(), template=SiteTemplateFactory(bundle="echo"))
    output = StringIO()

    call_command("previews_reclaim", stdout=output)

    assert output.getvalue().strip() == "previews reclaimed: 1"
    preview.refresh_from_db()
    assert preview.stop_reason == "reclaimed"
    assert_nothing_left(preview)
