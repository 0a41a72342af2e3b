"""Reads for the home page."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connections
from django.db.models import QuerySet
from django.utils.module_loading import import_string
from django.utils.translation import get_language

from core.registry import home_sections

HOME_STATS_CACHE_KEY = "core:home-stats"
HOME_STATS_TIMEOUT = 60
# Below this many rows a widget's number is counted exactly; above it, estimated (PostgreSQL).
COUNT_ESTIMATE_ABOVE = 100_000


def count_estimate(queryset: QuerySet[Any]) -> int:
    """How many rows ``queryset`` has: exact for small tables, the planner's estimate for large ones.

    A home widget's "1,000,000 messages" needs no exactness, but ``COUNT(*)`` over a million rows
    took 60 ms of the home page's cache refill. On PostgreSQL the planner's row estimate (from the
    statistics autovacuum keeps) costs an EXPLAIN; a small estimate is counted exactly, so a young
    site shows true numbers. Other databases always count.
    """
    connection = connections[queryset.db]
    if connection.vendor == "postgresql":
        sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            estimate = int(cursor.fetchone()[0][0]["Plan"]["Plan Rows"])
        if estimate > COUNT_ESTIMATE_ABOVE:
            return estimate
    return queryset.count()


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
