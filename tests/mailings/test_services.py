"""Mailings services: clients and CSV, messages, mailing rules, managers, caches, `send_mailing`, demo data."""

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db.models import F
from django.utils import timezone

from accounts import demo as accounts_demo
from core.models import AuditEvent
from mailings import demo, selectors, services
from mailings.models import Attempt, Client, Mailing, MailingRun, MailMessage, Unsubscribe
from tests.mailings.factories import ClientFactory, MailingFactory, MailMessageFactory

pytestmark = pytest.mark.django_db


def csv_bytes(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


# --- Clients ---------------------------------------------------------------------------------


def test_client_create_validates_email_name_and_uniqueness_per_owner(user, other_user):
    services.client_create(owner=user, email="Ann@Example.org", full_name="  Ann   Lee ")

    with pytest.raises(ValidationError) as error:
        services.client_create(owner=user, email="not-an-email", full_name="")
    assert set(error.value.message_dict) == {"email", "full_name"}
    with pytest.raises(ValidationError) as error:
        services.client_create(owner=user, email="ann@example.ORG", full_name="Ann again")
    assert error.value.message_dict["email"] == ["You already have a client with this email."]
    services.client_create(owner=other_user, email="ann@example.org", full_name="Ann")  # another owner's list

    assert Client.objects.get(owner=user).full_name == "Ann Lee"
    assert Client.objects.count() == 2


def test_client_update_keeps_its_own_email_but_refuses_another_clients(user):
    ann = ClientFactory(owner=user, email="ann@example.org")
    ClientFactory(owner=user, email="bob@example.org")

    services.client_update(client=ann, email="ANN@example.org", full_name="Ann", comment="VIP")
    with pytest.raises(ValidationError):
        services.client_update(client=ann, email="Bob@example.org", full_name="Ann")

    ann.refresh_from_db()
    assert (ann.email, ann.comment) == ("ANN@example.org", "VIP")


# --- Messages --------------------------------------------------------------------------------


def test_message_needs_a_subject_and_a_body_of_sane_length(user):
    with pytest.raises(ValidationError) as error:
        services.mail_message_create(owner=user, subject=" ", body="")
    assert set(error.value.message_dict) == {"subject", "body"}
    with pytest.raises(ValidationError):
        services.mail_message_create(owner=user, subject="x" * 201, body="Hi")

    message = services.mail_message_create(owner=user, subject="Hello\nthere", body="Hi")
    services.mail_message_update(message=message, subject="News", body="Body", body_html="<p>Body</p>")

    message.refresh_from_db()
    assert (message.subject, message.body_html) == ("News", "<p>Body</p>")


def test_a_message_used_by_a_mailing_cannot_be_deleted(user):
    mailing = MailingFactory(owner=user)
    unused = MailMessageFactory(owner=user)

    with pytest.raises(ValidationError, match="used by a mailing"):
        services.mail_message_delete(message=mailing.message)
    services.mail_message_delete(message=unused)

    assert list(MailMessage.objects.all()) == [mailing.message]


# --- Mailings --------------------------------------------------------------------------------


def _window(days: int = 10) -> dict:
    start = timezone.now() + timedelta(days=1)
    return {"start_at": start, "end_at": start + timedelta(days=days)}


def test_mailing_create_refuses_other_peoples_messages_and_clients_and_bad_values(user, other_user):
    mine = ClientFactory(owner=user)
    theirs = ClientFactory(owner=other_user)
    foreign_message = MailMessageFactory(owner=other_user)
    window = _window()

    with pytest.raises(ValidationError) as error:
        services.mailing_create(
            owner=user,
            message=foreign_message,
            clients=[mine, theirs],
            start_at=window["end_at"],
            end_at=window["start_at"],
            periodicity="hourly",
            time_zone="Mars/Olympus",
        )

    assert set(error.value.message_dict) == {"message", "clients", "end_at", "periodicity", "time_zone"}
    with pytest.raises(ValidationError) as error:
        services.mailing_create(
            owner=user, message=MailMessageFactory(owner=user), clients=[], periodicity="once", **window
        )
    assert "clients" in error.value.message_dict
    assert not Mailing.objects.exists()


def test_mailing_create_sets_the_first_send(user):
    window = _window()
    mailing = services.mailing_create(
        owner=user,
        message=MailMessageFactory(owner=user),
        clients=[ClientFactory(owner=user)],
        periodicity="weekly",
        **window,
    )

    assert mailing.status == Mailing.Status.CREATED
    assert mailing.next_send_at == window["start_at"]
    assert mailing.clients.count() == 1


def test_only_the_owner_edits_a_mailing_and_only_while_created(user, manager):
    mailing = MailingFactory(owner=user, recipients=1)
    window = _window(days=3)

    with pytest.raises(PermissionDenied):
        services.mailing_update(mailing=mailing, actor=manager, periodicity="once")
    services.mailing_update(mailing=mailing, actor=user, periodicity="once", **window)
    mailing.refresh_from_db()
    assert (mailing.periodicity, mailing.next_send_at) == ("once", window["start_at"])

    Mailing.objects.filter(pk=mailing.pk).update(status=Mailing.Status.RUNNING)
    mailing.refresh_from_db()
    with pytest.raises(ValidationError, match="only before its first send"):
        services.mailing_update(mailing=mailing, actor=user, periodicity="daily")
    mailing.refresh_from_db()
    assert mailing.periodicity == "once"


def test_owner_cannot_reactivate_a_mailing_a_manager_disabled(user, manager):
    mailing = MailingFactory(owner=user, recipients=1)
    services.mailing_stop(mailing=mailing, actor=manager)

    with pytest.raises(ValidationError) as error:
        services.mailing_update(mailing=mailing, actor=user, is_active=True)
    assert "is_active" in error.value.message_dict

    own = MailingFactory(owner=user, recipients=1)
    services.mailing_stop(mailing=own, actor=user)
    services.mailing_update(mailing=own, actor=user, is_active=True)
    own.refresh_from_db()
    assert (own.is_active, own.disabled_by) == (True, None)


def test_a_running_mailing_cannot_be_deleted_but_can_be_stopped(user, other_user):
    mailing = MailingFactory(owner=user, status=Mailing.Status.RUNNING, recipients=1)

    with pytest.raises(ValidationError, match="stop it first"):
        services.mailing_delete(mailing=mailing, actor=user)
    with pytest.raises(PermissionDenied):
        services.mailing_delete(mailing=mailing, actor=other_user)
    with pytest.raises(PermissionDenied):
        services.mailing_stop(mailing=mailing, actor=other_user)
    services.mailing_stop(mailing=mailing, actor=user)

    mailing.refresh_from_db()
    assert (mailing.is_active, mailing.disabled_by) == (False, user)
    Mailing.objects.filter(pk=mailing.pk).update(status=Mailing.Status.COMPLETED)
    mailing.refresh_from_db()
    services.mailing_delete(mailing=mailing, actor=user)
    assert not Mailing.objects.exists()


def test_a_manager_disables_anyones_mailing(user, manager):
    mailing = MailingFactory(owner=user, status=Mailing.Status.RUNNING)

    services.mailing_stop(mailing=mailing, actor=manager)

    mailing.refresh_from_db()
    assert (mailing.is_active, mailing.disabled_by) == (False, manager)


def test_send_now_refuses_a_stopped_or_empty_mailing(user, other_user):
    empty = MailingFactory(owner=user)
    stopped = MailingFactory(owner=user, is_active=False, recipients=1)

    with pytest.raises(ValidationError, match="no clients"):
        services.mailing_send_now(mailing=empty, actor=user)
    with pytest.raises(ValidationError, match="stopped"):
        services.mailing_send_now(mailing=stopped, actor=user)
    with pytest.raises(PermissionDenied):
        services.mailing_send_now(mailing=MailingFactory(owner=user, recipients=1), actor=other_user)
    assert not MailingRun.objects.exists()


def test_send_now_waiting_sends_in_this_process(user, mailoutbox):
    mailing = MailingFactory(owner=user, recipients=3)

    run = services.mailing_send_now(mailing=mailing, actor=user, wait=True)

    assert run.status == MailingRun.Status.FINISHED
    assert len(mailoutbox) == 3
    assert run.attempts.filter(status=Attempt.Status.SUCCESS).count() == 3


# --- `send_mailing <id>` ---------------------------------------------------------------------


def test_send_mailing_command_sends_now_and_prints_the_counts(user, mailoutbox):
    mailing = MailingFactory(owner=user, recipients=3)
    skipped = mailing.clients.first()
    Unsubscribe.objects.create(owner=user, email=skipped.email.upper())
    out = StringIO()

    call_command("send_mailing", str(mailing.pk), stdout=out)

    assert len(mailoutbox) == 2
    assert skipped.email not in [address for email in mailoutbox for address in email.to]
    run = MailingRun.objects.get(mailing=mailing)
    assert run.manual
    assert (
        f"Mailing {mailing.pk}, run {run.pk}: 2 sent, 0 failed, 1 skipped (unsubscribed), 0 unknown, 3 recipients."
        in out.getvalue()
    )


def test_send_mailing_command_refuses_unknown_and_stopped_mailings(user, mailoutbox):
    stopped = MailingFactory(owner=user, is_active=False, recipients=1)

    with pytest.raises(CommandError, match="No mailing with id 999999"):
        call_command("send_mailing", "999999")
    with pytest.raises(CommandError, match="stopped"):
        call_command("send_mailing", str(stopped.pk))
    assert mailoutbox == []


# --- Managers block users --------------------------------------------------------------------


def test_a_manager_blocks_a_user_who_is_told_why_and_until_when(
    manager, user, mailoutbox, django_capture_on_commit_callbacks
):
    until = timezone.now() + timedelta(days=3)

    with django_capture_on_commit_callbacks(execute=True):
        services.manager_user_block(actor=manager, user=user, reason="Spam to clients", until=until)

    user.refresh_from_db()
    assert (user.is_blocked, user.blocked_reason, user.blocked_until) == (True, "Spam to clients", until)
    assert mailoutbox[0].to == [user.email]
    assert "Spam to clients" in mailoutbox[0].body
    services.manager_user_unblock(actor=manager, user=user)
    user.refresh_from_db()
    assert not user.is_blocked


def test_only_managers_block_and_never_themselves_or_a_superuser(manager, user, other_user, superuser):
    with pytest.raises(PermissionDenied):
        services.manager_user_block(actor=user, user=other_user, reason="x", until=None)
    with pytest.raises(ValidationError, match="yourself"):
        services.manager_user_block(actor=manager, user=manager, reason="x", until=None)
    with pytest.raises(ValidationError, match="superuser"):
        services.manager_user_block(actor=manager, user=superuser, reason="x", until=None)
    with pytest.raises(PermissionDenied):
        services.manager_user_unblock(actor=user, user=other_user)

    services.manager_user_block(actor=superuser, user=manager, reason="Testing", until=None)
    manager.refresh_from_db()
    assert manager.is_blocked
    other_user.refresh_from_db()
    assert not other_user.is_blocked


# --- Caches ----------------------------------------------------------------------------------


def test_home_numbers_count_unique_clients_case_insensitively_and_active_mailings(user, other_user):
    ClientFactory(owner=user, email="same@example.org")
    ClientFactory(owner=other_user, email="SAME@example.org")
    ClientFactory(owner=other_user, email="other@example.org")
    MailingFactory(owner=user, status=Mailing.Status.RUNNING)
    MailingFactory(owner=user, status=Mailing.Status.RUNNING, is_active=False)
    MailingFactory(owner=user, status=Mailing.Status.COMPLETED)

    assert selectors.home_data() == {"mailings": 3, "active": 1, "clients": 2}


def test_home_numbers_are_cached_and_cleared_when_they_change(
    user, django_assert_num_queries, django_capture_on_commit_callbacks
):
    assert selectors.home_data()["clients"] == 0
    ClientFactory(owner=user)  # behind the services' back: the cache still answers
    with django_assert_num_queries(0):
        assert selectors.home_data()["clients"] == 0

    with django_capture_on_commit_callbacks(execute=True):
        services.client_create(owner=user, email="new@example.org", full_name="New")
    assert selectors.home_data()["clients"] == 2

    mailing = MailingFactory(owner=user, status=Mailing.Status.RUNNING)
    cache.delete(selectors.HOME_CACHE_KEY)
    assert selectors.home_data()["active"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.mailing_stop(mailing=mailing, actor=user)
    assert selectors.home_data()["active"] == 0


def test_clear_cache_command_empties_the_home_cache(user):
    selectors.home_data()
    assert cache.get(selectors.HOME_CACHE_KEY) is not None

    call_command("clear_cache", stdout=StringIO())

    assert cache.get(selectors.HOME_CACHE_KEY) is None


def test_client_pages_are_cached_per_owner_until_one_of_their_clients_changes(
    user, other_user, django_assert_num_queries, django_capture_on_commit_callbacks
):
    ann = ClientFactory(owner=user, full_name="Ann")
    ClientFactory(owner=other_user, full_name="Zed")
    assert [row["full_name"] for row in selectors.client_page(user).object_list] == ["Ann"]
    Client.objects.filter(pk=ann.pk).update(full_name="Changed behind the back")

    with django_assert_num_queries(0):
        page = selectors.client_page(user)
    assert [row["full_name"] for row in page.object_list] == ["Ann"]
    assert page.paginator.count == 1
    assert [row["full_name"] for row in selectors.client_page(other_user).object_list] == ["Zed"]

    with django_capture_on_commit_callbacks(execute=True):
        services.client_create(owner=user, email="bob@example.org", full_name="Bob")
    assert [row["full_name"] for row in selectors.client_page(user).object_list] == ["Bob", "Changed behind the back"]


# --- Demo data -------------------------------------------------------------------------------


def _fill(scale: int = 1) -> str:
    out = StringIO()
    accounts_demo.fill(scale=1, stdout=out)
    demo.fill(scale=scale, stdout=out)
    return out.getvalue()


def test_fill_runs_the_mailings_demo_after_the_chat_one():
    fillers = settings.DEMO_FILLERS
    assert fillers.index("mailings.demo.fill") == fillers.index("chat.demo.fill") + 1


def test_demo_gives_alice_and_bob_clients_messages_and_a_mailing_of_every_periodicity():
    output = _fill()

    assert "Mailings: 24 clients, 8 messages, 8 mailings added." in output
    for username in demo.OWNERS:
        mailings = Mailing.objects.filter(owner__username=username)
        assert set(mailings.values_list("periodicity", flat=True)) == set(Mailing.Periodicity.values)
        assert Client.objects.filter(owner__username=username).count() == demo.CLIENTS_PER_OWNER
        assert all(mailing.clients.count() == demo.CLIENTS_PER_OWNER for mailing in mailings)
    once = Mailing.objects.filter(owner__username="alice", periodicity="once").get()
    assert once.status == Mailing.Status.COMPLETED
    assert selectors.mailing_stats(once)["sent"] == demo.CLIENTS_PER_OWNER - 1
    assert selectors.mailing_stats(once)["failed"] == 1
    upcoming = Mailing.objects.exclude(periodicity="once")
    assert all(mailing.next_send_at > timezone.now() for mailing in upcoming)


def test_demo_is_idempotent_and_scale_multiplies_the_clients():
    _fill()
    counts = (Client.objects.count(), MailMessage.objects.count(), Mailing.objects.count(), Attempt.objects.count())

    assert "Mailings: 0 clients, 0 messages, 0 mailings added." in _fill()
    assert counts == (
        Client.objects.count(),
        MailMessage.objects.count(),
        Mailing.objects.count(),
        Attempt.objects.count(),
    )
    assert "Mailings: 48 clients, 0 messages, 0 mailings added." in _fill(scale=3)
    assert Client.objects.filter(owner__username="alice").count() == 3 * demo.CLIENTS_PER_OWNER


def test_a_manager_cannot_send_someone_elses_mailing_now(manager, django_capture_on_commit_callbacks):
    mailing = MailingFactory(recipients=2)
    with pytest.raises(PermissionDenied):
        services.mailing_send_now(mailing=mailing, actor=manager)
    assert not MailingRun.objects.filter(mailing=mailing).exists()


def test_send_now_ends_the_created_state_so_the_mailing_is_no_longer_editable(django_capture_on_commit_callbacks):
    mailing = MailingFactory(recipients=1, status=Mailing.Status.CREATED)
    with django_capture_on_commit_callbacks(execute=True):
        services.mailing_send_now(mailing=mailing, actor=mailing.owner)
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.RUNNING
    with pytest.raises(ValidationError):
        services.mailing_update(mailing=mailing, actor=mailing.owner, periodicity="weekly")


def test_the_scheduler_starting_a_mailing_refreshes_the_section_home(django_capture_on_commit_callbacks):
    from mailings import sending

    mailing = MailingFactory(recipients=1, status=Mailing.Status.CREATED)
    assert selectors.home_data()["active"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        run = sending.claim_due_run(mailing_id=mailing.pk, now=timezone.now())
    assert run is not None
    assert selectors.home_data()["active"] == 1


def test_client_and_message_writes_are_audited(user):
    client = services.client_create(owner=user, email="ann@example.org", full_name="Ann")
    services.client_update(client=client, email="ann@example.org", full_name="Ann Lee")
    message = services.mail_message_create(owner=user, subject="News", body="Hi")
    services.mail_message_update(message=message, subject="News!", body="Hi")
    services.mail_message_delete(message=message)
    services.client_delete(client=client)

    events = AuditEvent.objects.filter(actor=user).order_by("id").values_list("action", flat=True)
    assert list(events) == [
        "mailings.client_created",
        "mailings.client_updated",
        "mailings.message_created",
        "mailings.message_updated",
        "mailings.message_deleted",
        "mailings.client_deleted",
    ]


def test_a_message_in_use_is_not_deleted_and_nothing_is_audited(user):
    mailing = MailingFactory(owner=user, recipients=1)

    with pytest.raises(ValidationError):
        services.mail_message_delete(message=mailing.message)

    assert MailMessage.objects.filter(pk=mailing.message_id).exists()
    assert not AuditEvent.objects.filter(action="mailings.message_deleted").exists()


def test_the_users_home_numbers_are_cached_per_user_and_cleared_by_their_changes_and_the_sender(
    user, other_user, django_capture_on_commit_callbacks
):
    from mailings import sending

    mailing = MailingFactory(owner=user, recipients=1, status=Mailing.Status.CREATED)
    assert selectors.home_user_data(user) == {"mailings": 1, "active": 0, "clients": 1}
    assert selectors.home_user_data(other_user) == {"mailings": 0, "active": 0, "clients": 0}
    MailingFactory(owner=other_user, recipients=1)  # behind the services' back: the cache still answers
    assert selectors.home_user_data(other_user)["mailings"] == 0

    with django_capture_on_commit_callbacks(execute=True):
        sending.claim_due_run(mailing_id=mailing.pk, now=timezone.now())  # the scheduler starts it
    assert selectors.home_user_data(user)["active"] == 1
    assert selectors.home_user_data(other_user)["mailings"] == 0  # another user's key is left alone

    Mailing.objects.filter(pk=mailing.pk).update(end_at=F("start_at") + timedelta(seconds=1))  # ended
    sending.expired_mailings_complete(now=timezone.now())  # the job completes it
    assert selectors.home_user_data(user)["active"] == 0

    with django_capture_on_commit_callbacks(execute=True):
        services.client_create(owner=other_user, email="new@example.org", full_name="New")
    assert selectors.home_user_data(other_user) == {"mailings": 1, "active": 0, "clients": 2}
