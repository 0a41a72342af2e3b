"""Shared write paths: the audit trail, applying validated field changes, the bookkeeping of scheduled jobs."""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import AuditEvent, JobRun
from core.request_info import client_ip
from core.schedule import Job

JOB_RESULT_MAX = 2000


def audit_record(
    *,
    action: str,
    actor: Any = None,
    target: models.Model | None = None,
    request: HttpRequest | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event. Called inside the caller's transaction, so it commits with it."""
    if actor is None and request is not None:
        actor = getattr(request, "user", None)
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEvent.objects.create(
        actor=actor,
        actor_label=actor.get_username() if actor is not None else "",
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=str(target)[:255] if target is not None else "",
        ip_address=client_ip(request) if request is not None else None,
        details=details or {},
    )


def fields_check(data: dict[str, Any], *, allowed: tuple[str, ...]) -> None:
    """Refuse, naming them, fields that a service does not let its callers change."""
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})


def changes_apply(instance: models.Model, data: dict[str, Any], *, allowed: tuple[str, ...]) -> list[str]:
    """Set ``data`` on ``instance`` in memory and validate the model; the changed field names.

    Nothing is saved: the calling service saves (with ``update_fields``) inside its transaction.
    """
    fields_check(data, allowed=allowed)
    for name, value in data.items():
        setattr(instance, name, value)
    instance.full_clean()
    return list(data)


def audit_events_purge() -> int:
    """Delete audit events older than ``AUDIT_RETENTION_DAYS``; returns how many. Idempotent.

    Not itself audited: the job's ``JobRun`` row keeps the count, and an event about deleting
    events would only add to what the retention removes.
    """
    cutoff = timezone.now() - timedelta(days=settings.AUDIT_RETENTION_DAYS)
    with transaction.atomic():
        deleted, _ = AuditEvent.objects.filter(created_at__lt=cutoff).delete()
    return deleted


# --- Scheduled jobs ------------------------------------------------------------------------
# The JobRun rows are the jobs' own record (they run every minute), so they write no audit row.


def job_run_claim(*, job: Job, now: datetime) -> bool:
    """Claim the job's due run for this process; False when it is not due or another runner won.

    An optimistic compare-and-set on ``last_started_at``: of two runners that read the same value,
    only one UPDATE matches, on SQLite and PostgreSQL alike.
    """
    with transaction.atomic():
        run, _created = JobRun.objects.get_or_create(name=job.name)
        if not job.is_due(last_started_at=run.last_started_at, now=now):
            return False
        claimed = JobRun.objects.filter(pk=run.pk, last_started_at=run.last_started_at).update(last_started_at=now)
    return claimed == 1


def job_run_finish(*, name: str, failed: bool, result: object) -> JobRun:
    """Record how the job's latest run ended: ``ok`` or ``failed``, with its result or error."""
    with transaction.atomic():
        run, _created = JobRun.objects.update_or_create(
            name=name,
            defaults={
                "last_finished_at": timezone.now(),
                "last_status": "failed" if failed else "ok",
                "last_result": repr(result)[:JOB_RESULT_MAX],
            },
        )
    return run
