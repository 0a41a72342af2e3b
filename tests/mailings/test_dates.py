"""Mailing dates that cannot be scheduled (year 1, past ends) are clear 400/form errors, never 500s."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from mailings import services
from mailings.models import Mailing
from tests.mailings.factories import ClientFactory, MailMessageFactory

pytestmark = pytest.mark.django_db

FUTURE = timezone.now() + timedelta(days=1)

# (start, end, the field that is wrong) as typed, in the form's wall-clock format
BAD_DATES = [
    ("0001-01-01T00:00", "0001-01-02T00:00", "start_at"),
    ("0001-01-01T03:00", (FUTURE + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M"), "start_at"),
    (FUTURE.strftime("%Y-%m-%dT%H:%M"), "9999-12-31T23:59", "end_at"),
    ((timezone.now() - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"), "2001-01-01T00:00", "end_at"),
    (
        (timezone.now() - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
        (timezone.now() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "end_at",
    ),
]
IDS = ["year-one", "start-year-one", "end-year-9999", "end-long-past", "end-just-past"]


@pytest.fixture
def owner_client(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize(("start", "end", "field"), BAD_DATES, ids=IDS)
def test_the_mailing_form_refuses_dates_it_cannot_schedule(owner_client, user, start, end, field):
    data = {
        "message": MailMessageFactory(owner=user).pk,
        "clients": [ClientFactory(owner=user).pk],
        "start_at": start,
        "end_at": end,
        "periodicity": "daily",
        "time_zone": "Europe/Moscow",
        "is_active": "on",
    }

    response = owner_client.post(reverse("mailings:mailing-create"), data)

    assert response.status_code == 200
    assert field in response.context["form"].errors, response.context["form"].errors
    assert not Mailing.objects.exists()


@pytest.mark.parametrize(("start", "end", "field"), BAD_DATES, ids=IDS)
@pytest.mark.parametrize("offset", ["", "+03:00"], ids=["naive", "with-offset"])
def test_the_api_answers_400_to_dates_it_cannot_schedule(user, start, end, field, offset):
    api = APIClient()
    api.force_authenticate(user)
    data = {
        "message": MailMessageFactory(owner=user).pk,
        "clients": [ClientFactory(owner=user).pk],
        "start_at": f"{start}:00{offset}",
        "end_at": f"{end}:00{offset}",
        "periodicity": "daily",
        "time_zone": "Europe/Moscow",
    }

    response = api.post("/api/mailings/", data, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()["errors"], response.json()
    assert not Mailing.objects.exists()


def test_an_edit_cannot_move_the_end_into_the_past(user):
    message, client = MailMessageFactory(owner=user), ClientFactory(owner=user)
    mailing = services.mailing_create(
        owner=user,
        message=message,
        clients=[client],
        start_at=FUTURE,
        end_at=FUTURE + timedelta(days=7),
        periodicity="daily",
    )

    with pytest.raises(ValidationError) as error:
        services.mailing_update(
            mailing=mailing, actor=user, start_at=FUTURE - timedelta(days=9), end_at=timezone.now() - timedelta(days=1)
        )

    assert set(error.value.message_dict) == {"end_at"}
    mailing.refresh_from_db()
    assert mailing.end_at == FUTURE + timedelta(days=7)
