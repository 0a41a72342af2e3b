"""Live previews: the processes behind them and the services that start, stop and reclaim them.

A preview is a row first and a process second. ``preview_start`` claims a port and the owner's
single slot in one transaction (the partial unique constraints on ``Preview`` make a second claim
fail even under concurrency; an advisory lock on PostgreSQL, and SQLite's IMMEDIATE transactions,
also serialise the pool count), then copies the site to a fresh working directory and spawns its
command there. The process runs in its own session, without the platform's environment, under
CPU-time and memory limits, and under ``timeout --signal=KILL``: it dies by its own deadline
even when no scheduler ever runs. Every kill checks the pid *and* the process start time from
``/proc/<pid>/stat``, so a recycled pid is never killed by mistake.
"""

import contextlib
import json
import logging
import os
import resource
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.services import audit_record
from sitestore import selectors
from sitestore.models import Preview, SiteTemplate, UserSite

logger = logging.getLogger(__name__)

PROC = Path("/proc")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# The process's own deadline comes this long after the scheduled stop, so the job normally wins.
DEADLINE_GRACE_SECONDS = 30
# How long a kill waits for the process group to be gone before giving up.
KILL_WAIT_SECONDS = 5.0
# Any fixed number shared by every web process: the key of the PostgreSQL lock around claims.
CLAIM_LOCK_KEY = 780_451_209
LOG_TAIL_CHARS = 2000
# Processes this process started, kept so that their exit is reaped (no zombie is left behind).
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


class PreviewRefused(ValidationError):
    """A start the rules refuse (slot taken, pool full, no port, no runnable site): nothing changed."""


# --- Processes --------------------------------------------------------------------------------


def port_pool() -> list[int]:
    """The ports of ``SITE_PREVIEW_PORTS`` ("8100-8199", or a comma-separated list of ranges)."""
    ports: list[int] = []
    for part in str(settings.SITE_PREVIEW_PORTS).split(","):
        low, _separator, high = part.strip().partition("-")
        if low:
            ports.extend(range(int(low), int(high or low) + 1))
    return ports


def port_is_free(port: int) -> bool:
    """True when nothing on this host listens on 127.0.0.1:<port> (a stranger may hold a pool port)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # Like the servers themselves: a port in TIME_WAIT is free, one with a listener is not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _stat_fields(pid: int) -> list[str] | None:
    """Fields 3.. of /proc/<pid>/stat (the command name, field 2, may hold spaces and parentheses)."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2 :].split()


def _reap(pid: int) -> None:
    """Collect the exit status of a child of this process, so that it does not linger as a zombie."""
    child = _CHILDREN.get(pid)
    if child is not None:
        if child.poll() is not None:
            del _CHILDREN[pid]
        return
    # Not our child: its own parent (or init) reaps it.
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def process_start_time(pid: int) -> int | None:
    """The process's start time in clock ticks (field 22), or None when no live process has this pid."""
    fields = _stat_fields(pid)
    if fields is None:
        return None
    if fields[0] in ("Z", "X"):
        # A zombie runs no code and holds no port; reap it if it is ours.
        _reap(pid)
        return None
    return int(fields[19])


def process_matches(pid: int | None, started_at: int | None) -> bool:
    """True when ``pid`` is still the very process that was recorded (not a recycled pid)."""
    return pid is not None and started_at is not None and process_start_time(pid) == started_at


def session_members(session_id: int) -> list[int]:
    """Live processes of the session a preview leads (its server and anything the server started)."""
    members = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        # Field 6 is the session id; zombies are left to their parent.
        if fields is not None and fields[0] not in ("Z", "X") and int(fields[3]) == session_id:
            members.append(int(entry.name))
    return members


def _own_session_members(pid: int, started_at: int) -> list[int]:
    """Live members of the session the preview's process leads, born within the preview's lifetime."""
    lifetime_ticks = (settings.SITE_PREVIEW_TTL + DEADLINE_GRACE_SECONDS) * CLOCK_TICKS
    members = []
    for member in session_members(pid):
        born = process_start_time(member)
        if born is not None and started_at <= born <= started_at + lifetime_ticks:
            members.append(member)
    return members


def process_group_kill(*, pid: int | None, started_at: int | None) -> bool:
    """SIGKILL a preview's whole session if ``pid`` is still the recorded process, and wait until it is gone.

    A pid that now names a process with another start time is a stranger: neither it nor its session
    is signalled. When the leader has died but members of its session live (its server's helpers),
    the kernel keeps the leader's number reserved for that session, so those members are ours.
    True when something was killed.
    """
    if pid is None or started_at is None:
        return False
    leader = process_start_time(pid)
    if leader is not None and leader != started_at:
        return False
    members = _own_session_members(pid, started_at)
    if leader is None and not members:
        return False
    for target in [pid, *members]:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(target, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(target, signal.SIGKILL)
    deadline = time.monotonic() + KILL_WAIT_SECONDS
    while time.monotonic() < deadline:
        if process_start_time(pid) is None and not _own_session_members(pid, started_at):
            return True
        time.sleep(0.02)
    logger.warning("preview process %s did not end within %s s of SIGKILL", pid, KILL_WAIT_SECONDS)
    return True


def _resource_limits(cpu_seconds: int, memory_bytes: int) -> Callable[[], None]:
    """The child's first act after fork: cap its CPU time and address space (inherited by everything it runs)."""

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))

    return apply


def preview_environment(workdir: Path, port: int) -> dict[str, str]:
    """The whole environment of a preview: nothing of the platform's (no secret key, database or email URL)."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(workdir),
        "LANG": "C.UTF-8",
        "PORT": str(port),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
    }


def preview_command(command: str | list[str], *, port: int, lifetime: int) -> list[str]:
    """The manifest's command with ``{port}`` filled in, wrapped in its own deadline (``timeout -s KILL``)."""
    parts = shlex.split(command) if isinstance(command, str) else [str(part) for part in command]
    if not parts:
        raise PreviewRefused(_("The site's manifest has no command to run."))
    arguments = [part.replace("{port}", str(port)) for part in parts]
    if arguments[0] in ("python", "python3"):
        # The interpreter that runs the platform is known to exist; the sites use its standard library only.
        arguments[0] = sys.executable
    supervisor = shutil.which("timeout")
    if supervisor is None:
        raise PreviewRefused(_("This server cannot run previews (the coreutils timeout command is missing)."))
    return [supervisor, "--signal=KILL", f"{lifetime}s", *arguments]


def _wait_until_listening(process: subprocess.Popen[bytes], port: int, seconds: float) -> str:
    """Empty when the site accepts connections in time; otherwise why the start failed."""
    deadline = time.monotonic() + seconds
    while True:
        code = process.poll()
        if code is not None:
            return _("The site's process ended (exit code %(code)s) before it accepted connections.") % {"code": code}
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.25):
                # Connected: make sure it is our process that answered, not a stranger that took the port.
                return (
                    "" if process.poll() is None else _("Another program answered on port %(port)s.") % {"port": port}
                )
        except OSError:
            pass  # not listening yet: wait a little longer
        if time.monotonic() >= deadline:
            return _("The site did not accept connections within %(seconds)s seconds.") % {"seconds": int(seconds)}
        time.sleep(0.05)


def work_root(preview: Preview) -> Path:
    """The preview's own scratch directory: its working copy and its output log."""
    return Path(settings.SITE_PREVIEW_WORK_ROOT) / str(preview.pk)


def _log_tail(preview: Preview) -> str:
    try:
        with open(work_root(preview) / "output.log", "rb") as log:
            log.seek(0, os.SEEK_END)
            log.seek(max(0, log.tell() - LOG_TAIL_CHARS))
            return log.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _work_remove(preview: Preview) -> None:
    shutil.rmtree(work_root(preview), ignore_errors=True)


# --- What a preview runs ------------------------------------------------------------------------


def preview_source(*, site: UserSite | None, template: SiteTemplate | None) -> Path:
    """The directory a preview copies: the owner's purchased files, or the template's bundle for a demo."""
    if site is not None:
        try:
            # The owner's own directory under PRIVATE_MEDIA_ROOT/sites/, never anything outside it.
            source = selectors.site_directory(site)
        except ValueError:
            raise PreviewRefused(_("This site's files are not ready yet.")) from None
        root = source
    else:
        assert template is not None
        root = Path(settings.SITESTORE_BUNDLES_ROOT).resolve()
        source = (root / template.bundle).resolve()
    if not source.is_relative_to(root) or not (source / "site.json").is_file():
        raise PreviewRefused(_("This site has no runnable files."))
    return source


def preview_manifest_command(source: Path) -> str | list[str]:
    """The ``command`` of the site's ``site.json``: a shell-like string or a list of arguments."""
    try:
        manifest = json.loads((source / "site.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise PreviewRefused(_("The site's manifest (site.json) cannot be read.")) from None
    command = manifest.get("command") if isinstance(manifest, dict) else None
    if not command or not isinstance(command, str | list):
        raise PreviewRefused(_("The site's manifest has no command to run."))
    return command


def this_host() -> str:
    return str(settings.SITE_PREVIEW_HOST)


# --- Services -----------------------------------------------------------------------------------


def _claims_lock() -> None:
    """Serialise claims so that two at once cannot both see a free slot in the pool.

    PostgreSQL: a transaction-scoped advisory lock. SQLite runs every transaction IMMEDIATE
    (config/settings/base.py), which already takes the write lock at its start.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CLAIM_LOCK_KEY])


def _claim(*, user: User, site: UserSite | None, template: SiteTemplate | None, request: HttpRequest | None) -> Preview:
    """Take the owner's slot and a port on this host in one transaction (status ``starting``)."""
    host = this_host()
    try:
        with transaction.atomic():
            _claims_lock()
            active = Preview.objects.filter(status__in=Preview.ACTIVE_STATUSES)
            if active.filter(owner=user).exists():
                raise PreviewRefused(_("You already have a preview running. Stop it before starting another."))
            if active.count() >= settings.SITE_PREVIEW_MAX:
                raise PreviewRefused(_("All preview slots are busy. Please try again in a few minutes."))
            taken = set(active.filter(host=host).values_list("port", flat=True))
            port = next((port for port in port_pool() if port not in taken and port_is_free(port)), None)
            if port is None:
                raise PreviewRefused(_("No free port is left for a preview. Please try again in a few minutes."))
            now = timezone.now()
            preview = Preview.objects.create(
                owner=user,
                site=site,
                template=template,
                status=Preview.Status.STARTING,
                host=host,
                port=port,
                started_at=now,
                expires_at=now + timedelta(seconds=settings.SITE_PREVIEW_TTL),
            )
            audit_record(
                action="sitestore.preview_start",
                actor=user,
                target=site or template,
                request=request,
                details={"preview": preview.pk, "host": host, "port": port},
            )
    except IntegrityError:
        # The partial unique constraints caught a concurrent claim of the same slot or port.
        raise PreviewRefused(_("You already have a preview running. Stop it before starting another.")) from None
    return preview


def _finish_failed(preview: Preview, error: str) -> Preview:
    """End a start that failed: the row ends ``failed`` (its port is free again) and the copy is removed."""
    output = _log_tail(preview)
    with transaction.atomic():
        Preview.objects.filter(pk=preview.pk, status__in=Preview.ACTIVE_STATUSES).update(
            status=Preview.Status.FAILED,
            stopped_at=timezone.now(),
            stop_reason="start failed",
            error=f"{error}\n{output}".strip(),
        )
    _work_remove(preview)
    preview.refresh_from_db()
    return preview


def _launch(preview: Preview, *, source: Path, command: str | list[str]) -> Preview:
    assert preview.port is not None
    root = work_root(preview)
    shutil.rmtree(root, ignore_errors=True)
    workdir = root / "site"
    # A copy: whatever the running site writes (its SQLite file, uploads) never touches the purchased files.
    shutil.copytree(source, workdir, symlinks=True)
    lifetime = settings.SITE_PREVIEW_TTL + DEADLINE_GRACE_SECONDS
    arguments = preview_command(command, port=preview.port, lifetime=lifetime)
    with open(root / "output.log", "wb") as log:
        process = subprocess.Popen(  # noqa: S603  # a list, no shell; the site is the buyer's own code
            arguments,
            cwd=workdir,
            env=preview_environment(workdir, preview.port),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            close_fds=True,
            start_new_session=True,
            preexec_fn=_resource_limits(  # only setrlimit, nothing that could deadlock
                settings.SITE_PREVIEW_CPU_SECONDS, settings.SITE_PREVIEW_MEMORY_MB * 1024 * 1024
            ),
        )
    _CHILDREN[process.pid] = process
    started_at = process_start_time(process.pid)
    # Recorded at once (its own commit), so a crash of this process from here on leaves a killable record.
    Preview.objects.filter(pk=preview.pk).update(pid=process.pid, process_started_at=started_at)
    error = _wait_until_listening(process, preview.port, settings.SITE_PREVIEW_START_TIMEOUT)
    if error:
        process_group_kill(pid=process.pid, started_at=started_at)
        process.wait()
        _CHILDREN.pop(process.pid, None)
        return _finish_failed(preview, error)
    now = timezone.now()
    running = Preview.objects.filter(pk=preview.pk, status=Preview.Status.STARTING).update(
        status=Preview.Status.RUNNING,
        started_at=now,
        expires_at=now + timedelta(seconds=settings.SITE_PREVIEW_TTL),
    )
    if not running:
        # Stopped (by its owner or the job) while it was starting: the stop found no process yet.
        process_group_kill(pid=process.pid, started_at=started_at)
        _work_remove(preview)
    preview.refresh_from_db()
    return preview


def preview_start(
    *,
    user: User,
    site: UserSite | None = None,
    template: SiteTemplate | None = None,
    request: HttpRequest | None = None,
) -> Preview:
    """Run the owner's site (or a template's demo) on this host; returns the row, ``running`` or ``failed``.

    Raises ``PreviewRefused`` (nothing changed) when the owner already runs a preview, the pool is
    full, no port is free or the site cannot be run.
    """
    if (site is None) == (template is None):
        raise ValueError("a preview runs either a site or a template")
    if site is not None and site.owner_id != user.pk:
        raise PreviewRefused(_("This site is not yours."))
    source = preview_source(site=site, template=template)
    command = preview_manifest_command(source)
    preview = _claim(user=user, site=site, template=template, request=request)
    try:
        return _launch(preview, source=source, command=command)
    except PreviewRefused as refusal:
        return _finish_failed(preview, " ".join(refusal.messages))
    except BaseException as error:
        # Whatever went wrong (a copy error, an interrupt), the claim must not keep its port.
        fresh = Preview.objects.filter(pk=preview.pk).values_list("pid", "process_started_at").first()
        if fresh is not None:
            process_group_kill(pid=fresh[0], started_at=fresh[1])
        _finish_failed(preview, repr(error))
        raise


def preview_stop(
    *, preview: Preview, reason: str, actor: User | None = None, request: HttpRequest | None = None
) -> Preview:
    """Stop a preview: kill its process (if pid and start time still match), then mark it ``stopped``.

    A preview of another host is stopped by that host's worker (queue ``previews.<host>``), since
    only that host can see and kill its process. Stopping a preview that has ended changes nothing.
    """
    if preview.host != this_host() and not settings.CELERY_TASK_ALWAYS_EAGER:
        from sitestore import tasks

        transaction.on_commit(lambda: tasks.preview_stop_on_host(preview=preview, reason=reason))
        return preview
    return preview_stop_here(preview=preview, reason=reason, actor=actor, request=request)


def preview_stop_here(
    *, preview: Preview, reason: str, actor: User | None = None, request: HttpRequest | None = None
) -> Preview:
    """``preview_stop`` on the host that runs the preview (the ``previews.<host>`` worker calls this).

    A row of another host reaching here (the embedded mode has no other host's worker) is only
    marked stopped: a pid of another machine means nothing on this one.
    """
    with transaction.atomic():
        locked = Preview.objects.select_for_update().get(pk=preview.pk)
        if locked.status not in Preview.ACTIVE_STATUSES:
            return locked
        if locked.host == this_host():
            # Killed before the row frees its port, so a new claim never meets a port still in use.
            process_group_kill(pid=locked.pid, started_at=locked.process_started_at)
            if locked.pid is not None:
                _CHILDREN.pop(locked.pid, None)
        locked.status = Preview.Status.STOPPED
        locked.stopped_at = timezone.now()
        locked.stop_reason = reason[:50]
        locked.save(update_fields=["status", "stopped_at", "stop_reason"])
        audit_record(
            action="sitestore.preview_stop",
            actor=actor,
            target=locked.site or locked.template,
            request=request,
            details={"preview": locked.pk, "reason": reason},
        )
    if locked.host == this_host():
        # The process is dead, so its working copy can go (also if an outer transaction rolls back).
        _work_remove(locked)
    return locked


def _orphans_kill(*, since: datetime) -> int:
    """Kill processes of ended rows of this host that still live (a kill that was cut short)."""
    killed = 0
    ended = Preview.objects.filter(host=this_host(), pid__isnull=False, stopped_at__gte=since).exclude(
        status__in=Preview.ACTIVE_STATUSES
    )
    for preview in ended:
        if process_group_kill(pid=preview.pid, started_at=preview.process_started_at):
            killed += 1
    return killed


def previews_expire(*, now: datetime | None = None) -> dict[str, int]:
    """The scheduled job: stop previews past their time, settle rows whose process is gone, kill orphans.

    Idempotent and safe to run twice at once: each stop locks its row and ends it once.
    """
    now = now or timezone.now()
    counts = {"expired": 0, "ended": 0, "abandoned": 0, "orphans": 0, "elsewhere": 0}
    active = Preview.objects.filter(status__in=Preview.ACTIVE_STATUSES)
    for preview in active.filter(expires_at__lte=now):
        preview_stop(preview=preview, reason="expired")
        counts["expired" if preview.host == this_host() else "elsewhere"] += 1
    start_limit = now - timedelta(seconds=settings.SITE_PREVIEW_START_TIMEOUT + 60)
    for preview in active.filter(host=this_host()):
        if preview.status == Preview.Status.STARTING:
            if preview.started_at < start_limit:
                # Its starter died mid-start (or hangs): end it, killing the process if there is one.
                preview_stop(preview=preview, reason="start abandoned")
                counts["abandoned"] += 1
        elif not process_matches(preview.pid, preview.process_started_at):
            preview_stop(preview=preview, reason="process ended")
            counts["ended"] += 1
    counts["orphans"] = _orphans_kill(since=now - timedelta(days=1))
    return counts


def _host_previews_end(reason: str) -> int:
    ended = 0
    for preview in Preview.objects.filter(host=this_host(), status__in=Preview.ACTIVE_STATUSES):
        preview_stop_here(preview=preview, reason=reason)
        ended += 1
    return ended


def previews_reclaim() -> int:
    """At start-up of a preview host: end every preview this host was running before, killing the
    processes that still match their pid and start time, and removing their working copies.

    Called by ``run_cron.py`` at start, the ``previews_reclaim`` management command (run it before a
    preview host's worker starts) and ``previews_shutdown``. Returns how many rows it ended.
    """
    ended = _host_previews_end("reclaimed")
    _orphans_kill(since=timezone.now() - timedelta(days=1))
    return ended


def previews_shutdown() -> int:
    """When the server stops (best effort): end this host's previews now rather than at their deadline."""
    return _host_previews_end("server shutdown")


def preview_current(
    *, user: User, site: UserSite | None = None, template: SiteTemplate | None = None
) -> Preview | None:
    """The user's starting or running preview of this site (or template demo), if any."""
    return (
        Preview.objects.filter(owner=user, site=site, template=template, status__in=Preview.ACTIVE_STATUSES)
        .order_by("-started_at")
        .first()
    )
