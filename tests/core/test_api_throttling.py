"""The API throttles: DRF's rates and keys, checked in one atomic Redis script when the cache is Redis."""

import threading
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django_redis import get_redis_connection
from rest_framework.throttling import SimpleRateThrottle

from core.api.throttling import AnonRateThrottle, UserRateThrottle

NO_VIEW: Any = None  # the user and anonymous throttles never look at the view
needs_redis = pytest.mark.skipif(not settings.REDIS_URL, reason="the atomic check runs on Redis only")


@pytest.fixture
def two_a_minute(monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "user", "2/minute")


def caller(number: int) -> Any:  # DRF's throttles read only ``request.user``
    return SimpleNamespace(user=SimpleNamespace(is_authenticated=True, pk=number))


def throttle_at(now: float) -> UserRateThrottle:
    throttle = UserRateThrottle()
    throttle.timer = lambda: now  # DRF's clock, pinned for the test
    return throttle


@needs_redis
def test_the_call_past_the_rate_is_refused_until_the_oldest_call_leaves_the_window(two_a_minute):
    assert throttle_at(1000.0).allow_request(caller(1), NO_VIEW)
    assert throttle_at(1010.0).allow_request(caller(1), NO_VIEW)

    refused = throttle_at(1030.0)
    allowed_elsewhere = throttle_at(1030.0).allow_request(caller(2), NO_VIEW)

    assert refused.allow_request(caller(1), NO_VIEW) is False
    assert refused.wait() == pytest.approx(30.0)  # the call at 1000 leaves the window at 1060
    assert allowed_elsewhere
    assert throttle_at(1060.5).allow_request(caller(1), NO_VIEW)


@needs_redis
def test_refused_calls_are_not_recorded(two_a_minute):
    for moment in (1000.0, 1001.0, 1002.0, 1003.0):
        throttle_at(moment).allow_request(caller(1), NO_VIEW)

    history = get_redis_connection("default").zrange(cache.make_key("throttle_user_1"), 0, -1)

    assert len(history) == 2


@needs_redis
def test_concurrent_calls_never_pass_more_than_the_rate(monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "user", "5/minute")
    answers: list[bool] = []
    start = threading.Barrier(20)

    def call() -> None:
        throttle = UserRateThrottle()
        start.wait()
        answers.append(throttle.allow_request(caller(1), NO_VIEW))

    threads = [threading.Thread(target=call) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert answers.count(True) == 5


def test_signed_in_callers_are_not_counted_by_the_anonymous_throttle(monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "anon", "1/minute")

    answers = [AnonRateThrottle().allow_request(caller(1), NO_VIEW) for _ in range(3)]

    assert answers == [True, True, True]


def test_without_redis_drf_s_own_check_throttles(settings, two_a_minute):
    if settings.REDIS_URL:
        pytest.skip("the per-process cache is the embedded mode's")

    answers = [throttle_at(1000.0 + second).allow_request(caller(1), NO_VIEW) for second in range(3)]

    assert answers == [True, True, False]
