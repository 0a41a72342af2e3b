"""DRF's rate throttles, checked in one atomic Redis call when the cache is Redis.

DRF reads a request history from the cache and writes it back: two round trips on every API call,
and two concurrent calls can both read the same history and both pass. With Redis the whole check
(forget expired calls, count, record this one) runs as one server-side script on a sorted set, so
it costs one round trip and cannot be raced. Without Redis (the embedded mode's per-process cache)
DRF's own check runs unchanged. The rates, scopes and cache keys are DRF's.
"""

import secrets
from functools import cache as memoize
from typing import TYPE_CHECKING

from django.core.cache import caches
from django_redis import get_redis_connection
from django_redis.cache import RedisCache
from redis.commands.core import Script
from rest_framework import throttling

if TYPE_CHECKING:  # DRF's views import the throttle classes named in the settings: no import back
    from rest_framework.request import Request
    from rest_framework.views import APIView

# KEYS[1] the history; ARGV: now, window seconds, allowed calls, a unique member for this call.
# Answers nil when the call is allowed (and recorded), else the time of the oldest call in the window.
SLIDING_WINDOW = """
local key = KEYS[1]
local now, duration, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - duration)
if redis.call('ZCARD', key) >= limit then
  return redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2]
end
redis.call('ZADD', key, now, ARGV[4])
redis.call('EXPIRE', key, math.ceil(duration))
return false
"""


@memoize
def _sliding_window() -> Script:
    script: Script = get_redis_connection("default").register_script(SLIDING_WINDOW)
    return script


class AtomicRateThrottle(throttling.SimpleRateThrottle):
    """The sliding-window check of ``SimpleRateThrottle`` as one Redis script (see the module)."""

    oldest: float | None = None
    # Set by DRF from the rate (its stubs do not declare them).
    num_requests: int
    duration: int

    def allow_request(self, request: "Request", view: "APIView") -> bool:
        backend = caches["default"]  # DRF's ``self.cache`` is the proxy in front of it
        if not isinstance(backend, RedisCache):
            return super().allow_request(request, view)
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        member = f"{self.now!r}:{secrets.token_hex(4)}"
        oldest = _sliding_window()(
            keys=[backend.make_key(self.key)], args=[self.now, self.duration, self.num_requests, member]
        )
        if oldest is None:
            return True
        self.oldest = float(oldest)
        return self.throttle_failure()

    def wait(self) -> float | None:
        if self.oldest is None:
            waiting: float | None = super().wait()
            return waiting
        # The window frees a place when its oldest call leaves it.
        return max(self.duration - (self.now - self.oldest), 0.0)


class AnonRateThrottle(throttling.AnonRateThrottle, AtomicRateThrottle):
    """Anonymous callers, per IP address (DRF's ``anon`` scope)."""


class UserRateThrottle(throttling.UserRateThrottle, AtomicRateThrottle):
    """Signed-in callers, per user (DRF's ``user`` scope)."""


class ScopedRateThrottle(throttling.ScopedRateThrottle, AtomicRateThrottle):
    """Views naming a ``throttle_scope`` (e.g. ``auth``), per user or IP address."""
