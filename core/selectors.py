"""Reads for the home page."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils.module_loading import import_string
from django.utils.translation import get_language

from core.registry import home_sections

HOME_STATS_CACHE_KEY = "core:home-stats"
HOME_STATS_TIMEOUT = 60


def home_page_data() -> dict[str, Any]:
    """One widget per section with its live numbers, and the member count.

    Cached for a minute: the home page is the hottest page and the numbers need not be exact.
    """
    # Per language: the cached widgets hold translated labels.
    cache_key = f"{HOME_STATS_CACHE_KEY}:{get_language()}"
    sections = home_sections()
    stats = cache.get(cache_key)
    if stats is None:
        stats = {
            "sections": {
                section.key: [(str(label), value) for label, value in import_string(section.stats)()]
                for section in sections
                if section.stats
            },
            "members": get_user_model().objects.filter(is_active=True).count(),
        }
        cache.set(cache_key, stats, HOME_STATS_TIMEOUT)
    widgets = [{"section": section, "stats": stats["sections"].get(section.key, [])} for section in sections]
    return {"widgets": widgets, "members": stats["members"]}
