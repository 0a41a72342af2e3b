"""Mailings pages: owners, managers, CSV, time zones, statistics, send now with progress, cached home."""

import re
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.middleware.csrf import _unmask_cipher_token  # type: ignore[attr-defined]  # private, not in the stubs
from django.urls import reverse
from django.utils import timezone

from mailings import services
from mailings.models import Attempt, Client, Mailing, MailingRun, MailMessage
from tests.blog.factories import ArticleFactory
from tests.factories import UserFactory
from tests.mailings.factories import ClientFactory, MailingFactory, MailMessageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_client(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def texts(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def run_with_attempts(mailing: Mailing, **statuses: int) -> MailingRun:
    """A finished run of ``mailing`` with N attempts per status: ``run_with_attempts(m, success=2)``."""
    run = MailingRun.objects.create(mailing=mailing, scheduled_for=timezone.now(), status=MailingRun.Status.FINISHED)
    for status, count in statuses.items():
        for _ in range(count):
            client = ClientFactory(owner=mailing.owner)
            mailing.clients.add(client)
            Attempt.objects.create(
                run=run,
                mailing=mailing,
                client=client,
                email=client.email,
                status=status,
                response=f"{status} answer",
                tries=1,
            )
    MailingRun.objects.filter(pk=run.pk).update(total=run.attempts.count())
    return run


# --- Owners see and change only their own ----------------------------------------------------


@pytest.fixture
def strangers(other_user):
    """Someone else's client, message, mailing and run."""
    mailing = MailingFactory(owner=other_user, recipients=1, periodicity="once")
    run = run_with_attempts(mailing, failure=1)
    return {"client": mailing.clients.first(), "message": mailing.message, "mailing": mailing, "run": run}


@pytest.mark.parametrize(
    ("method", "route", "key", "data"),
    [
        ("get", "mailings:client-edit", "client", None),
        ("post", "mailings:client-edit", "client", {"email": "x@example.org", "full_name": "Hacked"}),
        ("post", "mailings:client-delete", "client", None),
        ("get", "mailings:message-edit", "message", None),
        ("post", "mailings:message-edit", "message", {"subject": "Hacked", "body": "Hacked"}),
        ("post", "mailings:message-delete", "message", None),
        ("get", "mailings:mailing", "mailing", None),
        ("get", "mailings:mailing-edit", "mailing", None),
        ("post", "mailings:mailing-edit", "mailing", {"periodicity": "once"}),
        ("post", "mailings:mailing-delete", "mailing", None),
        ("post", "mailings:mailing-stop", "mailing", None),
        ("post", "mailings:mailing-send-now", "mailing", None),
        ("get", "mailings:run", "run", None),
        ("get", "mailings:run-progress", "run", None),
        ("post", "mailings:run-retry", "run", None),
    ],
)
def test_other_peoples_objects_answer_404_and_stay_unchanged(owner_client, strangers, method, route, key, data):
    response = getattr(owner_client, method)(reverse(route, args=[strangers[key].pk]), data or {})

    assert response.status_code == 404
    mailing = Mailing.objects.get(pk=strangers["mailing"].pk)
    assert (mailing.is_active, mailing.periodicity) == (True, "once")
    assert Client.objects.get(pk=strangers["client"].pk).full_name != "Hacked"
    assert MailMessage.objects.get(pk=strangers["message"].pk).subject != "Hacked"
    assert MailingRun.objects.count() == 1
    assert Attempt.objects.get().next_try_at is None


def test_lists_show_only_the_owners_objects(owner_client, user, strangers):
    mine = MailingFactory(owner=user, recipients=1)

    mailings = owner_client.get(reverse("mailings:mailings"))
    clients = owner_client.get(reverse("mailings:clients"))
    messages = owner_client.get(reverse("mailings:messages"))

    assert list(mailings.context["page"].object_list) == [mine]
    assert [row["pk"] for row in clients.context["page"].object_list] == [mine.clients.get().pk]
    assert list(messages.context["page"].object_list) == [mine.message]
    assert strangers["message"].subject.encode() not in mailings.content + messages.content


# --- Clients ---------------------------------------------------------------------------------


def test_client_create_edit_and_delete(owner_client, user):
    response = owner_client.post(
        reverse("mailings:client-create"),
        {"email": "ann@example.org", "full_name": "Ann", "comment": "VIP"},
        follow=True,
    )
    assert "The client is saved." in texts(response)
    client = Client.objects.get(owner=user)
    assert b"ann@example.org" in response.content

    response = owner_client.post(
        reverse("mailings:client-edit", args=[client.pk]), {"email": "ann@example.org", "full_name": "Ann Lee"}
    )
    assert response.status_code == 302
    client.refresh_from_db()
    assert client.full_name == "Ann Lee"

    owner_client.post(reverse("mailings:client-delete", args=[client.pk]))
    assert not Client.objects.exists()


def test_client_form_shows_errors_beside_the_fields(owner_client, user):
    ClientFactory(owner=user, email="ann@example.org")

    response = owner_client.post(reverse("mailings:client-create"), {"email": "ANN@example.org", "full_name": "Ann"})

    assert response.status_code == 200
    assert response.context["form"].errors["email"] == ["You already have a client with this email."]
    assert Client.objects.count() == 1
    response = owner_client.post(reverse("mailings:client-create"), {"email": "nope", "full_name": ""})
    assert set(response.context["form"].errors) == {"email", "full_name"}


def test_csv_import_page_refuses_a_non_utf8_file(owner_client):
    upload = SimpleUploadedFile("clients.csv", "ivan@example.org,Иван\n".encode("cp1251"), content_type="text/csv")

    response = owner_client.post(reverse("mailings:client-import"), {"file": upload})

    assert response.context["import_errors"] == ["The file must be UTF-8 encoded CSV."]
    assert not Client.objects.exists()
    response = owner_client.post(reverse("mailings:client-import"), {})
    assert response.context["import_errors"] == ["Choose a CSV file."]


def test_csv_export_downloads_the_owners_clients(owner_client, user, other_user):
    ClientFactory(owner=user, email="ann@example.org", full_name="Ann")
    ClientFactory(owner=other_user, email="secret@example.org")

    response = owner_client.get(reverse("mailings:client-export"))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="clients.csv"'
    assert response.content.decode("utf-8-sig").splitlines() == ["email,full_name,comment", "ann@example.org,Ann,"]


def test_csv_export_starts_with_a_byte_order_mark_and_reads_back_with_cyrillic(owner_client, user, other_user):
    ClientFactory(owner=user, email="ivan@example.org", full_name="Иван Петров")

    exported = owner_client.get(reverse("mailings:client-export")).content

    # Excel reads a CSV as UTF-8 (Cyrillic shown) only with the byte order mark first.
    assert exported.startswith(b"\xef\xbb\xbf")
    assert exported[3:].decode().splitlines()[1] == "ivan@example.org,Иван Петров,"
    # The import reads the exported file back, mark included.
    owner_client.force_login(other_user)
    owner_client.post(reverse("mailings:client-import"), {"file": SimpleUploadedFile("clients.csv", exported)})
    other = Client.objects.get(owner=other_user)
    assert (other.email, other.full_name) == ("ivan@example.org", "Иван Петров")


def test_client_list_is_cached_per_owner_and_refreshed_on_change(
    owner_client, client, user, other_user, django_capture_on_commit_callbacks
):
    ann = ClientFactory(owner=user, full_name="Ann")
    assert b"Ann" in owner_client.get(reverse("mailings:clients")).content
    Client.objects.filter(pk=ann.pk).update(full_name="Renamed quietly")

    assert b"Renamed quietly" not in owner_client.get(reverse("mailings:clients")).content  # served from the cache

    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(reverse("mailings:client-edit", args=[ann.pk]), {"email": ann.email, "full_name": "Ann Lee"})
    assert b"Ann Lee" in owner_client.get(reverse("mailings:clients")).content
    client.force_login(other_user)
    assert b"no-clients" in client.get(reverse("mailings:clients")).content


def test_client_list_cache_keeps_csrf_tokens_fresh(client, user):
    """The cache holds data, not HTML: after a new login every form carries the new CSRF secret."""
    ClientFactory(owner=user)
    client.force_login(user)
    client.get(reverse("mailings:clients"))
    client.logout()
    client.force_login(user)

    response = client.get(reverse("mailings:clients"))

    secret = client.cookies[settings.CSRF_COOKIE_NAME].value
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())
    assert len(tokens) >= 3  # language switch, import, delete
    assert {_unmask_cipher_token(token) for token in tokens} == {secret}


def test_client_pages_paginate(owner_client, user):
    ClientFactory.create_batch(30, owner=user)

    second = owner_client.get(reverse("mailings:clients"), {"page": 2})
    junk = owner_client.get(reverse("mailings:clients"), {"page": "junk"})

    assert len(second.context["page"].object_list) == 5
    assert junk.context["page"].number == 1


# --- Messages --------------------------------------------------------------------------------


def test_message_create_edit_and_delete(owner_client, user):
    owner_client.post(reverse("mailings:message-create"), {"subject": "Hello", "body": "Text"})
    message = MailMessage.objects.get(owner=user)
    owner_client.post(
        reverse("mailings:message-edit", args=[message.pk]), {"subject": "Hi", "body": "New", "body_html": "<b>New</b>"}
    )
    message.refresh_from_db()
    assert (message.subject, message.body_html) == ("Hi", "<b>New</b>")

    response = owner_client.post(reverse("mailings:message-delete", args=[message.pk]), follow=True)

    assert texts(response)[-1] == "The message is deleted."
    assert not MailMessage.objects.exists()


def test_a_message_used_by_a_mailing_is_not_deleted(owner_client, user):
    mailing = MailingFactory(owner=user)

    response = owner_client.post(reverse("mailings:message-delete", args=[mailing.message.pk]), follow=True)

    assert texts(response) == ["This message is used by a mailing; delete the mailing first."]
    assert MailMessage.objects.filter(pk=mailing.message.pk).exists()


# --- Mailings --------------------------------------------------------------------------------


def mailing_form(user, **overrides) -> dict:
    clients = list(Client.objects.filter(owner=user)) or [ClientFactory(owner=user)]
    message = MailMessage.objects.filter(owner=user).first() or MailMessageFactory(owner=user)
    return {
        "message": message.pk,
        "clients": [client.pk for client in clients],
        "start_at": "2030-07-15T09:00",
        "end_at": "2030-08-15T09:00",
        "periodicity": "daily",
        "time_zone": "Asia/Tokyo",
        "is_active": "on",
        **overrides,
    }


@pytest.mark.parametrize(
    ("zone", "local", "utc"),
    [
        ("Asia/Tokyo", "2030-07-15T09:00", datetime(2030, 7, 15, 0, 0, tzinfo=UTC)),
        ("America/New_York", "2030-07-15T09:00", datetime(2030, 7, 15, 13, 0, tzinfo=UTC)),  # summer: UTC-4
        ("America/New_York", "2030-01-15T09:00", datetime(2030, 1, 15, 14, 0, tzinfo=UTC)),  # winter: UTC-5
        # 01:30 on 31 March 2030 does not exist in London (the server's zone here), but does in Tokyo.
        ("Asia/Tokyo", "2030-03-31T01:30", datetime(2030, 3, 30, 16, 30, tzinfo=UTC)),
    ],
)
def test_mailing_times_are_read_in_the_zone_chosen_on_the_form(owner_client, user, settings, zone, local, utc):
    settings.TIME_ZONE = "Europe/London"

    response = owner_client.post(
        reverse("mailings:mailing-create"),
        mailing_form(user, time_zone=zone, start_at=local, end_at="2031-01-01T00:00"),
    )

    assert response.status_code == 302, response.context and response.context["form"].errors
    mailing = Mailing.objects.get(owner=user)
    assert response["Location"] == reverse("mailings:mailing", args=[mailing.pk])
    assert (mailing.time_zone, mailing.start_at, mailing.next_send_at) == (zone, utc, utc)


def test_mailing_edit_form_shows_the_times_in_the_mailings_zone(owner_client, user):
    owner_client.post(reverse("mailings:mailing-create"), mailing_form(user))
    mailing = Mailing.objects.get()

    response = owner_client.get(reverse("mailings:mailing-edit", args=[mailing.pk]))

    assert b'value="2030-07-15T09:00"' in response.content
    detail = owner_client.get(reverse("mailings:mailing", args=[mailing.pk]))
    assert b"(Asia/Tokyo)" in detail.content


def test_mailing_form_offers_only_the_owners_messages_and_clients(owner_client, user, other_user):
    foreign_client = ClientFactory(owner=other_user)
    foreign_message = MailMessageFactory(owner=other_user)

    form = owner_client.get(reverse("mailings:mailing-create")).context["form"]
    assert list(form.fields["message"].queryset) == []
    response = owner_client.post(
        reverse("mailings:mailing-create"), mailing_form(user, message=foreign_message.pk, clients=[foreign_client.pk])
    )

    assert set(response.context["form"].errors) == {"message", "clients"}
    assert not Mailing.objects.exists()


def test_mailing_form_hints_when_there_is_nothing_to_send(owner_client, user):
    assert b"Write a message first" in owner_client.get(reverse("mailings:mailing-create")).content
    MailMessageFactory(owner=user)
    assert b"Add clients first" in owner_client.get(reverse("mailings:mailing-create")).content


def test_mailing_form_errors_stay_beside_the_fields(owner_client, user):
    response = owner_client.post(
        reverse("mailings:mailing-create"), mailing_form(user, end_at="2030-07-01T09:00", start_at="not a date")
    )
    assert "start_at" in response.context["form"].errors

    response = owner_client.post(reverse("mailings:mailing-create"), mailing_form(user, end_at="2030-07-01T09:00"))
    assert response.context["form"].errors["end_at"] == ["The end must come after the first send."]
    assert not Mailing.objects.exists()


def test_a_mailing_is_edited_only_while_created(owner_client, user):
    mailing = MailingFactory(owner=user, recipients=1, status=Mailing.Status.RUNNING)

    response = owner_client.get(reverse("mailings:mailing-edit", args=[mailing.pk]), follow=True)
    assert texts(response) == ["A mailing can be edited only before its first send."]
    owner_client.post(reverse("mailings:mailing-edit", args=[mailing.pk]), mailing_form(user, periodicity="once"))

    mailing.refresh_from_db()
    assert mailing.periodicity == "daily"
    detail = owner_client.get(reverse("mailings:mailing", args=[mailing.pk]))
    assert b'id="edit-mailing"' not in detail.content
    assert b'id="delete-mailing"' not in detail.content


def test_a_created_mailing_is_edited(owner_client, user):
    mailing = MailingFactory(owner=user, recipients=1)

    owner_client.post(reverse("mailings:mailing-edit", args=[mailing.pk]), mailing_form(user, periodicity="monthly"))

    mailing.refresh_from_db()
    assert (mailing.periodicity, mailing.time_zone) == ("monthly", "Asia/Tokyo")


def test_a_running_mailing_is_not_deleted_but_stopped(owner_client, user):
    mailing = MailingFactory(owner=user, recipients=1, status=Mailing.Status.RUNNING)

    response = owner_client.post(reverse("mailings:mailing-delete", args=[mailing.pk]), follow=True)
    assert texts(response) == ["A running mailing cannot be deleted; stop it first."]
    response = owner_client.post(reverse("mailings:mailing-stop", args=[mailing.pk]), follow=True)
    assert texts(response) == ["The mailing is stopped."]

    mailing.refresh_from_db()
    assert (mailing.status, mailing.is_active, mailing.disabled_by) == (Mailing.Status.STOPPED, False, user)
    assert b'id="mailing-status">Stopped<' in response.content
    assert b'id="send-now"' not in response.content
    assert b'id="resume-mailing"' in response.content and b'id="delete-mailing"' in response.content


def test_a_stopped_completed_mailing_is_deleted(owner_client, user):
    mailing = MailingFactory(owner=user, recipients=1, status=Mailing.Status.COMPLETED)
    detail = owner_client.get(reverse("mailings:mailing", args=[mailing.pk]))
    assert b'id="stop-mailing"' not in detail.content  # nothing left to stop

    response = owner_client.post(reverse("mailings:mailing-delete", args=[mailing.pk]))

    assert response["Location"] == reverse("mailings:mailings")
    assert not Mailing.objects.exists()


def test_detail_page_shows_statistics_last_attempts_and_next_send(owner_client, user):
    mailing = MailingFactory(
        owner=user,
        time_zone="Europe/Moscow",
        next_send_at=datetime(2030, 5, 1, 6, 0, tzinfo=UTC),
        start_at=datetime(2030, 4, 1, 6, 0, tzinfo=UTC),
    )
    run = run_with_attempts(mailing, success=3, failure=2, skipped=1)

    response = owner_client.get(reverse("mailings:mailing", args=[mailing.pk]))

    stats = response.context["stats"]
    assert (stats["sent"], stats["failed"], stats["skipped"]) == (3, 2, 1)
    assert len(stats["last_attempts"]) == 6
    content = response.content.decode()
    assert 'id="stat-sent">3<' in content
    assert 'id="stat-failed">2<' in content
    assert 'id="stat-skipped">1<' in content
    assert "05/01/2030 9 a.m." in content or "01.05.2030 09:00" in content  # 06:00 UTC is 09:00 in Moscow
    assert reverse("mailings:run", args=[run.pk]) in content
    assert "failure answer" in content


def test_send_now_opens_the_run_page_with_a_progress_bar(
    owner_client, user, mailoutbox, django_capture_on_commit_callbacks
):
    mailing = MailingFactory(owner=user, recipients=3)

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(reverse("mailings:mailing-send-now", args=[mailing.pk]))

    run = MailingRun.objects.get(mailing=mailing)
    assert response["Location"] == reverse("mailings:run", args=[run.pk])
    assert len(mailoutbox) == 3
    page = owner_client.get(response["Location"])
    assert b'id="run-progress"' in page.content
    assert b'data-url="' + reverse("mailings:run-progress", args=[run.pk]).encode() in page.content
    assert page.context["progress"]["percent"] == 100
    assert b"js/mailings.js" in page.content


def test_send_now_of_a_stopped_mailing_is_refused(owner_client, user):
    mailing = MailingFactory(owner=user, recipients=1, is_active=False)

    response = owner_client.post(reverse("mailings:mailing-send-now", args=[mailing.pk]), follow=True)

    assert texts(response) == ["This mailing is stopped."]
    assert not MailingRun.objects.exists()


def test_progress_endpoint_reports_the_run_as_json(owner_client, user):
    mailing = MailingFactory(owner=user, recipients=2)
    run = MailingRun.objects.create(mailing=mailing, scheduled_for=timezone.now(), total=4)
    client = mailing.clients.first()
    Attempt.objects.create(run=run, mailing=mailing, client=client, email=client.email, status="success")

    data = owner_client.get(reverse("mailings:run-progress", args=[run.pk])).json()

    assert data == {
        "run": run.pk,
        "status": "running",
        "total": 4,
        "done": 1,
        "sent": 1,
        "failed": 0,
        "skipped": 0,
        "unknown": 0,
        "pending": 3,
        "finished": False,
        "needs_attention": False,
        "percent": 25,
    }
    assert owner_client.post(reverse("mailings:run-progress", args=[run.pk])).status_code == 405


def test_run_page_retries_failed_deliveries_only(owner_client, user, mailoutbox, django_capture_on_commit_callbacks):
    mailing = MailingFactory(owner=user)
    run = run_with_attempts(mailing, success=2, failure=1)
    failed = Attempt.objects.get(status="failure")

    page = owner_client.get(reverse("mailings:run", args=[run.pk]))
    assert b'id="retry-failed"' in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(reverse("mailings:run-retry", args=[run.pk]), follow=True)

    assert texts(response) == ["1 failed delivery will be retried."]
    assert [email.to for email in mailoutbox] == [[failed.email]]
    failed.refresh_from_db()
    assert (failed.status, failed.tries) == ("success", 2)
    assert b'id="retry-failed"' not in owner_client.get(reverse("mailings:run", args=[run.pk])).content


def test_dashboard_counts_the_owners_objects(owner_client, user, other_user):
    MailingFactory(
        owner=user, recipients=2, time_zone="Asia/Tokyo", next_send_at=datetime(2030, 5, 1, 0, 0, tzinfo=UTC)
    )
    MailingFactory(owner=other_user, recipients=5)

    response = owner_client.get(reverse("mailings:dashboard"))

    assert (response.context["mailing_count"], response.context["client_count"], response.context["message_count"]) == (
        1,
        2,
        1,
    )
    assert b'id="nav-users"' not in response.content
    assert '05/01/2030 9 a.m. <span class="text-muted">Asia/Tokyo</span>' in response.content.decode()


# --- Managers --------------------------------------------------------------------------------


def test_managers_see_every_mailing_with_its_owner(manager_client, user, other_user):
    MailingFactory(owner=user)
    MailingFactory(owner=other_user)

    response = manager_client.get(reverse("mailings:mailings"))

    assert response.context["page"].paginator.count == 2
    assert user.username.encode() in response.content and other_user.username.encode() in response.content
    assert b"All mailings" in response.content


def test_a_manager_stops_anyones_mailing(manager_client, manager, user):
    mailing = MailingFactory(owner=user, recipients=1, status=Mailing.Status.RUNNING)

    detail = manager_client.get(reverse("mailings:mailing", args=[mailing.pk]))
    assert b'id="stop-mailing"' in detail.content
    assert b'id="send-now"' not in detail.content and b'id="delete-mailing"' not in detail.content
    manager_client.post(reverse("mailings:mailing-stop", args=[mailing.pk]))

    mailing.refresh_from_db()
    assert (mailing.is_active, mailing.disabled_by) == (False, manager)


@pytest.mark.parametrize(
    ("method", "route", "key", "data", "status"),
    [
        ("get", "mailings:mailing-edit", "mailing", None, 404),
        ("post", "mailings:mailing-edit", "mailing", {"periodicity": "once"}, 404),
        ("post", "mailings:mailing-delete", "mailing", None, 404),
        ("post", "mailings:mailing-send-now", "mailing", None, 404),
        ("get", "mailings:client-edit", "client", None, 404),
        ("post", "mailings:client-edit", "client", {"email": "x@example.org", "full_name": "Hacked"}, 404),
        ("post", "mailings:client-delete", "client", None, 404),
        ("get", "mailings:message-edit", "message", None, 404),
        ("post", "mailings:message-edit", "message", {"subject": "Hacked", "body": "Hacked"}, 404),
        ("post", "mailings:message-delete", "message", None, 404),
    ],
)
def test_managers_cannot_edit_or_delete_other_peoples_things(manager_client, user, method, route, key, data, status):
    mailing = MailingFactory(owner=user, recipients=1, periodicity="once", status=Mailing.Status.COMPLETED)
    objects = {"mailing": mailing, "client": mailing.clients.get(), "message": mailing.message}

    response = getattr(manager_client, method)(reverse(route, args=[objects[key].pk]), data or {})

    assert response.status_code == status
    mailing.refresh_from_db()
    assert mailing.periodicity == "once"
    assert Client.objects.get().full_name != "Hacked"
    assert MailMessage.objects.get().subject != "Hacked"


def test_an_owner_cannot_reenable_what_a_manager_disabled(owner_client, user, manager):
    mailing = MailingFactory(owner=user, recipients=1)
    services.mailing_stop(mailing=mailing, actor=manager)

    response = owner_client.post(
        reverse("mailings:mailing-edit", args=[mailing.pk]), mailing_form(user, is_active="on")
    )

    assert response.context["form"].errors["is_active"] == [
        "A manager disabled this mailing; only a manager can undo that."
    ]
    mailing.refresh_from_db()
    assert not mailing.is_active


def test_the_users_page_is_for_managers_only(owner_client, user):
    assert owner_client.get(reverse("mailings:users")).status_code == 404
    assert owner_client.post(reverse("mailings:user-block", args=[user.pk]), {"reason": "x"}).status_code == 404
    user.refresh_from_db()
    assert not user.is_blocked


def test_managers_search_and_page_through_users(manager_client, manager):
    UserFactory.create_batch(30)
    target = UserFactory(username="needle", email="needle@example.net")

    listing = manager_client.get(reverse("mailings:users"))
    found = manager_client.get(reverse("mailings:users"), {"q": "EXAMPLE.NET"})
    by_name = manager_client.get(reverse("mailings:users"), {"q": "needl"})

    assert listing.context["page"].paginator.count == 32
    assert len(listing.context["page"].object_list) == 25
    assert b'id="nav-users"' in listing.content
    assert list(found.context["page"].object_list) == [target] == list(by_name.context["page"].object_list)
    assert b"?q=needl&amp;page=" not in by_name.content  # one page: no pagination controls
    second = manager_client.get(reverse("mailings:users"), {"page": 2})
    assert len(second.context["page"].object_list) == 7


def test_a_manager_blocks_and_unblocks_from_the_users_page(
    manager_client, user, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(
            reverse("mailings:user-block", args=[user.pk]),
            {"reason": "Spam to clients", "until": "2030-01-02T10:00", "next": "/mailings/users/?q=person"},
        )

    assert response["Location"] == "/mailings/users/?q=person"
    user.refresh_from_db()
    assert (user.is_blocked, user.blocked_reason) == (True, "Spam to clients")
    assert user.blocked_until == datetime(2030, 1, 2, 10, 0, tzinfo=UTC)
    assert mailoutbox[0].to == [user.email] and "Spam to clients" in mailoutbox[0].body

    response = manager_client.post(reverse("mailings:user-unblock", args=[user.pk]), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("mailings:users")
    user.refresh_from_db()
    assert not user.is_blocked


def test_block_without_a_reason_or_with_a_past_end_changes_nothing(manager_client, manager, user):
    response = manager_client.post(reverse("mailings:user-block", args=[user.pk]), {"reason": ""}, follow=True)
    assert texts(response) == ["Reason: This field is required."]
    response = manager_client.post(
        reverse("mailings:user-block", args=[user.pk]), {"reason": "x", "until": "2001-01-01T00:00"}, follow=True
    )
    assert texts(response) == ["The end of the block must be in the future."]
    response = manager_client.post(reverse("mailings:user-block", args=[manager.pk]), {"reason": "x"}, follow=True)
    assert texts(response) == ["You cannot block yourself."]

    user.refresh_from_db()
    manager.refresh_from_db()
    assert not user.is_blocked and not manager.is_blocked


# --- The section home ------------------------------------------------------------------------


def _home_numbers(content: str, prefix: str) -> list[str] | None:
    if f'id="{prefix}-mailings">' not in content:
        return None
    return [content.split(f'id="{prefix}-{name}">')[1].split("<")[0] for name in ("mailings", "active", "clients")]


def test_home_shows_the_users_own_numbers_and_the_platform_totals_only_to_managers(client, user, other_user, manager):
    ClientFactory(owner=user, email="same@example.org")
    ClientFactory(owner=user, email="other@example.org")
    ClientFactory(owner=other_user, email="Same@Example.org")
    MailingFactory(owner=user, status=Mailing.Status.RUNNING)
    MailingFactory(owner=user, status=Mailing.Status.CREATED)
    MailingFactory(owner=other_user, status=Mailing.Status.RUNNING)

    anonymous = client.get(reverse("mailings:home")).content.decode()
    client.force_login(user)
    mine = client.get(reverse("mailings:home")).content.decode()
    client.force_login(other_user)
    theirs = client.get(reverse("mailings:home")).content.decode()
    client.force_login(manager)
    managers = client.get(reverse("mailings:home")).content.decode()

    assert _home_numbers(anonymous, "stat") is None and _home_numbers(anonymous, "platform") is None
    assert _home_numbers(mine, "stat") == ["2", "1", "2"]
    assert _home_numbers(mine, "platform") is None
    assert _home_numbers(theirs, "stat") == ["1", "1", "1"]
    assert _home_numbers(managers, "stat") == ["0", "0", "0"]
    # Unique clients across owners: same@example.org counts once.
    assert _home_numbers(managers, "platform") == ["3", "2", "2"]
    assert "Whole platform (managers only)" in managers


def test_home_shows_three_random_published_articles(client):
    published = ArticleFactory.create_batch(5)
    draft = ArticleFactory(draft=True)

    response = client.get(reverse("mailings:home"))

    assert response.status_code == 200
    content = response.content.decode()
    articles = response.context["articles"]
    assert len(articles) == 3 and set(articles) <= set(published)
    assert draft.title not in content
    assert all(article.get_absolute_url() in content for article in articles)


def test_home_is_cached_invalidated_on_change_and_emptied_by_clear_cache(
    owner_client, user, django_capture_on_commit_callbacks
):
    def numbers():
        content = owner_client.get(reverse("mailings:home")).content.decode()
        return [content.split(f'id="stat-{name}">')[1].split("<")[0] for name in ("mailings", "active", "clients")]

    assert numbers() == ["0", "0", "0"]
    mailing = MailingFactory(owner=user, recipients=2, status=Mailing.Status.RUNNING)  # behind the services' back
    assert numbers() == ["0", "0", "0"]

    call_command("clear_cache", stdout=StringIO())
    assert numbers() == ["1", "1", "2"]

    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(reverse("mailings:mailing-stop", args=[mailing.pk]))
    assert numbers() == ["1", "0", "2"]
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(reverse("mailings:client-create"), {"email": "new@example.org", "full_name": "New"})
    assert numbers() == ["1", "0", "3"]
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(reverse("mailings:mailing-create"), mailing_form(user))
    assert numbers() == ["2", "0", "3"]


def test_home_without_articles_shows_no_article_list(client):
    response = client.get(reverse("mailings:home"))

    assert response.context["articles"] == []
    assert b'id="home-articles"' not in response.content


# --- Query counts ----------------------------------------------------------------------------


def _queries(client, url: str, django_assert_max_num_queries, limit: int) -> None:
    with django_assert_max_num_queries(limit):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("route", ["mailings:mailings", "mailings:dashboard", "mailings:clients", "mailings:messages"])
def test_list_pages_cost_the_same_whatever_their_size(owner_client, user, django_assert_max_num_queries, route):
    MailingFactory(owner=user, recipients=1)
    cache.clear()
    with django_assert_max_num_queries(12) as small:
        owner_client.get(reverse(route))
    for _ in range(20):
        MailingFactory(owner=user, recipients=3)
    cache.clear()
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = owner_client.get(reverse(route))
    assert response.status_code == 200


def test_manager_pages_cost_the_same_whatever_their_size(manager_client, django_assert_max_num_queries):
    for _ in range(3):
        MailingFactory(recipients=1)
    with django_assert_max_num_queries(20) as small:
        manager_client.get(reverse("mailings:mailings"))
        manager_client.get(reverse("mailings:users"))
    for _ in range(20):
        MailingFactory(recipients=2)
    with django_assert_max_num_queries(len(small.captured_queries)):
        manager_client.get(reverse("mailings:mailings"))
        manager_client.get(reverse("mailings:users"))


def test_detail_and_run_pages_cost_the_same_whatever_the_run_size(owner_client, user, django_assert_max_num_queries):
    mailing = MailingFactory(owner=user)
    small_run = run_with_attempts(mailing, success=1, failure=1)
    # A ceiling for two pages, session and device tracking included; the point is the next check.
    with django_assert_max_num_queries(20) as small:
        owner_client.get(reverse("mailings:mailing", args=[mailing.pk]))
        owner_client.get(reverse("mailings:run", args=[small_run.pk]))
    big_run = run_with_attempts(mailing, success=20, failure=10, skipped=5)
    with django_assert_max_num_queries(len(small.captured_queries)):
        owner_client.get(reverse("mailings:mailing", args=[mailing.pk]))
        owner_client.get(reverse("mailings:run", args=[big_run.pk]))


def test_mailing_list_shows_the_start_of_a_long_history_quickly(owner_client, user):
    """Old mailings are paginated: the first page holds 25."""
    for _ in range(27):
        MailingFactory(owner=user, start_at=timezone.now() - timedelta(days=1))

    response = owner_client.get(reverse("mailings:mailings"))

    assert len(response.context["page"].object_list) == 25
    assert b'rel="next"' in response.content


def test_a_manager_sees_someone_elses_run_without_the_retry_button(manager_client, user):
    run = run_with_attempts(MailingFactory(owner=user), success=1, failure=1)

    page = manager_client.get(reverse("mailings:run", args=[run.pk]))

    assert page.status_code == 200
    assert b'id="retry-failed"' not in page.content
