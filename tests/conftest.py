import os

import pytest
import redis
from django.core.cache import cache
from rest_framework.test import APIClient

from core.cache import local_clear
from tests.factories import PASSWORD, UserFactory


@pytest.fixture(autouse=True)
def _isolated_cache():
    """Throttle counters and cached pages must not leak from one test into the next."""
    cache.clear()
    local_clear()
    yield
    cache.clear()


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def manager(db):
    return UserFactory(roles=["manager"], is_staff=True)


@pytest.fixture
def superuser(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user_api_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture(autouse=True)
def _isolated_uploads(settings, tmp_path):
    """Uploaded files of one test never land where another test (or a later run) looks."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private-media")


@pytest.fixture
def celery_broker_url(settings) -> str:
    """A Redis broker for tests that start a real Celery worker: this test run's own Redis database
    (a parallel worker has its own), since another worker's tests clear their cache database
    between tests, which would wipe a shared broker's queue."""
    url = settings.REDIS_URL or "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        if os.environ.get("AGORA_REQUIRE_SERVICES") == "1":
            pytest.fail(f"Redis is required but not reachable at {url}: {error}")
        pytest.skip(f"Redis not reachable at {url}")
    return url
