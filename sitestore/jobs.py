"""Scheduled jobs of the site store (listed in core/schedule.py)."""

from sitestore import previews


def stop_expired_previews() -> dict[str, int]:
    return previews.previews_expire()
