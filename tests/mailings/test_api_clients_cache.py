"""``GET /api/clients/``: the owner's first pages kept serialized per owner version. A hit reads no
row and runs no ``COUNT(*)``; every client write through the API (``mailings.services``) shows at the
next read, and nobody else ever gets my page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from mailings import services
from tests.factories import UserFactory
from tests.mailings.factories import ClientFactory

pytestmark = pytest.mark.django_db

CLIENTS = "/api/clients/"


@pytest.fixture
def api(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def _get(api, params=None) -> tuple[dict, int]:
    with CaptureQueriesContext(connection) as context:
        response = api.get(CLIENTS, params or {})
    assert response.status_code == 200, response.content
    return response.json(), len(context.captured_queries)


def test_a_cached_client_page_reads_no_row_and_answers_the_same_json(api, user):
    ClientFactory.create_batch(25, owner=user)

    first, miss_queries = _get(api)
    second, hit_queries = _get(api)

    assert second == first
    assert first["count"] == 25 and len(first["results"]) == 20 and first["next"].endswith("?page=2")
    assert miss_queries == 2  # COUNT(*) and the page
    assert hit_queries == 0


def test_pages_and_sizes_are_kept_apart_and_bad_pages_stay_400(api, user):
    ClientFactory.create_batch(7, owner=user)
    for params in ({"page": 2, "page_size": 3}, {"page_size": 3}, {"page": 3, "page_size": 3}):
        first, _ = _get(api, params)
        second, hit_queries = _get(api, params)
        assert second == first and hit_queries == 0
    assert [len(_get(api, {"page": page, "page_size": 3})[0]["results"]) for page in (1, 2, 3)] == [3, 3, 1]
    for _ in range(2):
        assert api.get(CLIENTS, {"page": 9}).status_code == 400


def test_every_client_write_through_the_api_shows_at_the_next_read(api, user, django_capture_on_commit_callbacks):
    assert _get(api)[0]["count"] == 0

    with django_capture_on_commit_callbacks(execute=True):
        created = api.post(CLIENTS, {"email": "a@example.org", "full_name": "Anna"}, format="json").json()
    assert [item["full_name"] for item in _get(api)[0]["results"]] == ["Anna"]

    with django_capture_on_commit_callbacks(execute=True):
        api.patch(f"{CLIENTS}{created['id']}/", {"full_name": "Anna B."}, format="json")
    assert [item["full_name"] for item in _get(api)[0]["results"]] == ["Anna B."]

    with django_capture_on_commit_callbacks(execute=True):
        api.delete(f"{CLIENTS}{created['id']}/")
    assert _get(api)[0] == {"count": 0, "next": None, "previous": None, "results": []}


def test_a_service_write_shows_at_the_next_read(api, user, django_capture_on_commit_callbacks):
    _get(api)
    with django_capture_on_commit_callbacks(execute=True):
        services.client_create(owner=user, email="b@example.org", full_name="Boris")
    assert [item["email"] for item in _get(api)[0]["results"]] == ["b@example.org"]


def test_another_owner_never_gets_my_cached_page(api, user):
    mine = ClientFactory(owner=user)
    theirs = ClientFactory()
    assert [item["id"] for item in _get(api)[0]["results"]] == [mine.pk]
    other = APIClient()
    other.force_authenticate(theirs.owner)
    assert [item["id"] for item in other.get(CLIENTS).json()["results"]] == [theirs.pk]
    other.force_authenticate(UserFactory())
    assert other.get(CLIENTS).json()["count"] == 0
