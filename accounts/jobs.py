"""Scheduled jobs of accounts (declared in ``core.schedule``)."""

from accounts import services


def purge_unconfirmed_registrations() -> int:
    return services.unconfirmed_registrations_purge()


def lift_expired_blocks() -> int:
    return services.expired_blocks_lift()
