"""Celery tasks of the live previews, on the ``previews`` queues of the preview hosts.

A preview belongs to the host whose worker started it: starts go to the shared ``previews`` queue
(any preview host may take one), stops to ``previews.<host>``, the queue of the host that runs it.
In the embedded mode (no broker) the tasks run inline.
"""

from typing import Any

from celery import shared_task
from celery.exceptions import TimeoutError as CeleryTimeoutError
from celery.signals import worker_shutdown
from django.conf import settings
from django.utils.translation import gettext as _

from accounts.models import User
from sitestore import previews
from sitestore.models import Preview, SiteTemplate, UserSite

START_QUEUE = "previews"


def host_queue(host: str) -> str:
    return f"{START_QUEUE}.{host}"


@worker_shutdown.connect
def previews_end_with_the_preview_worker(sender: Any, **kwargs: Any) -> None:
    """A preview host's worker (one consuming a ``previews`` queue) that stops ends this host's
    previews at once: the server is shutting down. Other workers on the host leave them alone."""
    consumed = sender.app.amqp.queues.consume_from or {}
    if any(str(name).startswith(START_QUEUE) for name in consumed):
        previews.previews_shutdown()


# Not acks_late: a start redelivered after a crash would start a second process.
@shared_task(name="sitestore.preview_start", time_limit=120, soft_time_limit=100)
def preview_start(user_id: int, site_id: int | None = None, template_id: int | None = None) -> dict[str, Any]:
    """Start a preview on this host; a refusal comes back as its message (JSON carries no exception)."""
    user = User.objects.get(pk=user_id)
    site = UserSite.objects.get(pk=site_id) if site_id is not None else None
    template = SiteTemplate.objects.get(pk=template_id) if template_id is not None else None
    try:
        preview = previews.preview_start(user=user, site=site, template=template)
    except previews.PreviewRefused as refusal:
        return {"error": " ".join(refusal.messages)}
    return {"preview": preview.pk}


@shared_task(name="sitestore.preview_stop", acks_late=True, time_limit=60, soft_time_limit=50)
def preview_stop(preview_id: int, reason: str) -> str:
    """Stop one preview of this host; stopping is idempotent, so a redelivered task is harmless."""
    preview = Preview.objects.filter(pk=preview_id).first()
    if preview is None:
        return "gone"
    return previews.preview_stop_here(preview=preview, reason=reason).status


def preview_start_on_a_preview_host(
    *, user: User, site: UserSite | None = None, template: SiteTemplate | None = None
) -> Preview:
    """Have a preview host start the preview and wait (bounded) for the outcome."""
    result = preview_start.apply_async(
        kwargs={
            "user_id": user.pk,
            "site_id": site.pk if site is not None else None,
            "template_id": template.pk if template is not None else None,
        },
        queue=START_QUEUE,
    )
    try:
        outcome = result.get(timeout=settings.SITE_PREVIEW_START_TIMEOUT + 30)
    except CeleryTimeoutError:
        # No preview host took the start in time (is a worker consuming "previews" running?).
        raise previews.PreviewRefused(_("No preview server answered. Please try again in a few minutes.")) from None
    if "error" in outcome:
        raise previews.PreviewRefused(outcome["error"])
    return Preview.objects.get(pk=outcome["preview"])


def preview_stop_on_host(*, preview: Preview, reason: str) -> None:
    preview_stop.apply_async(args=(preview.pk, reason), queue=host_queue(preview.host))
