"""Running scheduled jobs: the runner behind run_cron.py, django-crontab and Celery beat."""

import logging
from contextlib import nullcontext
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from core import services
from core.schedule import JOBS, job_by_name

logger = logging.getLogger(__name__)


def purge_audit_events() -> int:
    """Delete audit events older than AUDIT_RETENTION_DAYS. Idempotent."""
    return services.audit_events_purge()


def run_job(name: str) -> object:
    """Run one job now and record how it ended. Jobs are idempotent, so a rerun is harmless."""
    job = job_by_name(name)
    function = import_string(job.function)
    try:
        with transaction.atomic() if job.atomic else nullcontext():
            result = function()
    except Exception as error:
        services.job_run_finish(name=job.name, failed=True, result=error)
        logger.exception("Scheduled job %s failed", job.name)
        raise
    services.job_run_finish(name=job.name, failed=False, result=result)
    logger.info("Scheduled job %s finished: %r", job.name, result)
    return result


def run_due_jobs(*, now: datetime | None = None) -> list[str]:
    """Run every job that is due now and that no other runner has claimed; returns their names."""
    now = now or timezone.now()
    ran = []
    for job in JOBS:
        if services.job_run_claim(job=job, now=now):
            try:
                run_job(job.name)
            except Exception:  # noqa: BLE001 - one failing job must not stop the others
                logger.warning("Job %s failed; the next due time retries it", job.name)
            ran.append(job.name)
    return ran
