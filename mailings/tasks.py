from celery import shared_task

from mailings import sending
from mailings.models import MailingRun


@shared_task(name="mailings.send_run", acks_late=True, time_limit=3600, soft_time_limit=3500)
def send_run(run_id: int) -> int:
    """Send one run; attempts are unique per recipient, so a redelivered task sends nothing twice."""
    try:
        run = sending.run_execute(run_id=run_id)
    except MailingRun.DoesNotExist:
        return 0  # deleted while queued (its owner deleted the account): nothing left to send
    return run.attempts.count()


@shared_task(name="mailings.retry_failed", acks_late=True, time_limit=1800, soft_time_limit=1700)
def retry_failed() -> int:
    return sending.failed_attempts_retry()


@shared_task(name="mailings.resend_unknown", acks_late=True, time_limit=1800, soft_time_limit=1700)
def resend_unknown(run_id: int) -> int:
    """The owner chose to re-send a run's unknown deliveries; each is claimed once, so a redelivered
    task sends nothing twice."""
    return sending.unknown_attempts_resend(run_id=run_id)
