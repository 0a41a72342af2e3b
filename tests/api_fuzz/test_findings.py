"""What the API fuzzing run found, each pinned by a test of its own."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from mailings.models import Mailing
from tests.factories import UserFactory
from tests.mailings.factories import ClientFactory, MailMessageFactory

pytestmark = pytest.mark.django_db


def test_a_mailing_naming_a_client_id_beyond_any_database_integer_answers_400_and_creates_nothing():
    # SQLite cannot even bind such a number in ``pk__in``: it was an OverflowError, a 500.
    owner = UserFactory()
    message = MailMessageFactory(owner=owner)
    client = ClientFactory(owner=owner)
    api = APIClient()
    api.force_authenticate(owner)

    response = api.post(
        "/api/mailings/",
        {
            "message": message.pk,
            "clients": [client.pk, 2**70],
            "start_at": "2030-01-01T10:00:00Z",
            "end_at": "2030-02-01T10:00:00Z",
            "periodicity": "once",
        },
        format="json",
    )

    assert response.status_code == 400
    assert "clients" in response.json()["errors"]
    assert not Mailing.objects.exists()


def test_a_request_django_refuses_before_the_view_answers_api_clients_in_the_error_shape():
    # More form fields than DATA_UPLOAD_MAX_NUMBER_FIELDS: Django refuses it with its HTML 400 page.
    api = APIClient()
    api.force_authenticate(UserFactory())

    response = api.post("/api/mailings/", {"clients": list(range(1, 1200))}, format="multipart")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"code": 400, "message": "Bad request."}
    assert not Mailing.objects.exists()


def test_pages_outside_the_api_keep_the_html_bad_request_page():
    response = Client().post("/accounts/login/", {"field": list(range(1, 1200))})

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
