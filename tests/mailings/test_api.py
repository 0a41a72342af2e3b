"""The mailings API: clients, messages, mailings, send-now, disable, attempts (SPEC §3, §4.6, §6)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from mailings import services
from mailings.models import Attempt, Client, Mailing, MailingRun, MailMessage, Unsubscribe
from tests.factories import UserFactory
from tests.mailings.factories import ClientFactory, MailingFactory, MailMessageFactory

pytestmark = pytest.mark.django_db

CLIENTS = "/api/clients/"
MESSAGES = "/api/mail-messages/"
MAILINGS = "/api/mailings/"
UNAUTHORIZED = {"code": 401, "message": "Unauthorized"}
FORBIDDEN = {"code": 403, "message": "Forbidden"}


def client_for(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def detail(base: str, obj) -> str:
    return f"{base}{getattr(obj, 'pk', obj)}/"


def assert_bad_request(response, field: str | None = None) -> dict:
    """A 400 in the API's error shape; with ``field``, an error about that field."""
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == 400
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["errors"], dict)
    if field is not None:
        assert field in body["errors"], body
    return body


def assert_not_found(response) -> None:
    assert response.status_code == 404, response.content
    assert response.json()["code"] == 404


def mailing_body(user, **overrides) -> dict:
    start = timezone.now() + timedelta(days=1)
    return {
        "message": overrides.pop("message", None) or MailMessageFactory(owner=user).pk,
        "clients": overrides.pop("clients", None) or [ClientFactory(owner=user).pk, ClientFactory(owner=user).pk],
        "start_at": start.isoformat(),
        "end_at": (start + timedelta(days=30)).isoformat(),
        "periodicity": "weekly",
        **overrides,
    }


def snapshot(obj) -> dict:
    obj.refresh_from_db()
    return {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}


@pytest.fixture
def api(user) -> APIClient:
    return client_for(user)


@pytest.fixture
def other_api(other_user) -> APIClient:
    return client_for(other_user)


@pytest.fixture
def manager_api(manager) -> APIClient:
    return client_for(manager)


@pytest.fixture
def mailing(user):
    return MailingFactory(owner=user, recipients=3, start_at=timezone.now() + timedelta(hours=1))


# --- anonymous callers -----------------------------------------------------------------------


ROUTES = [
    ("get", CLIENTS),
    ("post", CLIENTS),
    ("get", f"{CLIENTS}1/"),
    ("put", f"{CLIENTS}1/"),
    ("patch", f"{CLIENTS}1/"),
    ("delete", f"{CLIENTS}1/"),
    ("get", MESSAGES),
    ("post", MESSAGES),
    ("get", f"{MESSAGES}1/"),
    ("put", f"{MESSAGES}1/"),
    ("patch", f"{MESSAGES}1/"),
    ("delete", f"{MESSAGES}1/"),
    ("get", MAILINGS),
    ("post", MAILINGS),
    ("get", f"{MAILINGS}1/"),
    ("put", f"{MAILINGS}1/"),
    ("patch", f"{MAILINGS}1/"),
    ("delete", f"{MAILINGS}1/"),
    ("post", f"{MAILINGS}1/send-now/"),
    ("post", f"{MAILINGS}1/disable/"),
    ("get", f"{MAILINGS}1/attempts/"),
]


@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_anonymous_callers_get_exactly_the_401_body(api_client, method, url):
    response = getattr(api_client, method)(url, {})

    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


@pytest.mark.parametrize(("method", "url"), [("get", MAILINGS), ("post", f"{MAILINGS}1/send-now/")])
def test_a_bad_bearer_token_gets_the_same_401_body(api_client, method, url):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    response = getattr(api_client, method)(url)

    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_jwt_bearer_tokens_work(user, password, api_client):
    login = api_client.post("/api/auth/login/", {"login": user.username, "password": password})
    assert login.status_code == 200, login.content
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['access']}")

    response = api_client.post(CLIENTS, {"email": "jwt@example.org", "full_name": "Jay"})

    assert response.status_code == 201
    assert Client.objects.get(owner=user).email == "jwt@example.org"


# --- clients ---------------------------------------------------------------------------------


def test_creating_a_client(api, user):
    response = api.post(CLIENTS, {"email": "Anna@Example.org", "full_name": "  Anna   Petrova ", "comment": "VIP"})

    assert response.status_code == 201, response.content
    body = response.json()
    client = Client.objects.get(owner=user)
    assert body["id"] == client.pk
    assert body["email"] == "Anna@Example.org"
    assert body["full_name"] == "Anna Petrova"
    assert body["comment"] == "VIP"
    assert {"created_at", "updated_at"} <= body.keys()


def test_the_comment_is_optional(api):
    response = api.post(CLIENTS, {"email": "a@example.org", "full_name": "A"})

    assert response.status_code == 201
    assert response.json()["comment"] == ""


@pytest.mark.parametrize("email", ["dup@example.org", "DUP@Example.ORG", " dup@example.org "])
def test_a_duplicate_email_in_any_case_is_refused(api, user, email):
    ClientFactory(owner=user, email="Dup@example.org")

    body = assert_bad_request(api.post(CLIENTS, {"email": email, "full_name": "Twin"}), "email")

    assert "already" in body["errors"]["email"][0]
    assert Client.objects.filter(owner=user).count() == 1


def test_the_same_email_is_fine_for_another_owner(api, other_user):
    ClientFactory(owner=other_user, email="shared@example.org")

    assert api.post(CLIENTS, {"email": "shared@example.org", "full_name": "Shared"}).status_code == 201


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"email": "not-an-email", "full_name": "X"}, "email"),
        ({"full_name": "X"}, "email"),
        ({"email": "x@example.org"}, "full_name"),
        ({"email": "x@example.org", "full_name": "   "}, "full_name"),
        ({"email": "x@example.org", "full_name": "x" * 201}, "full_name"),
    ],
)
def test_invalid_clients_are_refused_with_the_error_shape(api, user, data, field):
    assert_bad_request(api.post(CLIENTS, data), field)
    assert not Client.objects.filter(owner=user).exists()


def test_the_client_list_holds_only_mine_paginated(api, user, other_user):
    mine = ClientFactory.create_batch(3, owner=user)
    ClientFactory.create_batch(2, owner=other_user)

    body = api.get(CLIENTS, {"page_size": 2}).json()

    assert body["count"] == 3
    assert body["previous"] is None and body["next"]
    assert len(body["results"]) == 2
    everything = body["results"] + api.get(body["next"]).json()["results"]
    assert {item["id"] for item in everything} == {client.pk for client in mine}


def test_updating_my_client_with_put_and_patch(api, user):
    client = ClientFactory(owner=user, email="old@example.org", full_name="Old", comment="keep")

    response = api.patch(detail(CLIENTS, client), {"full_name": "New Name"})
    assert response.status_code == 200, response.content
    assert response.json()["full_name"] == "New Name"
    client.refresh_from_db()
    assert (client.email, client.full_name, client.comment) == ("old@example.org", "New Name", "keep")

    response = api.put(detail(CLIENTS, client), {"email": "new@example.org", "full_name": "Put"})
    assert response.status_code == 200, response.content
    client.refresh_from_db()
    assert (client.email, client.full_name, client.comment) == ("new@example.org", "Put", "")


def test_put_needs_every_required_field(api, user):
    client = ClientFactory(owner=user)

    assert_bad_request(api.put(detail(CLIENTS, client), {"full_name": "Only"}), "email")


def test_renaming_a_client_onto_another_clients_email_is_refused(api, user):
    ClientFactory(owner=user, email="taken@example.org")
    client = ClientFactory(owner=user, email="free@example.org")

    assert_bad_request(api.patch(detail(CLIENTS, client), {"email": "TAKEN@example.org"}), "email")
    client.refresh_from_db()
    assert client.email == "free@example.org"


def test_a_client_keeps_its_own_email_on_update(api, user):
    client = ClientFactory(owner=user, email="me@example.org")

    assert api.patch(detail(CLIENTS, client), {"email": "ME@example.org"}).status_code == 200


def test_deleting_my_client(api, user):
    client = ClientFactory(owner=user)

    assert api.delete(detail(CLIENTS, client)).status_code == 204
    assert not Client.objects.filter(pk=client.pk).exists()


@pytest.mark.parametrize("who", ["other_api", "manager_api"])
def test_someone_elses_client_is_404_for_everything_and_stays_untouched(request, user, who):
    api = request.getfixturevalue(who)
    client = ClientFactory(owner=user)
    before = snapshot(client)
    url = detail(CLIENTS, client)

    assert_not_found(api.get(url))
    assert_not_found(api.patch(url, {"full_name": "Hijacked"}))
    assert_not_found(api.put(url, {"email": "h@example.org", "full_name": "Hijacked"}))
    assert_not_found(api.delete(url))
    assert api.get(CLIENTS).json()["count"] == 0
    assert snapshot(client) == before


@pytest.mark.parametrize("url", [f"{CLIENTS}999999/", f"{CLIENTS}99999999999999999999/"])
def test_unknown_client_ids_are_404(api, url):
    assert_not_found(api.get(url))


# --- messages --------------------------------------------------------------------------------


def test_creating_a_message(api, user):
    response = api.post(MESSAGES, {"subject": "Spring sale", "body": "Everything -20%"})

    assert response.status_code == 201, response.content
    body = response.json()
    message = MailMessage.objects.get(owner=user)
    assert body == {
        "id": message.pk,
        "subject": "Spring sale",
        "body": "Everything -20%",
        "body_html": "",
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }


def test_a_message_may_carry_html(api, user):
    response = api.post(MESSAGES, {"subject": "S", "body": "B", "body_html": "<p>B</p>"})

    assert response.status_code == 201
    assert MailMessage.objects.get(owner=user).body_html == "<p>B</p>"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"body": "B"}, "subject"),
        ({"subject": "  ", "body": "B"}, "subject"),
        ({"subject": "S" * 201, "body": "B"}, "subject"),
        ({"subject": "S"}, "body"),
        ({"subject": "S", "body": ""}, "body"),
    ],
)
def test_invalid_messages_are_refused(api, user, data, field):
    assert_bad_request(api.post(MESSAGES, data), field)
    assert not MailMessage.objects.filter(owner=user).exists()


def test_the_message_list_holds_only_mine_newest_first(api, user, other_user):
    old, new = MailMessageFactory(owner=user), MailMessageFactory(owner=user)
    MailMessageFactory(owner=other_user)

    body = api.get(MESSAGES).json()

    assert body["count"] == 2
    assert [item["id"] for item in body["results"]] == [new.pk, old.pk]


def test_editing_my_message(api, user):
    message = MailMessageFactory(owner=user, subject="Old", body="Old body")

    response = api.patch(detail(MESSAGES, message), {"subject": "New"})

    assert response.status_code == 200, response.content
    message.refresh_from_db()
    assert (message.subject, message.body) == ("New", "Old body")


def test_a_message_used_by_a_mailing_cannot_be_deleted(api, mailing):
    body = assert_bad_request(api.delete(detail(MESSAGES, mailing.message)))

    assert "mailing" in body["message"]
    assert MailMessage.objects.filter(pk=mailing.message_id).exists()


def test_deleting_an_unused_message(api, user):
    message = MailMessageFactory(owner=user)

    assert api.delete(detail(MESSAGES, message)).status_code == 204
    assert not MailMessage.objects.filter(pk=message.pk).exists()


@pytest.mark.parametrize("who", ["other_api", "manager_api"])
def test_someone_elses_message_is_404_for_everything_and_stays_untouched(request, user, who):
    api = request.getfixturevalue(who)
    message = MailMessageFactory(owner=user)
    before = snapshot(message)
    url = detail(MESSAGES, message)

    assert_not_found(api.get(url))
    assert_not_found(api.patch(url, {"subject": "Hijacked"}))
    assert_not_found(api.put(url, {"subject": "Hijacked", "body": "x"}))
    assert_not_found(api.delete(url))
    assert api.get(MESSAGES).json()["count"] == 0
    assert snapshot(message) == before


# --- mailings: create --------------------------------------------------------------------------


def test_creating_a_mailing(api, user):
    data = mailing_body(user, periodicity="daily", time_zone="Europe/Moscow", is_active=True)

    response = api.post(MAILINGS, data)

    assert response.status_code == 201, response.content
    body = response.json()
    mailing = Mailing.objects.get(owner=user)
    assert body["id"] == mailing.pk
    assert body["status"] == "created"
    assert body["message"] == data["message"]
    assert sorted(body["clients"]) == sorted(data["clients"])
    assert body["client_count"] == 2
    assert body["periodicity"] == "daily"
    assert body["time_zone"] == "Europe/Moscow"
    assert body["is_active"] is True
    assert body["owner"] == user.username
    assert datetime.fromisoformat(body["next_send_at"]) == datetime.fromisoformat(data["start_at"])
    assert mailing.next_send_at == mailing.start_at
    assert set(mailing.clients.values_list("pk", flat=True)) == set(data["clients"])


def test_a_mailing_defaults_to_the_server_time_zone_and_active(api, user, settings):
    settings.TIME_ZONE = "Europe/Berlin"

    response = api.post(MAILINGS, mailing_body(user))

    assert response.status_code == 201, response.content
    assert response.json()["time_zone"] == "Europe/Berlin"
    assert response.json()["is_active"] is True


def test_a_time_without_an_offset_is_read_in_the_mailings_time_zone(api, user):
    data = mailing_body(user, start_at="2030-07-01T09:00:00", end_at="2030-08-01T09:00:00", time_zone="Europe/Moscow")

    assert api.post(MAILINGS, data).status_code == 201
    mailing = Mailing.objects.get(owner=user)
    assert mailing.start_at == datetime(2030, 7, 1, 6, 0, tzinfo=UTC)
    assert mailing.next_send_at == datetime(2030, 7, 1, 6, 0, tzinfo=UTC)


def test_an_inactive_mailing_can_be_created(api, user):
    response = api.post(MAILINGS, mailing_body(user, is_active=False))

    assert response.status_code == 201
    assert response.json()["is_active"] is False


def test_someone_elses_message_or_clients_are_refused_like_unknown_ids(api, user, other_user):
    foreign_message = MailMessageFactory(owner=other_user)
    foreign_client = ClientFactory(owner=other_user)
    mine = ClientFactory(owner=user)

    foreign = assert_bad_request(
        api.post(MAILINGS, mailing_body(user, message=foreign_message.pk, clients=[mine.pk, foreign_client.pk]))
    )
    unknown = assert_bad_request(api.post(MAILINGS, mailing_body(user, message=999999, clients=[mine.pk, 999999])))

    assert set(foreign["errors"]) == {"message", "clients"}
    assert foreign["errors"]["message"] == unknown["errors"]["message"]
    assert str(foreign_client.pk) in foreign["errors"]["clients"][0]
    assert str(mine.pk) not in foreign["errors"]["clients"][0]
    assert not Mailing.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"periodicity": "hourly"}, "periodicity"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"time_zone": "../../etc/passwd"}, "time_zone"),
        ({"start_at": "tomorrow"}, "start_at"),
        ({"end_at": "2000-01-01T00:00:00Z"}, "end_at"),
        ({"clients": []}, "clients"),
        ({"clients": ["x"]}, "clients"),
        ({"message": "abc"}, "message"),
        ({"is_active": "perhaps"}, "is_active"),
    ],
)
def test_invalid_mailings_are_refused(api, user, overrides, field):
    data = mailing_body(user)
    data.update(overrides)

    assert_bad_request(api.post(MAILINGS, data), field)
    assert not Mailing.objects.exists()


@pytest.mark.parametrize("missing", ["message", "clients", "start_at", "end_at", "periodicity"])
def test_required_mailing_fields(api, user, missing):
    data = mailing_body(user)
    del data[missing]

    assert_bad_request(api.post(MAILINGS, data), missing)


def test_a_mailing_ending_before_it_starts_is_refused(api, user):
    start = timezone.now() + timedelta(days=2)
    data = mailing_body(user, start_at=start.isoformat(), end_at=(start - timedelta(hours=1)).isoformat())

    assert_bad_request(api.post(MAILINGS, data), "end_at")


# --- mailings: read, edit, delete ------------------------------------------------------------


def test_owners_list_their_own_mailings_only(api, user, other_user, mailing):
    MailingFactory(owner=other_user, recipients=1)

    body = api.get(MAILINGS).json()

    assert body["count"] == 1
    item = body["results"][0]
    assert item["id"] == mailing.pk
    assert item["status"] == "created"
    assert item["next_send_at"]
    assert item["message_subject"] == mailing.message.subject
    assert sorted(item["clients"]) == sorted(mailing.clients.values_list("pk", flat=True))
    assert item["client_count"] == 3


def test_owner_reads_a_mailing(api, mailing):
    response = api.get(detail(MAILINGS, mailing))

    assert response.status_code == 200
    assert response.json()["id"] == mailing.pk


def test_owner_edits_a_created_mailing(api, user, mailing):
    new_client = ClientFactory(owner=user)
    start = timezone.now() + timedelta(days=3)

    response = api.patch(
        detail(MAILINGS, mailing),
        {"clients": [new_client.pk], "start_at": start.isoformat(), "periodicity": "monthly"},
    )

    assert response.status_code == 200, response.content
    mailing.refresh_from_db()
    assert list(mailing.clients.all()) == [new_client]
    assert mailing.periodicity == "monthly"
    assert mailing.start_at == start
    assert mailing.next_send_at == start
    assert response.json()["client_count"] == 1


def test_a_patch_without_is_active_keeps_it(api, user):
    mailing = MailingFactory(owner=user, recipients=1, is_active=False)

    assert api.patch(detail(MAILINGS, mailing), {"periodicity": "weekly"}).status_code == 200
    mailing.refresh_from_db()
    assert mailing.is_active is False


def test_a_patch_reads_a_time_without_offset_in_the_mailings_own_zone(api, user):
    mailing = MailingFactory(
        owner=user,
        recipients=1,
        time_zone="Asia/Tokyo",
        start_at=datetime(2030, 1, 1, tzinfo=UTC),
        end_at=datetime(2031, 1, 1, tzinfo=UTC),
    )

    assert api.patch(detail(MAILINGS, mailing), {"start_at": "2030-02-01T09:00"}).status_code == 200
    mailing.refresh_from_db()
    assert mailing.start_at == datetime(2030, 2, 1, 0, 0, tzinfo=UTC)


def test_a_put_needs_the_whole_mailing(api, mailing):
    assert_bad_request(api.put(detail(MAILINGS, mailing), {"periodicity": "daily"}), "message")


def test_an_edit_cannot_use_someone_elses_clients(api, other_user, mailing):
    before = sorted(mailing.clients.values_list("pk", flat=True))

    assert_bad_request(api.patch(detail(MAILINGS, mailing), {"clients": [ClientFactory(owner=other_user).pk]}))
    assert sorted(mailing.clients.values_list("pk", flat=True)) == before


@pytest.mark.parametrize("status", ["running", "completed"])
def test_a_mailing_is_edited_only_while_created(api, user, status):
    mailing = MailingFactory(owner=user, recipients=1, status=status)
    before = snapshot(mailing)

    body = assert_bad_request(api.patch(detail(MAILINGS, mailing), {"periodicity": "monthly"}))

    assert "first send" in body["message"]
    assert snapshot(mailing) == before


def test_a_running_mailing_cannot_be_deleted(api, user):
    mailing = MailingFactory(owner=user, recipients=1, status=Mailing.Status.RUNNING)

    body = assert_bad_request(api.delete(detail(MAILINGS, mailing)))

    assert "stop" in body["message"]
    assert Mailing.objects.filter(pk=mailing.pk).exists()


@pytest.mark.parametrize("status", ["created", "completed"])
def test_owner_deletes_a_mailing_that_is_not_running(api, user, status):
    mailing = MailingFactory(owner=user, recipients=1, status=status)

    assert api.delete(detail(MAILINGS, mailing)).status_code == 204
    assert not Mailing.objects.filter(pk=mailing.pk).exists()


def test_someone_elses_mailing_is_404_for_everything_and_stays_untouched(
    other_api, mailing, mailoutbox, django_capture_on_commit_callbacks
):
    before = snapshot(mailing)
    url = detail(MAILINGS, mailing)

    with django_capture_on_commit_callbacks(execute=True):
        assert_not_found(other_api.get(url))
        assert_not_found(other_api.patch(url, {"periodicity": "monthly"}))
        assert_not_found(other_api.put(url, mailing_body(mailing.owner)))
        assert_not_found(other_api.delete(url))
        assert_not_found(other_api.post(f"{url}send-now/"))
        assert_not_found(other_api.post(f"{url}disable/"))
        assert_not_found(other_api.get(f"{url}attempts/"))

    assert other_api.get(MAILINGS).json()["count"] == 0
    assert snapshot(mailing) == before
    assert not MailingRun.objects.exists()
    assert mailoutbox == []


# --- managers --------------------------------------------------------------------------------


def test_managers_see_everyones_mailings(manager_api, user, other_user, mailing):
    theirs = MailingFactory(owner=other_user, recipients=1)

    body = manager_api.get(MAILINGS).json()

    assert {item["id"] for item in body["results"]} == {mailing.pk, theirs.pk}
    assert {item["owner"] for item in body["results"]} == {user.username, other_user.username}
    assert manager_api.get(detail(MAILINGS, mailing)).json()["id"] == mailing.pk


def test_a_manager_disables_anyones_mailing(manager_api, manager, mailing):
    response = manager_api.post(f"{detail(MAILINGS, mailing)}disable/")

    assert response.status_code == 200, response.content
    assert response.json()["is_active"] is False
    mailing.refresh_from_db()
    assert mailing.is_active is False
    assert mailing.disabled_by == manager


def test_a_manager_cannot_edit_delete_or_send_someone_elses_mailing(
    manager_api, user, mailing, mailoutbox, django_capture_on_commit_callbacks
):
    before = snapshot(mailing)
    clients_before = sorted(mailing.clients.values_list("pk", flat=True))
    url = detail(MAILINGS, mailing)

    with django_capture_on_commit_callbacks(execute=True):
        for response in [
            manager_api.patch(url, {"periodicity": "monthly"}),
            manager_api.patch(url, {"clients": [ClientFactory(owner=user).pk]}),
            manager_api.put(url, mailing_body(user)),
            manager_api.delete(url),
            manager_api.post(f"{url}send-now/"),
        ]:
            assert_not_found(response)

    assert snapshot(mailing) == before
    assert sorted(mailing.clients.values_list("pk", flat=True)) == clients_before
    assert not MailingRun.objects.exists()
    assert mailoutbox == []


def test_a_manager_still_manages_their_own_mailings(manager_api, manager):
    response = manager_api.post(MAILINGS, mailing_body(manager))
    assert response.status_code == 201
    url = detail(MAILINGS, response.json()["id"])

    assert manager_api.patch(url, {"periodicity": "daily"}).status_code == 200
    assert manager_api.delete(url).status_code == 204


def test_a_manager_cannot_use_someone_elses_message_or_clients(manager_api, manager, user):
    data = mailing_body(manager, message=MailMessageFactory(owner=user).pk, clients=[ClientFactory(owner=user).pk])

    body = assert_bad_request(manager_api.post(MAILINGS, data))

    assert set(body["errors"]) == {"message", "clients"}


# --- disable, send now, attempts -------------------------------------------------------------


def test_the_owner_disables_a_mailing(api, user, mailing):
    response = api.post(f"{detail(MAILINGS, mailing)}disable/")

    assert response.status_code == 200
    assert response.json()["is_active"] is False
    mailing.refresh_from_db()
    assert (mailing.is_active, mailing.disabled_by) == (False, user)


def test_send_now_creates_a_run_and_sends_one_email_per_client(
    api, user, mailing, mailoutbox, django_capture_on_commit_callbacks
):
    gone = mailing.clients.order_by("id").first()
    Unsubscribe.objects.create(owner=user, email=gone.email.upper())

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"{detail(MAILINGS, mailing)}send-now/")

    assert response.status_code == 202, response.content
    body = response.json()
    run = MailingRun.objects.get(mailing=mailing)
    assert body["id"] == run.pk
    assert body["mailing"] == mailing.pk
    assert body["manual"] is True
    statuses = dict(Attempt.objects.filter(run=run).values_list("client_id", "status"))
    assert len(statuses) == 3
    assert statuses.pop(gone.pk) == Attempt.Status.SKIPPED
    assert set(statuses.values()) == {Attempt.Status.SUCCESS}
    assert sorted(address for email in mailoutbox for address in email.to) == sorted(
        mailing.clients.exclude(pk=gone.pk).values_list("email", flat=True)
    )
    assert all(email.subject == mailing.message.subject for email in mailoutbox)
    run.refresh_from_db()
    assert run.status == MailingRun.Status.FINISHED


def test_send_now_refuses_a_disabled_mailing(api, user, mailoutbox, django_capture_on_commit_callbacks):
    mailing = MailingFactory(owner=user, recipients=2, is_active=False)

    with django_capture_on_commit_callbacks(execute=True):
        assert_bad_request(api.post(f"{detail(MAILINGS, mailing)}send-now/"))

    assert not MailingRun.objects.exists()
    assert mailoutbox == []


def test_attempts_are_listed_newest_first_with_a_cursor(api, mailing):
    run = MailingRun.objects.create(mailing=mailing, scheduled_for=timezone.now())
    clients = list(mailing.clients.order_by("id"))
    for client in clients:
        Attempt.objects.create(
            run=run, mailing=mailing, client=client, email=client.email, status="success", response="250 OK", tries=1
        )
    url = f"{detail(MAILINGS, mailing)}attempts/"

    first = api.get(url, {"page_size": 2})

    assert first.status_code == 200, first.content
    body = first.json()
    assert set(body) == {"next", "previous", "results"}
    assert body["previous"] is None
    assert len(body["results"]) == 2
    item = body["results"][0]
    assert {"client", "status", "response", "attempted_at", "email", "tries"} <= item.keys()
    assert item["client"] == clients[-1].pk
    assert (item["status"], item["response"], item["email"], item["tries"]) == (
        "success",
        "250 OK",
        clients[-1].email,
        1,
    )
    rest = api.get(body["next"]).json()
    assert [row["client"] for row in body["results"] + rest["results"]] == [c.pk for c in reversed(clients)]
    assert rest["next"] is None


def test_attempts_filter_by_status_and_run(api, mailing):
    first = MailingRun.objects.create(mailing=mailing, scheduled_for=timezone.now())
    second = MailingRun.objects.create(mailing=mailing, scheduled_for=timezone.now() + timedelta(days=1))
    client = mailing.clients.first()
    Attempt.objects.create(run=first, mailing=mailing, client=client, email=client.email, status="failure")
    Attempt.objects.create(run=second, mailing=mailing, client=client, email=client.email, status="success")
    url = f"{detail(MAILINGS, mailing)}attempts/"

    assert [row["run"] for row in api.get(url, {"status": "failure"}).json()["results"]] == [first.pk]
    assert [row["status"] for row in api.get(url, {"run": second.pk}).json()["results"]] == ["success"]
    assert_bad_request(api.get(url, {"status": "lost"}), "status")
    assert_bad_request(api.get(url, {"run": "²"}), "run")
    assert_bad_request(api.get(url, {"cursor": "garbage"}), "cursor")


def test_managers_read_anyones_attempts(manager_api, mailing):
    run = MailingRun.objects.create(mailing=mailing, scheduled_for=timezone.now())
    client = mailing.clients.first()
    Attempt.objects.create(run=run, mailing=mailing, client=client, email=client.email, status="failure")

    response = manager_api.get(f"{detail(MAILINGS, mailing)}attempts/")

    assert response.status_code == 200
    assert [row["status"] for row in response.json()["results"]] == ["failure"]


def test_attempts_of_one_mailing_only(api, user):
    mine, other = MailingFactory(owner=user, recipients=1), MailingFactory(owner=user, recipients=1)
    for mailing in (mine, other):
        run = MailingRun.objects.create(mailing=mailing, scheduled_for=timezone.now())
        client = mailing.clients.get()
        Attempt.objects.create(run=run, mailing=mailing, client=client, email=client.email, status="success")

    rows = api.get(f"{detail(MAILINGS, mine)}attempts/").json()["results"]

    assert [row["client"] for row in rows] == [mine.clients.get().pk]


# --- query counts ----------------------------------------------------------------------------


def _queries(api, url, params=None) -> int:
    with CaptureQueriesContext(connection) as context:
        assert api.get(url, params or {}).status_code == 200
    return len(context.captured_queries)


def _fill_mailings(owner, count: int) -> None:
    for _ in range(count):
        MailingFactory(owner=owner, recipients=2)


@pytest.mark.parametrize("who", ["user", "manager"])
def test_the_mailing_list_costs_the_same_at_any_size(request, user, other_user, who, django_assert_max_num_queries):
    api = client_for(request.getfixturevalue(who))
    _fill_mailings(user, 1)
    _fill_mailings(other_user, 1)
    small = _queries(api, MAILINGS)
    _fill_mailings(user, 12)
    _fill_mailings(UserFactory(), 12)

    with django_assert_max_num_queries(small):
        response = api.get(MAILINGS)

    assert len(response.json()["results"]) == (13 if who == "user" else 20)
    assert small <= 6


@pytest.mark.parametrize(
    ("url", "factory"), [(CLIENTS, ClientFactory), (MESSAGES, MailMessageFactory)], ids=["clients", "messages"]
)
def test_client_and_message_lists_cost_the_same_at_any_size(
    api, user, url, factory, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    factory.create_batch(2, owner=user)
    small = _queries(api, url)
    factory.create_batch(30, owner=user)
    with django_capture_on_commit_callbacks(execute=True):
        services.caches_invalidate(user)  # the factory wrote past the services (cached client pages)

    with django_assert_max_num_queries(small):
        response = api.get(url)

    assert len(response.json()["results"]) == 20
    assert small <= 4


def test_the_attempt_log_costs_the_same_at_any_size(api, user, django_assert_max_num_queries):
    mailing = MailingFactory(owner=user, recipients=40)
    run = MailingRun.objects.create(mailing=mailing, scheduled_for=timezone.now())
    clients = list(mailing.clients.all())
    Attempt.objects.bulk_create(
        Attempt(run=run, mailing=mailing, client=client, email=client.email, status="success") for client in clients[:2]
    )
    url = f"{detail(MAILINGS, mailing)}attempts/"
    small = _queries(api, url)
    Attempt.objects.bulk_create(
        Attempt(run=run, mailing=mailing, client=client, email=client.email, status="success") for client in clients[2:]
    )

    with django_assert_max_num_queries(small):
        response = api.get(url)

    assert len(response.json()["results"]) == 40
    assert small <= 4


@pytest.mark.parametrize("method", ["post", "patch"])
def test_a_duplicate_email_slipping_past_the_check_is_still_a_400(api, user, monkeypatch, method):
    """Two requests racing for one email: the database constraint answers, never a 500."""
    ClientFactory(owner=user, email="race@example.org")
    client = ClientFactory(owner=user, email="free@example.org")
    monkeypatch.setattr(
        "mailings.services._clean_client",
        lambda owner, email, full_name, comment, exclude_pk=None: (email, full_name, comment),
    )
    data = {"email": "RACE@example.org", "full_name": "Racer"}

    response = api.post(CLIENTS, data) if method == "post" else api.patch(detail(CLIENTS, client), data)

    assert_bad_request(response, "email")
    assert Client.objects.filter(owner=user).count() == 2
    client.refresh_from_db()
    assert client.email == "free@example.org"
