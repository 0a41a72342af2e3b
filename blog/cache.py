"""The blog's cache generation: every cached blog read carries it in its key.

``blog_cache_clear()`` starts a new generation, so all cached blog data (the list page, the pool of
random articles — and anything other apps key on ``cache_version()``) is dropped at once, on
local memory and on Redis alike, without scanning keys.
"""

import uuid

from django.core.cache import cache

VERSION_KEY = "blog:cache-version"


def cache_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(VERSION_KEY, "")
    return version


def blog_cache_clear() -> None:
    """Invalidate every cached blog read. Called on every change of an article."""
    cache.set(VERSION_KEY, uuid.uuid4().hex, None)
