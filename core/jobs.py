"""Running scheduled jobs: the runner behind run_cron.py, django-crontab and Celery beat."""

import logging
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from core.models import AuditEvent, JobRun
from core.schedule import JOBS, Job, job_by_name

logger = logging.getLogger(__name__)

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def purge_audit_events() -> int:
    """Delete audit events older than AUDIT_RETENTION_DAYS. Idempotent."""
    cutoff = timezone.now() - timedelta(days=settings.AUDIT_RETENTION_DAYS)
    deleted, _ = AuditEvent.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def is_due(job: Job, *, last_started_at: datetime | None, now: datetime) -> bool:
    """True when the job's cron schedule has fired since it last started."""
    schedule = job.crontab()
    schedule.nowfun = lambda: now
    return schedule.is_due(last_started_at or EPOCH).is_due


def claim(job: Job, *, now: datetime) -> bool:
    """Claim the job's due run for this process; False when not due or another runner won.

    The claim is an optimistic compare-and-set on ``last_started_at``: of two runners that read
    the same value, only one UPDATE matches, on SQLite and PostgreSQL alike.
    """
    run, _ = JobRun.objects.get_or_create(name=job.name)
    if not is_due(job, last_started_at=run.last_started_at, now=now):
        return False
    claimed = JobRun.objects.filter(pk=run.pk, last_started_at=run.last_started_at).update(last_started_at=now)
    return claimed == 1


def run_job(name: str) -> object:
    """Run one job now and record how it ended. Jobs are idempotent, so a rerun is harmless."""
    job = job_by_name(name)
    function = import_string(job.function)
    JobRun.objects.get_or_create(name=job.name)
    try:
        with transaction.atomic() if job.atomic else nullcontext():
            result = function()
    except Exception as error:
        JobRun.objects.filter(name=job.name).update(
            last_finished_at=timezone.now(), last_status="failed", last_result=repr(error)[:2000]
        )
        logger.exception("Scheduled job %s failed", job.name)
        raise
    JobRun.objects.filter(name=job.name).update(
        last_finished_at=timezone.now(), last_status="ok", last_result=repr(result)[:2000]
    )
    logger.info("Scheduled job %s finished: %r", job.name, result)
    return result


def run_due_jobs(*, now: datetime | None = None) -> list[str]:
    """Run every job that is due now and that no other runner has claimed; returns their names."""
    now = now or timezone.now()
    ran = []
    for job in JOBS:
        if claim(job, now=now):
            try:
                run_job(job.name)
            except Exception:  # noqa: BLE001 - one failing job must not stop the others
                logger.warning("Job %s failed; the next due time retries it", job.name)
            ran.append(job.name)
    return ran
