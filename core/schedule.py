"""The one list of scheduled jobs.

Each job is a plain function in its owning app. The list is served three ways: to Celery beat
(``celery_beat_schedule``), to ``run_cron.py`` (``core.jobs``) and to django-crontab's
``CRONJOBS`` (``crontab_jobs``). This module is imported by settings, so it must not import
Django models.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from celery.schedules import crontab

# "Never ran" counts as having last started long ago: a new job is due at once.
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Job:
    name: str
    function: str
    cron: str
    description: str
    # run_job wraps a job in one transaction unless this is False. A job that claims work by
    # committing a row *before* an outside effect (sending an email) must run without it:
    # inside one transaction its claims would stay invisible to a concurrent run until the end,
    # and a crash would roll them back after the emails had gone out.
    atomic: bool = True

    def crontab(self) -> crontab:
        minute, hour, day_of_month, month_of_year, day_of_week = self.cron.split()
        return crontab(
            minute=minute,
            hour=hour,
            day_of_month=day_of_month,
            month_of_year=month_of_year,
            day_of_week=day_of_week,
        )

    def is_due(self, *, last_started_at: datetime | None, now: datetime) -> bool:
        """True when the cron schedule has fired since the job last started."""
        schedule = self.crontab()
        schedule.nowfun = lambda: now
        return bool(schedule.is_due(last_started_at or EPOCH).is_due)


JOBS: tuple[Job, ...] = (
    Job(
        name="accounts.purge_unconfirmed_registrations",
        function="accounts.jobs.purge_unconfirmed_registrations",
        cron="*/5 * * * *",
        description="Delete registrations not confirmed within 15 minutes.",
    ),
    Job(
        name="accounts.lift_expired_blocks",
        function="accounts.jobs.lift_expired_blocks",
        cron="* * * * *",
        description="Unblock users whose block end date has passed.",
    ),
    Job(
        name="shop.restore_adjusted_prices",
        function="shop.jobs.restore_adjusted_prices",
        cron="*/5 * * * *",
        description="Restore product prices whose discount or mark-up has ended.",
    ),
    Job(
        name="shop.purge_search_log",
        function="shop.jobs.purge_search_log",
        cron="37 3 * * *",
        description="Delete logged searches older than SHOP_SEARCH_LOG_RETENTION_DAYS.",
    ),
    Job(
        name="shop.send_weekly_newsletter",
        function="shop.jobs.send_weekly_newsletter",
        # Hourly for the rest of Monday: a run cut short by a crash is resumed (and its in-flight delivery
        # marked unknown) the same day; each subscriber still gets at most one email per week.
        cron="0 9-23 * * 1",
        description="Email each newsletter subscriber the newest products and their picks, once a week.",
        atomic=False,  # each claim is committed before its email is sent
    ),
    Job(
        name="mailings.send_due_mailings",
        function="mailings.jobs.send_due_mailings",
        cron="* * * * *",
        description="Send due mailing runs, retry failed deliveries, resume crashed runs.",
        atomic=False,  # runs and attempts are committed before their emails are sent
    ),
    Job(
        name="blog.publish_scheduled_articles",
        function="blog.jobs.publish_scheduled_articles",
        cron="* * * * *",
        description="Publish articles whose scheduled time has passed (also after a missed run).",
    ),
    Job(
        name="sitestore.stop_expired_previews",
        function="sitestore.jobs.stop_expired_previews",
        cron="* * * * *",
        description="Stop site previews past SITE_PREVIEW_TTL, settle ended ones, kill orphaned processes.",
        atomic=False,  # each preview is killed and marked stopped in its own transaction
    ),
    Job(
        name="crowdfunding.close_due_projects",
        function="crowdfunding.jobs.close_due_projects",
        cron="*/5 * * * *",
        description="Close active crowdfunding projects past their deadline: funded, or failed with pledges refunded.",
        atomic=False,  # each project is closed in its own transaction, its emails sent once that commits
    ),
    Job(
        name="core.purge_audit_events",
        function="core.jobs.purge_audit_events",
        cron="17 3 * * *",
        description="Delete audit events older than AUDIT_RETENTION_DAYS.",
    ),
)


def job_by_name(name: str) -> Job:
    for job in JOBS:
        if job.name == name:
            return job
    raise KeyError(name)


def celery_beat_schedule() -> dict[str, dict[str, Any]]:
    return {
        job.name: {
            "task": "core.run_scheduled_job",
            "schedule": job.crontab(),
            "args": (job.name,),
            "options": {"expires": 300},
        }
        for job in JOBS
    }


def crontab_jobs() -> list[tuple[str, str, list[str]]]:
    return [(job.cron, "core.jobs.run_job", [job.name]) for job in JOBS]
