import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories import PASSWORD, UserFactory


@pytest.fixture(autouse=True)
def _isolated_cache():
    """Throttle counters and cached pages must not leak from one test into the next."""
    cache.clear()
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
