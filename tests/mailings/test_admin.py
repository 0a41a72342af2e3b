"""The mailings admin: a mailing added there is scheduled; managers disable mailings in bulk."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from mailings.models import Mailing
from tests.factories import UserFactory
from tests.mailings.factories import ClientFactory, MailingFactory, MailMessageFactory

pytestmark = pytest.mark.django_db


def test_a_mailing_added_in_the_admin_gets_its_first_send_time(client, superuser):
    owner = UserFactory()
    message = MailMessageFactory(owner=owner)
    recipient = ClientFactory(owner=owner)
    start = (timezone.now() + timedelta(days=1)).replace(microsecond=0)
    client.force_login(superuser)

    response = client.post(
        reverse("admin:mailings_mailing_add"),
        {
            "owner": owner.pk,
            "message": message.pk,
            "clients": [recipient.pk],
            "start_at_0": start.strftime("%Y-%m-%d"),
            "start_at_1": start.strftime("%H:%M:%S"),
            "end_at_0": (start + timedelta(days=7)).strftime("%Y-%m-%d"),
            "end_at_1": start.strftime("%H:%M:%S"),
            "periodicity": Mailing.Periodicity.DAILY,
            "time_zone": "Europe/Berlin",
            "is_active": "on",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    assert Mailing.objects.get().next_send_at == start


def test_an_unknown_time_zone_is_refused(client, superuser):
    client.force_login(superuser)

    response = client.post(reverse("admin:mailings_mailing_add"), {"time_zone": "Mars/Olympus"})

    assert "time_zone" in response.context["adminform"].form.errors
    assert not Mailing.objects.exists()


def test_bulk_disable_stops_the_mailings_and_records_who(client, superuser):
    active, already = MailingFactory(), MailingFactory(is_active=False)
    client.force_login(superuser)

    response = client.post(
        reverse("admin:mailings_mailing_changelist"),
        {"action": "disable", "_selected_action": [active.pk, already.pk]},
    )

    assert response.status_code == 302
    active.refresh_from_db()
    assert (active.is_active, active.disabled_by) == (False, superuser)
    assert AuditEvent.objects.filter(action="mailings.disabled", details={"mailings": [active.pk]}).exists()


def test_attempts_are_read_only_in_the_admin(client, superuser):
    client.force_login(superuser)

    assert client.get(reverse("admin:mailings_attempt_changelist")).status_code == 200
    assert client.get(reverse("admin:mailings_attempt_add")).status_code == 403
