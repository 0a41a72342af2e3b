"""The mailings admin shows people's data and writes only through services: managers disable
mailings in bulk, a superuser may erase a client; nothing is added or edited there."""

import pytest
from django.urls import reverse

from core.models import AuditEvent
from mailings import selectors
from mailings.models import Client, Mailing, MailMessage
from tests.mailings.factories import ClientFactory, MailingFactory

pytestmark = pytest.mark.django_db


def snapshot() -> dict:
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (Client, MailMessage, Mailing, Mailing.clients.through)
    }


@pytest.mark.parametrize("model", ["mailing", "client", "mailmessage"])
def test_people_s_mailings_clients_and_messages_are_not_added_or_edited_in_the_admin(client, superuser, model):
    mailing = MailingFactory(recipients=1)
    obj = {"mailing": mailing, "client": mailing.clients.get(), "mailmessage": mailing.message}[model]
    client.force_login(superuser)
    before = snapshot()

    listing = client.get(reverse(f"admin:mailings_{model}_changelist"))
    view = client.get(reverse(f"admin:mailings_{model}_change", args=[obj.pk]))
    add = client.post(reverse(f"admin:mailings_{model}_add"), {"subject": "x", "email": "x@example.org"})
    change = client.post(reverse(f"admin:mailings_{model}_change", args=[obj.pk]), {"subject": "x", "full_name": "x"})

    assert (listing.status_code, view.status_code, add.status_code, change.status_code) == (200, 200, 403, 403)
    assert snapshot() == before


@pytest.mark.parametrize("model", ["mailing", "mailmessage"])
def test_mailings_and_messages_are_not_deleted_in_the_admin(client, superuser, model):
    mailing = MailingFactory(recipients=1)
    obj = {"mailing": mailing, "mailmessage": mailing.message}[model]
    client.force_login(superuser)
    before = snapshot()

    response = client.post(reverse(f"admin:mailings_{model}_delete", args=[obj.pk]), {"post": "yes"})

    assert response.status_code == 403
    assert snapshot() == before


def test_bulk_disable_goes_through_the_service(client, superuser, django_capture_on_commit_callbacks):
    active = MailingFactory(status=Mailing.Status.RUNNING)
    already = MailingFactory(is_active=False, status=Mailing.Status.STOPPED)
    assert selectors.home_data()["active"] == 1
    client.force_login(superuser)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:mailings_mailing_changelist"),
            {"action": "disable", "_selected_action": [active.pk, already.pk]},
        )

    assert response.status_code == 302
    active.refresh_from_db()
    already.refresh_from_db()
    assert (active.status, active.is_active, active.disabled_by) == (Mailing.Status.STOPPED, False, superuser)
    assert already.disabled_by is None
    events = AuditEvent.objects.filter(action="mailings.stopped")
    assert list(events.values_list("actor", "target_id")) == [(superuser.pk, str(active.pk))]
    assert selectors.home_data()["active"] == 0  # the cached section home was refreshed


def test_a_superuser_erases_clients_through_the_service(client, superuser, user, django_capture_on_commit_callbacks):
    ann, bob, cid = ClientFactory(owner=user, full_name="Ann"), ClientFactory(owner=user), ClientFactory(owner=user)
    assert selectors.client_page(user).paginator.count == 3
    client.force_login(superuser)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:mailings_client_delete", args=[ann.pk]), {"post": "yes"})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:mailings_client_changelist"),
            {"action": "delete_selected", "_selected_action": [bob.pk, cid.pk], "post": "yes"},
        )

    assert not Client.objects.exists()
    assert selectors.client_page(user).paginator.count == 0  # the owner's cached pages were refreshed
    events = AuditEvent.objects.filter(action="mailings.client_deleted")
    assert sorted(events.values_list("target_id", flat=True)) == sorted(str(c.pk) for c in (ann, bob, cid))
    assert set(events.values_list("actor", flat=True)) == {superuser.pk}


def test_attempts_are_read_only_in_the_admin(client, superuser):
    client.force_login(superuser)

    assert client.get(reverse("admin:mailings_attempt_changelist")).status_code == 200
    assert client.get(reverse("admin:mailings_attempt_add")).status_code == 403
