from celery import shared_task

from core import jobs


@shared_task(name="core.run_scheduled_job", acks_late=True, time_limit=600, soft_time_limit=540)
def run_scheduled_job(name: str) -> str:
    """Celery beat's entry point into the job list; jobs are idempotent, so acks_late is safe."""
    return repr(jobs.run_job(name))
