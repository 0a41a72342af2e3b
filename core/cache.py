"""Versioned caching: values stored under a key that embeds a version token never change.

A write replaces the version (in the shared cache), which makes every key built on the old one
unreachable at once. Since a value under a given key never changes, each process may also keep it
in its own memory: a hit then costs no round trip to Redis and no unpickling. The version itself is
always read from the shared cache, so every process sees a write at once.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache

T = TypeVar("T")

# Bounded: the least recently used entries leave first (e.g. a crawler walking deep catalogue pages).
LOCAL_ENTRIES_MAX = 512

_local: OrderedDict[str, Any] = OrderedDict()
_local_lock = threading.Lock()


def versioned_get_or_set(key: str, compute: Callable[[], T], *, timeout: int) -> T:
    """The value under ``key`` (which must embed its version): from this process's memory, else the
    shared cache, else ``compute()`` (stored in both). Callers must not mutate what they get."""
    with _local_lock:
        if key in _local:
            _local.move_to_end(key)
            return _local[key]  # type: ignore[no-any-return]  # what ``compute`` produced for this key
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout)
    with _local_lock:
        _local[key] = value
        while len(_local) > LOCAL_ENTRIES_MAX:
            _local.popitem(last=False)
    return value  # type: ignore[no-any-return]  # as above


def local_entries() -> int:
    """How many versioned values this process holds (for tests and diagnostics)."""
    return len(_local)


def local_clear() -> None:
    with _local_lock:
        _local.clear()
