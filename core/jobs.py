"""Running scheduled jobs: the runner behind run_cron.py, django-crontab and Celery beat."""

import logging
from contextlib import nullcontext
from dataclasses import dataclass
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


@dataclass(frozen=True)
class JobOutcome:
    """How one due job ended: its result (a count or a summary of counts), or the error it raised."""

    name: str
    result: object = None
    error: Exception | None = None

    @property
    def did_something(self) -> bool:
        return self.error is not None or result_did_something(self.result)


def result_did_something(result: object) -> bool:
    """Whether a job's result reports work done: a count above zero, or a summary (dict) with one;
    texts in a summary (the newsletter's week) say nothing by themselves."""
    if isinstance(result, dict):
        return any(result_did_something(value) for value in result.values() if not isinstance(value, str))
    if isinstance(result, int | float):  # booleans too: True counts as 1
        return result > 0
    return bool(result)


def describe_result(result: object) -> str:
    """A job's result for a log line: a summary's texts and non-zero counts ("week 2026-W48, sent 3")."""
    if isinstance(result, dict):
        shown = (
            f"{key} {value}" for key, value in result.items() if isinstance(value, str) or result_did_something(value)
        )
        return ", ".join(shown)
    return str(result)


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
    # Most runs find nothing to do: logged only when they did something, so the console of
    # `make run` keeps what matters (such as the email with a registration code) in sight.
    logger.log(
        logging.INFO if result_did_something(result) else logging.DEBUG,
        "Scheduled job %s finished: %r",
        job.name,
        result,
    )
    return result


def run_due_jobs_reporting(*, now: datetime | None = None) -> list[JobOutcome]:
    """Run every job that is due now and that no other runner has claimed; returns how each ended."""
    now = now or timezone.now()
    outcomes = []
    for job in JOBS:
        if services.job_run_claim(job=job, now=now):
            try:
                outcomes.append(JobOutcome(job.name, result=run_job(job.name)))
            except Exception as error:  # noqa: BLE001 - one failing job must not stop the others
                logger.warning("Job %s failed; the next due time retries it", job.name)
                outcomes.append(JobOutcome(job.name, error=error))
    return outcomes


def run_due_jobs(*, now: datetime | None = None) -> list[str]:
    """Run every job that is due now and that no other runner has claimed; returns their names."""
    return [outcome.name for outcome in run_due_jobs_reporting(now=now)]
