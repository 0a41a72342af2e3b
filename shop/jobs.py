"""Scheduled jobs of the shop (declared in ``core.schedule``)."""

from shop import newsletter, services


def restore_adjusted_prices() -> int:
    return services.price_adjustments_restore()


def purge_search_log() -> int:
    return services.search_log_purge()


def send_weekly_newsletter() -> dict:
    return newsletter.newsletter_send_weekly()
