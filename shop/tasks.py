"""Celery tasks of the shop: they take ids and call the newsletter engine or a service."""

from celery import shared_task

from shop import newsletter


@shared_task(name="shop.newsletter_unknown_resend", acks_late=True, time_limit=1800, soft_time_limit=1700)
def newsletter_unknown_resend(delivery_ids: list[int]) -> dict[str, int]:
    """Staff chose to send these unknown deliveries again; each is claimed once, so a redelivered
    task sends nothing twice."""
    return newsletter.unknown_deliveries_resend(delivery_ids=delivery_ids)
