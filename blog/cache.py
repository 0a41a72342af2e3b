"""The blog's cache generation: every cached blog read carries it in its key.

``blog_cache_clear()`` starts a new generation, so all cached blog data (the list page, the pool of
random articles — and anything other apps key on ``cache_version()``) is dropped at once, on
local memory and on Redis alike, without scanning keys.
"""

import uuid

from django.conf import settings
from django.core.cache import cache

VERSION_KEY = "blog:cache-version"
# A local-memory cache (no REDIS_URL) belongs to one process: a write in another process (the
# scheduled publication run by ``run_cron.py``) replaces the version there only, so here the
# version also expires, and this process sees that change this soon. Values under a version are
# also kept in process memory (``core.cache``), where only a new version replaces them.
LOCAL_VERSION_SECONDS = 60


def _version_timeout() -> int | None:
    return None if settings.REDIS_URL else LOCAL_VERSION_SECONDS


def cache_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, _version_timeout())
        version = cache.get(VERSION_KEY, "")
    return version


def blog_cache_clear() -> None:
    """Invalidate every cached blog read. Called on every change of an article."""
    cache.set(VERSION_KEY, uuid.uuid4().hex, _version_timeout())
