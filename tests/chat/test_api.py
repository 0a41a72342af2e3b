"""The messenger's JWT API: chats, members, messages, attachments (SPEC §3 API rules, §4.4, §6)."""

from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from chat import services
from chat.models import Attachment, Chat, Membership, Message
from tests.chat_factories import ChatFactory, MessageFactory, attachment_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CHATS = "/api/chats/"
MESSAGES = "/api/messages/"
LOGIN = "/api/auth/login/"
UNAUTHORIZED = {"code": 401, "message": "Unauthorized"}
FORBIDDEN = {"code": 403, "message": "Forbidden"}
HUGE = 9_999_999_999_999_999_999  # 19 digits, past the largest 64-bit id


def chat_url(chat) -> str:
    return f"{CHATS}{getattr(chat, 'pk', chat)}/"


def members_url(chat) -> str:
    return f"{chat_url(chat)}members/"


def message_url(message) -> str:
    return f"{MESSAGES}{getattr(message, 'pk', message)}/"


def attachment_url(attachment) -> str:
    return f"/api/attachments/{getattr(attachment, 'pk', attachment)}/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def jwt_client(user, password) -> APIClient:
    client = APIClient()
    response = client.post(LOGIN, {"login": user.username, "password": password})
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    return client


def assert_bad_request(response, field: str) -> dict:
    """A 400 in the API's error shape, naming ``field``."""
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == 400
    assert isinstance(body["message"], str) and body["message"]
    assert field in body["errors"], body
    return body


def assert_not_found(response) -> None:
    assert response.status_code == 404, response.content
    assert response.json()["code"] == 404


def members_of(chat) -> dict[str, str]:
    """username -> role, straight from the database."""
    return dict(Membership.objects.filter(chat_id=chat.pk).values_list("user__username", "role"))


def chat_state(chat) -> tuple:
    return Chat.objects.filter(pk=chat.pk).values_list("title", flat=True).first(), members_of(chat)


def message_state(message) -> Mapping[str, Any]:
    return Message.objects.values("text", "edited_at", "is_deleted").get(pk=message.pk)


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def upload(name: str = "notes.txt", content: bytes = b"hello there", content_type: str = "text/plain"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def chat(user, other_user):
    """A chat owned by ``user`` with ``other_user`` as a member."""
    return ChatFactory(created_by=user, members=[other_user])


@pytest.fixture
def outsider(db):
    return UserFactory()


# --- Anonymous calls -------------------------------------------------------------------------


def _anonymous_routes(chat, message, attachment) -> list[tuple[str, str, dict]]:
    return [
        ("get", CHATS, {}),
        ("post", CHATS, {"title": "New", "members": []}),
        ("get", chat_url(chat), {}),
        ("patch", chat_url(chat), {"title": "Renamed"}),
        ("delete", chat_url(chat), {}),
        ("post", members_url(chat), {"members": ["nobody"]}),
        ("delete", members_url(chat), {"username": chat.created_by.username}),
        ("get", f"{MESSAGES}?chat={chat.pk}", {}),
        ("get", f"{MESSAGES}?chat={chat.pk}&after=0", {}),
        ("post", MESSAGES, {"chat": chat.pk, "text": "hi"}),
        ("get", message_url(message), {}),
        ("patch", message_url(message), {"text": "changed"}),
        ("delete", message_url(message), {}),
        ("get", attachment_url(attachment), {}),
    ]


@pytest.mark.parametrize("credentials", [None, "Bearer not.a.token", "Bearer", "Basic Zm9vOmJhcg=="])
def test_every_chat_route_answers_anonymous_and_bad_token_calls_with_the_exact_401(
    api_client, chat, media, credentials
):
    attachment = attachment_in(chat)
    message = attachment.message
    if credentials:
        api_client.credentials(HTTP_AUTHORIZATION=credentials)
    before = (chat_state(chat), message_state(message), Message.objects.count(), Chat.objects.count())

    for method, url, data in _anonymous_routes(chat, message, attachment):
        response = getattr(api_client, method)(url, data)

        assert response.status_code == 401, (method, url)
        assert response.json() == UNAUTHORIZED, (method, url)
    assert (chat_state(chat), message_state(message), Message.objects.count(), Chat.objects.count()) == before
    assert Attachment.objects.filter(pk=attachment.pk).exists()


# --- JWT end to end --------------------------------------------------------------------------


def test_two_users_chat_through_the_api_with_jwt_tokens(user, other_user, password, media):
    alice, bob = jwt_client(user, password), jwt_client(other_user, password)

    created = alice.post(CHATS, {"title": "Plans", "members": [other_user.username]})
    assert created.status_code == 201, created.content
    chat_id = created.json()["id"]
    assert [item["id"] for item in bob.get(CHATS).json()["results"]] == [chat_id]

    sent = alice.post(MESSAGES, {"chat": chat_id, "text": "see file", "file": upload()}, format="multipart")
    assert sent.status_code == 201, sent.content
    listed = bob.get(MESSAGES, {"chat": chat_id})
    assert [item["text"] for item in listed.json()["results"]] == ["see file"]
    download = bob.get(listed.json()["results"][0]["attachments"][0]["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"hello there"

    edited = alice.patch(message_url(sent.json()["id"]), {"text": "see the file"})
    assert edited.status_code == 200
    assert bob.get(MESSAGES, {"chat": chat_id}).json()["results"][0]["text"] == "see the file"


# --- Chat list -------------------------------------------------------------------------------


def test_chat_list_shows_only_my_chats_newest_activity_first(user, other_user, user_api_client):
    now = timezone.now()
    old = ChatFactory(created_by=user, title="Old")
    busy = ChatFactory(created_by=other_user, members=[user], title="Busy")
    quiet = ChatFactory(created_by=user, title="Quiet")
    ChatFactory(created_by=other_user, title="Not mine")
    Chat.objects.filter(pk=old.pk).update(last_activity_at=now - timedelta(days=3))
    Chat.objects.filter(pk=quiet.pk).update(last_activity_at=now - timedelta(days=1))
    Chat.objects.filter(pk=busy.pk).update(last_activity_at=now - timedelta(days=2))

    response = user_api_client.get(CHATS)

    assert [item["title"] for item in response.json()["results"]] == ["Quiet", "Busy", "Old"]
    assert response.json()["count"] == 3


def test_sending_a_message_moves_the_chat_to_the_top_of_the_list(user, other_user, user_api_client):
    first = ChatFactory(created_by=user, members=[other_user])
    second = ChatFactory(created_by=user)
    Chat.objects.filter(pk=first.pk).update(last_activity_at=timezone.now() - timedelta(hours=1))
    assert ids(user_api_client.get(CHATS)) == [second.pk, first.pk]

    client_for(other_user).post(MESSAGES, {"chat": first.pk, "text": "wake up"})

    assert ids(user_api_client.get(CHATS)) == [first.pk, second.pk]


def test_chat_list_names_the_members_my_role_and_counts_unread_messages(user, other_user, user_api_client):
    third = UserFactory()
    chat = ChatFactory(created_by=other_user, members=[user, third])
    Membership.objects.filter(chat=chat, user=user).update(joined_at=timezone.now() - timedelta(minutes=1))
    for text in ["one", "two", "three"]:
        services.message_send(chat=chat, author=other_user, text=text)
    gone = services.message_send(chat=chat, author=third, text="oops")
    services.message_delete(message_id=gone.pk, user=third)
    services.message_send(chat=chat, author=user, text="mine")  # my own message reads everything before it
    services.message_send(chat=chat, author=third, text="after mine")

    item = user_api_client.get(CHATS).json()["results"][0]

    assert item["id"] == chat.pk
    assert sorted(item["members"]) == sorted([user.username, other_user.username, third.username])
    assert item["my_role"] == "member"
    assert item["created_by"] == other_user.username
    assert item["unread"] == 1
    assert client_for(other_user).get(CHATS).json()["results"][0]["unread"] == 2  # "mine" and "after mine"
    assert client_for(third).get(CHATS).json()["results"][0]["unread"] == 0  # wrote the newest one


def test_reading_the_messages_clears_the_unread_count(user, other_user, user_api_client, chat):
    for text in ["a", "b"]:
        services.message_send(chat=chat, author=other_user, text=text)
    assert user_api_client.get(CHATS).json()["results"][0]["unread"] == 2

    user_api_client.get(MESSAGES, {"chat": chat.pk})

    assert user_api_client.get(CHATS).json()["results"][0]["unread"] == 0


def test_a_chat_whose_creator_deleted_the_account_shows_no_creator(user, other_user, chat):
    services.member_account_deleted(user=user)
    user.delete()

    item = client_for(other_user).get(CHATS).json()["results"][0]

    assert item["created_by"] is None
    assert item["members"] == [other_user.username]
    assert item["my_role"] == "owner"


def test_chat_list_is_empty_for_someone_without_chats(outsider, chat):
    response = client_for(outsider).get(CHATS)

    assert response.status_code == 200
    assert response.json()["results"] == []


# --- Creating chats --------------------------------------------------------------------------


def test_creating_a_chat_answers_201_with_its_members_and_makes_me_the_owner(user, other_user, user_api_client):
    third = UserFactory()

    response = user_api_client.post(CHATS, {"title": "  Trip  ", "members": [other_user.username, third.username]})

    assert response.status_code == 201, response.content
    body = response.json()
    assert {"id", "title", "members"} <= set(body)
    assert body["title"] == "Trip"
    assert body["members"] == [user.username, other_user.username, third.username]
    assert body["my_role"] == "owner"
    assert members_of(Chat.objects.get(pk=body["id"])) == {
        user.username: "owner",
        other_user.username: "member",
        third.username: "member",
    }


def test_creating_a_chat_ignores_duplicates_and_my_own_name(user, other_user, user_api_client):
    names = [other_user.username, f"@{other_user.username}", user.username]

    response = user_api_client.post(CHATS, {"title": "Dupes", "members": names})

    assert response.status_code == 201, response.content
    assert sorted(response.json()["members"]) == sorted([user.username, other_user.username])


@pytest.mark.parametrize("data", [{"title": "Notes to self", "members": []}, {"title": "Notes to self"}])
def test_a_chat_with_no_other_members_can_be_created(user, user_api_client, data):
    response = user_api_client.post(CHATS, data)

    assert response.status_code == 201, response.content
    assert response.json()["members"] == [user.username]


def test_a_chat_can_be_created_from_a_form_post(user, other_user, user_api_client):
    third = UserFactory()

    response = user_api_client.post(
        CHATS, {"title": "Form", "members": [other_user.username, third.username]}, format="multipart"
    )

    assert response.status_code == 201, response.content
    assert response.json()["members"] == [user.username, other_user.username, third.username]


def test_unknown_usernames_are_all_named_and_nothing_is_created(other_user, user_api_client):
    inactive = UserFactory(is_active=False)

    response = user_api_client.post(
        CHATS, {"title": "Party", "members": ["ghost", other_user.username, "phantom", inactive.username]}
    )

    body = assert_bad_request(response, "members")
    error = " ".join(body["errors"]["members"])
    for name in ("ghost", "phantom", inactive.username):
        assert name in error
    assert other_user.username not in error
    assert Chat.objects.count() == 0
    assert Membership.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": "", "members": []}, "title"),
        ({"title": "   ", "members": []}, "title"),
        ({"title": "x" * 101, "members": []}, "title"),
        ({"members": []}, "title"),
        ({"title": "No list", "members": "person1"}, "members"),
        ({"title": "Blank name", "members": [""]}, "members"),
    ],
)
def test_invalid_chat_bodies_answer_400_and_create_nothing(user_api_client, other_user, data, field):
    assert_bad_request(user_api_client.post(CHATS, data), field)

    assert Chat.objects.count() == 0


# --- One chat: get, rename, delete ----------------------------------------------------------


def test_a_member_gets_the_chat(other_user, chat):
    response = client_for(other_user).get(chat_url(chat))

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == chat.pk
    assert body["title"] == chat.title
    assert body["members"] == [chat.created_by.username, other_user.username]
    assert body["my_role"] == "member"


def test_a_member_renames_the_chat(other_user, chat):
    response = client_for(other_user).patch(chat_url(chat), {"title": "Renamed"})

    assert response.status_code == 200, response.content
    assert response.json()["title"] == "Renamed"
    assert Chat.objects.get(pk=chat.pk).title == "Renamed"


@pytest.mark.parametrize("data", [{}, {"title": ""}, {"title": "  "}, {"title": "y" * 101}])
def test_renaming_to_an_invalid_title_answers_400_and_changes_nothing(user_api_client, chat, data):
    before = chat_state(chat)

    assert_bad_request(user_api_client.patch(chat_url(chat), data), "title")

    assert chat_state(chat) == before


def test_the_owner_deletes_the_chat_with_its_messages_and_files(
    user_api_client, chat, media, django_capture_on_commit_callbacks
):
    attachment = attachment_in(chat)
    path = Path(attachment.file.path)
    assert path.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = user_api_client.delete(chat_url(chat))

    assert response.status_code == 204
    assert not Chat.objects.filter(pk=chat.pk).exists()
    assert not Message.objects.filter(chat_id=chat.pk).exists()
    assert not Attachment.objects.filter(pk=attachment.pk).exists()
    assert not path.exists()


def test_a_member_may_not_delete_the_chat(other_user, chat):
    MessageFactory(chat=chat)
    before = (chat_state(chat), Message.objects.count())

    response = client_for(other_user).delete(chat_url(chat))

    assert response.status_code == 403
    assert response.json() == FORBIDDEN
    assert (chat_state(chat), Message.objects.count()) == before


@pytest.mark.parametrize(("method", "data"), [("get", {}), ("patch", {"title": "Hijacked"}), ("delete", {})])
def test_a_non_member_gets_404_for_the_chat_and_nothing_changes(outsider, chat, method, data):
    MessageFactory(chat=chat)
    before = (chat_state(chat), Message.objects.count())

    response = getattr(client_for(outsider), method)(chat_url(chat), data)

    assert_not_found(response)
    assert (chat_state(chat), Message.objects.count()) == before


def test_a_chat_that_does_not_exist_answers_404(user_api_client):
    assert_not_found(user_api_client.get(chat_url(999_999)))
    assert_not_found(user_api_client.get(chat_url(HUGE)))
    assert_not_found(user_api_client.get(chat_url(2**70)))


def test_chats_cannot_be_replaced_with_put(user_api_client, chat):
    before = chat_state(chat)

    response = user_api_client.put(chat_url(chat), {"title": "Replaced"})

    assert response.status_code == 405
    assert chat_state(chat) == before


# --- Members: add, remove, leave -------------------------------------------------------------


def test_a_member_adds_people_by_username(other_user, chat):
    newcomer, another = UserFactory(), UserFactory()

    response = client_for(other_user).post(
        members_url(chat), {"members": [newcomer.username, another.username, other_user.username]}
    )

    assert response.status_code == 200, response.content
    assert response.json()["members"] == [
        chat.created_by.username,
        other_user.username,
        newcomer.username,
        another.username,
    ]
    assert members_of(chat) == {
        chat.created_by.username: "owner",
        other_user.username: "member",
        newcomer.username: "member",
        another.username: "member",
    }


def test_new_members_see_the_chat_and_its_history(user_api_client, chat):
    MessageFactory(chat=chat, text="before you came")
    newcomer = UserFactory()

    user_api_client.post(members_url(chat), {"members": [newcomer.username]})

    client = client_for(newcomer)
    assert ids(client.get(CHATS)) == [chat.pk]
    assert [item["text"] for item in client.get(MESSAGES, {"chat": chat.pk}).json()["results"]] == ["before you came"]


def test_adding_unknown_usernames_names_them_all_and_adds_nobody(user_api_client, chat):
    newcomer = UserFactory()
    before = members_of(chat)

    response = user_api_client.post(members_url(chat), {"members": ["ghost", newcomer.username, "phantom"]})

    body = assert_bad_request(response, "members")
    assert "ghost" in str(body["errors"]["members"])
    assert "phantom" in str(body["errors"]["members"])
    assert members_of(chat) == before


@pytest.mark.parametrize("data", [{}, {"members": []}, {"members": "someone"}, {"members": [""]}])
def test_adding_with_an_invalid_body_answers_400(user_api_client, chat, data):
    before = members_of(chat)

    assert_bad_request(user_api_client.post(members_url(chat), data), "members")

    assert members_of(chat) == before


def test_a_non_member_cannot_add_people(outsider, chat):
    before = members_of(chat)

    assert_not_found(client_for(outsider).post(members_url(chat), {"members": [outsider.username]}))

    assert members_of(chat) == before


def test_the_owner_removes_a_member(user_api_client, chat, other_user):
    response = user_api_client.delete(members_url(chat), {"username": other_user.username})

    assert response.status_code == 200, response.content
    assert response.json()["members"] == [chat.created_by.username]
    assert members_of(chat) == {chat.created_by.username: "owner"}


def test_a_removed_member_loses_the_chat_its_messages_and_files_at_once(user_api_client, chat, other_user, media):
    attachment = attachment_in(chat)
    message = attachment.message
    removed = client_for(other_user)
    assert removed.get(attachment_url(attachment)).status_code == 200

    user_api_client.delete(members_url(chat), {"username": other_user.username})

    assert removed.get(CHATS).json()["results"] == []
    assert_not_found(removed.get(chat_url(chat)))
    assert_not_found(removed.get(MESSAGES, {"chat": chat.pk}))
    assert_not_found(removed.get(MESSAGES, {"chat": chat.pk, "after": 0}))
    assert_not_found(removed.get(message_url(message)))
    assert_not_found(removed.get(attachment_url(attachment)))
    assert_not_found(removed.post(MESSAGES, {"chat": chat.pk, "text": "still here?"}))
    assert Message.objects.filter(chat=chat).count() == 1


def test_a_member_may_not_remove_others(other_user, chat):
    third = UserFactory()
    Membership.objects.create(chat=chat, user=third)
    before = members_of(chat)

    for name in (third.username, chat.created_by.username):
        response = client_for(other_user).delete(members_url(chat), {"username": name})

        assert response.status_code == 403
        assert response.json() == FORBIDDEN
    assert members_of(chat) == before


def test_a_member_removing_an_unknown_name_is_refused_like_any_removal(other_user, chat):
    before = members_of(chat)

    response = client_for(other_user).delete(members_url(chat), {"username": "ghost"})

    assert response.status_code == 403
    assert members_of(chat) == before


@pytest.mark.parametrize("name", ["ghost", "outsider"])
def test_the_owner_removing_someone_not_in_the_chat_answers_400(user_api_client, chat, outsider, name):
    before = members_of(chat)
    username = outsider.username if name == "outsider" else name

    assert_bad_request(user_api_client.delete(members_url(chat), {"username": username}), "username")

    assert members_of(chat) == before


def test_removing_needs_a_username(user_api_client, chat):
    before = members_of(chat)

    assert_bad_request(user_api_client.delete(members_url(chat), {}), "username")

    assert members_of(chat) == before


def test_the_username_to_remove_may_come_in_the_query_string(user_api_client, chat, other_user):
    # Some HTTP clients cannot send a body with DELETE.
    response = user_api_client.delete(f"{members_url(chat)}?username={other_user.username}")

    assert response.status_code == 200, response.content
    assert other_user.username not in members_of(chat)


def test_a_non_member_cannot_remove_anyone(outsider, chat, other_user):
    before = members_of(chat)

    assert_not_found(client_for(outsider).delete(members_url(chat), {"username": other_user.username}))
    assert_not_found(client_for(outsider).delete(members_url(chat), {"username": outsider.username}))

    assert members_of(chat) == before


def test_a_member_leaves_by_naming_themselves(other_user, chat):
    response = client_for(other_user).delete(members_url(chat), {"username": other_user.username})

    assert response.status_code == 204
    assert members_of(chat) == {chat.created_by.username: "owner"}
    assert_not_found(client_for(other_user).get(chat_url(chat)))


def test_when_the_owner_leaves_the_longest_standing_member_becomes_owner(user, user_api_client):
    newer, older = UserFactory(), UserFactory()
    chat = ChatFactory(created_by=user, members=[newer, older])
    now = timezone.now()
    Membership.objects.filter(chat=chat, user=newer).update(joined_at=now - timedelta(days=1))
    Membership.objects.filter(chat=chat, user=older).update(joined_at=now - timedelta(days=5))

    response = user_api_client.delete(members_url(chat), {"username": user.username})

    assert response.status_code == 204
    assert members_of(chat) == {older.username: "owner", newer.username: "member"}
    assert client_for(older).get(chat_url(chat)).json()["my_role"] == "owner"


def test_when_the_last_member_leaves_the_chat_is_deleted(
    user, user_api_client, media, django_capture_on_commit_callbacks
):
    chat = ChatFactory(created_by=user)
    path = Path(attachment_in(chat).file.path)

    with django_capture_on_commit_callbacks(execute=True):
        response = user_api_client.delete(members_url(chat), {"username": user.username})

    assert response.status_code == 204
    assert not Chat.objects.filter(pk=chat.pk).exists()
    assert not path.exists()


# --- Listing messages ------------------------------------------------------------------------


def test_listing_messages_needs_the_chat(user_api_client, chat):
    assert_bad_request(user_api_client.get(MESSAGES), "chat")
    assert_bad_request(user_api_client.get(MESSAGES, {"chat": ""}), "chat")


@pytest.mark.parametrize("value", ["abc", "1.5", "-1", "²", " 1", "1" * 20, "9" * 5000])
def test_a_chat_that_is_not_an_id_answers_400(user_api_client, chat, value):
    assert_bad_request(user_api_client.get(MESSAGES, {"chat": value}), "chat")


def test_messages_of_someone_elses_chat_answer_404(outsider, chat):
    MessageFactory(chat=chat)

    assert_not_found(client_for(outsider).get(MESSAGES, {"chat": chat.pk}))
    assert_not_found(client_for(outsider).get(MESSAGES, {"chat": 999_999}))
    assert_not_found(client_for(outsider).get(MESSAGES, {"chat": HUGE}))


def test_messages_come_oldest_first_with_their_fields(user, other_user, user_api_client, chat):
    first = MessageFactory(chat=chat, author=user, text="first")
    second = MessageFactory(chat=chat, author=other_user, text="second")
    MessageFactory(chat=ChatFactory(created_by=user), text="elsewhere")

    response = user_api_client.get(MESSAGES, {"chat": chat.pk})

    body = response.json()
    assert set(body) == {"next", "previous", "results"}
    assert [item["id"] for item in body["results"]] == [first.pk, second.pk]
    item = body["results"][1]
    assert item["chat"] == chat.pk
    assert item["author"] == other_user.username
    assert item["text"] == "second"
    assert item["edited_at"] is None
    assert item["is_deleted"] is False
    assert item["attachments"] == []
    assert item["created_at"]


def test_pages_go_back_in_time_and_each_page_reads_oldest_to_newest(user_api_client, chat):
    messages = [MessageFactory(chat=chat) for _ in range(7)]
    expected = [message.pk for message in messages]

    newest = user_api_client.get(MESSAGES, {"chat": chat.pk, "page_size": 3}).json()
    middle = user_api_client.get(newest["next"]).json()
    oldest = user_api_client.get(middle["next"]).json()

    assert [item["id"] for item in newest["results"]] == expected[4:]
    assert [item["id"] for item in middle["results"]] == expected[1:4]
    assert [item["id"] for item in oldest["results"]] == expected[:1]
    assert oldest["next"] is None
    assert newest["previous"] is None
    assert [item["id"] for item in user_api_client.get(oldest["previous"]).json()["results"]] == expected[1:4]


def test_the_page_size_is_capped_at_100(user_api_client, chat):
    Message.objects.bulk_create([Message(chat=chat, author=chat.created_by, text=str(n)) for n in range(105)])

    response = user_api_client.get(MESSAGES, {"chat": chat.pk, "page_size": 1000})

    assert len(response.json()["results"]) == 100


def test_a_broken_cursor_answers_400(user_api_client, chat):
    MessageFactory(chat=chat)

    assert_bad_request(user_api_client.get(MESSAGES, {"chat": chat.pk, "cursor": "garbage"}), "cursor")


def test_after_returns_only_newer_messages(user_api_client, chat):
    old = [MessageFactory(chat=chat) for _ in range(3)]
    new = [MessageFactory(chat=chat) for _ in range(2)]

    assert ids(user_api_client.get(MESSAGES, {"chat": chat.pk, "after": old[-1].pk})) == [m.pk for m in new]
    assert ids(user_api_client.get(MESSAGES, {"chat": chat.pk, "after": new[-1].pk})) == []
    assert ids(user_api_client.get(MESSAGES, {"chat": chat.pk, "after": 0})) == [m.pk for m in old + new]
    assert ids(user_api_client.get(MESSAGES, {"chat": chat.pk, "after": HUGE})) == []


def test_after_pages_forward_from_the_oldest_new_message_so_a_poller_misses_none(user_api_client, chat):
    seen = MessageFactory(chat=chat)
    new = [MessageFactory(chat=chat).pk for _ in range(7)]

    first = user_api_client.get(MESSAGES, {"chat": chat.pk, "after": seen.pk, "page_size": 3}).json()
    second = user_api_client.get(first["next"]).json()
    third = user_api_client.get(second["next"]).json()

    assert [item["id"] for item in first["results"]] == new[:3]
    assert [item["id"] for item in second["results"]] == new[3:6]
    assert [item["id"] for item in third["results"]] == new[6:]
    assert third["next"] is None


def test_catching_up_page_by_page_marks_everything_read(user, other_user, user_api_client, chat):
    seen = services.message_send(chat=chat, author=other_user, text="seen")
    user_api_client.get(MESSAGES, {"chat": chat.pk})
    for text in ["a", "b", "c", "d"]:
        services.message_send(chat=chat, author=other_user, text=text)

    first = user_api_client.get(MESSAGES, {"chat": chat.pk, "after": seen.pk, "page_size": 3}).json()
    user_api_client.get(first["next"])

    assert user_api_client.get(CHATS).json()["results"][0]["unread"] == 0


def test_going_back_to_older_pages_does_not_unread_anything(user, other_user, user_api_client, chat):
    for index in range(5):
        services.message_send(chat=chat, author=other_user, text=str(index))
    newest = user_api_client.get(MESSAGES, {"chat": chat.pk, "page_size": 2}).json()

    user_api_client.get(newest["next"])

    assert user_api_client.get(CHATS).json()["results"][0]["unread"] == 0


def test_polling_with_after_marks_read_only_what_it_delivered(user, other_user, user_api_client, chat):
    seen = services.message_send(chat=chat, author=other_user, text="seen")
    user_api_client.get(MESSAGES, {"chat": chat.pk})
    for text in ["a", "b", "c", "d"]:
        services.message_send(chat=chat, author=other_user, text=text)

    user_api_client.get(MESSAGES, {"chat": chat.pk, "after": seen.pk, "page_size": 3})

    assert user_api_client.get(CHATS).json()["results"][0]["unread"] == 1


@pytest.mark.parametrize("value", ["", "abc", "-1", "1.5", "²", "1e3", "1" * 20, "9" * 5000])
def test_a_bad_after_answers_400(user_api_client, chat, value):
    MessageFactory(chat=chat)

    assert_bad_request(user_api_client.get(MESSAGES, {"chat": chat.pk, "after": value}), "after")


def test_a_deleted_message_shows_as_a_tombstone_without_text_or_files(user, user_api_client, chat, other_user, media):
    attachment = attachment_in(chat)
    message = attachment.message
    services.message_delete(message_id=message.pk, user=user)

    item = client_for(other_user).get(MESSAGES, {"chat": chat.pk}).json()["results"][0]

    assert item["id"] == message.pk
    assert item["is_deleted"] is True
    assert item["text"] == ""
    assert item["attachments"] == []


def test_messages_of_a_deleted_account_show_no_author(user_api_client, chat, other_user):
    MessageFactory(chat=chat, author=other_user, text="bye")
    services.member_account_deleted(user=other_user)
    other_user.delete()

    item = user_api_client.get(MESSAGES, {"chat": chat.pk}).json()["results"][0]

    assert item["author"] is None
    assert item["text"] == "bye"


def test_a_member_gets_one_message_and_an_outsider_gets_404(other_user, outsider, chat):
    message = MessageFactory(chat=chat, text="hello")

    response = client_for(other_user).get(message_url(message))

    assert response.status_code == 200
    assert response.json()["text"] == "hello"
    assert_not_found(client_for(outsider).get(message_url(message)))


# --- Sending messages ------------------------------------------------------------------------


def test_sending_a_json_message_answers_201(user, user_api_client, chat):
    response = user_api_client.post(MESSAGES, {"chat": chat.pk, "text": "  hello  "})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["chat"] == chat.pk
    assert body["text"] == "hello"
    assert body["author"] == user.username
    assert body["attachments"] == []
    assert Message.objects.get(pk=body["id"]).text == "hello"


def test_sending_a_file_answers_201_with_a_download_url(user_api_client, chat, other_user, media):
    response = user_api_client.post(
        MESSAGES,
        {"chat": chat.pk, "text": "report", "file": upload("Q3 report.pdf", b"%PDF-1.4 data")},
        format="multipart",
    )

    assert response.status_code == 201, response.content
    attachment = response.json()["attachments"][0]
    assert attachment["original_name"] == "Q3 report.pdf"
    assert attachment["size"] == len(b"%PDF-1.4 data")
    assert attachment["url"].startswith("http://testserver/api/attachments/")
    stored = Attachment.objects.get(pk=attachment["id"])
    assert "Q3" not in stored.file.name  # stored under a random name

    download = client_for(other_user).get(attachment["url"])

    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 data"
    assert download["Content-Disposition"] == 'attachment; filename="Q3 report.pdf"'
    assert download["Content-Type"] == "application/octet-stream"


def test_a_null_file_in_json_means_no_file(user_api_client, chat):
    response = user_api_client.post(MESSAGES, {"chat": chat.pk, "text": "plain", "file": None})

    assert response.status_code == 201, response.content
    assert response.json()["attachments"] == []


def test_a_file_may_be_sent_without_text(user_api_client, chat, media):
    response = user_api_client.post(MESSAGES, {"chat": chat.pk, "file": upload()}, format="multipart")

    assert response.status_code == 201, response.content
    assert response.json()["text"] == ""
    assert len(response.json()["attachments"]) == 1


def test_the_download_name_is_the_sanitised_original_name(user_api_client, chat, media):
    sent = user_api_client.post(
        MESSAGES, {"chat": chat.pk, "file": upload("..\\..\\re:po<r>t?*|.txt")}, format="multipart"
    ).json()

    download = user_api_client.get(sent["attachments"][0]["url"])

    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="report.txt"'
    assert not any(".." in str(path.relative_to(media)) for path in stored_files(media))


def test_a_non_ascii_original_name_is_kept_for_the_download(user_api_client, chat, media):
    sent = user_api_client.post(MESSAGES, {"chat": chat.pk, "file": upload("отчёт.txt")}, format="multipart").json()

    download = user_api_client.get(sent["attachments"][0]["url"])

    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%D0%BE%D1%82%D1%87%D1%91%D1%82.txt" in download["Content-Disposition"]


@pytest.mark.parametrize("accept", ["application/octet-stream", "text/plain", "*/*", "application/json"])
def test_the_download_answers_whatever_the_client_accepts(user_api_client, api_client, outsider, chat, media, accept):
    attachment = attachment_in(chat, content=b"payload")

    download = user_api_client.get(attachment_url(attachment), HTTP_ACCEPT=accept)

    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"payload"
    assert api_client.get(attachment_url(attachment), HTTP_ACCEPT=accept).json() == UNAUTHORIZED
    assert_not_found(client_for(outsider).get(attachment_url(attachment), HTTP_ACCEPT=accept))


def test_an_outsider_cannot_download_an_attachment(outsider, chat, media):
    attachment = attachment_in(chat)

    assert_not_found(client_for(outsider).get(attachment_url(attachment)))
    assert_not_found(client_for(outsider).get(attachment_url(999_999)))


def test_a_missing_file_on_disk_answers_404(user_api_client, chat, media):
    attachment = attachment_in(chat)
    Path(attachment.file.path).unlink()

    assert_not_found(user_api_client.get(attachment_url(attachment)))


@pytest.mark.parametrize(
    ("name", "content"),
    [("script.exe", b"MZ..."), ("page.html", b"<script>"), ("noextension", b"data"), ("archive.tar.gz", b"gz")],
)
def test_a_file_of_a_wrong_type_is_refused_and_nothing_is_stored(user_api_client, chat, media, name, content):
    response = user_api_client.post(
        MESSAGES, {"chat": chat.pk, "text": "look", "file": upload(name, content)}, format="multipart"
    )

    assert_bad_request(response, "file")
    assert Message.objects.count() == 0
    assert Attachment.objects.count() == 0
    assert stored_files(media) == []


def test_the_allowed_types_come_from_settings(user_api_client, chat, media, settings):
    settings.CHAT_ATTACHMENT_TYPES = ["pdf"]

    assert_bad_request(
        user_api_client.post(MESSAGES, {"chat": chat.pk, "file": upload("notes.txt")}, format="multipart"), "file"
    )
    ok = user_api_client.post(MESSAGES, {"chat": chat.pk, "file": upload("doc.PDF", b"%PDF")}, format="multipart")

    assert ok.status_code == 201, ok.content
    assert Attachment.objects.count() == 1


def test_an_oversized_file_is_refused_and_nothing_is_stored(user_api_client, chat, media, settings):
    settings.CHAT_ATTACHMENT_MAX_MB = 1
    limit = 1024 * 1024

    response = user_api_client.post(
        MESSAGES, {"chat": chat.pk, "file": upload("big.txt", b"x" * (limit + 1))}, format="multipart"
    )

    body = assert_bad_request(response, "file")
    assert "1 MB" in body["errors"]["file"][0]
    assert Message.objects.count() == 0
    assert stored_files(media) == []
    exact = user_api_client.post(
        MESSAGES, {"chat": chat.pk, "file": upload("big.txt", b"x" * limit)}, format="multipart"
    )
    assert exact.status_code == 201, exact.content


def test_an_empty_file_is_refused_and_nothing_is_stored(user_api_client, chat, media):
    response = user_api_client.post(
        MESSAGES, {"chat": chat.pk, "text": "empty?", "file": upload("empty.txt", b"")}, format="multipart"
    )

    assert_bad_request(response, "file")
    assert Message.objects.count() == 0
    assert stored_files(media) == []


@pytest.mark.parametrize("data", [{}, {"text": ""}, {"text": "   \n "}])
def test_an_empty_message_without_a_file_is_refused(user_api_client, chat, data):
    response = user_api_client.post(MESSAGES, {"chat": chat.pk, **data})

    assert_bad_request(response, "text")
    assert Message.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"text": "no chat"}, "chat"),
        ({"chat": "abc", "text": "x"}, "chat"),
        ({"chat": None, "text": "x"}, "chat"),
        ({"chat": 1, "text": None}, "text"),
        ({"chat": 1, "text": "x" * 10_001}, "text"),
        ({"chat": 1, "text": "x", "file": "not a file"}, "file"),
    ],
)
def test_invalid_message_bodies_answer_400(user_api_client, chat, data, field):
    data = {**data, "chat": chat.pk} if data.get("chat") == 1 else data

    assert_bad_request(user_api_client.post(MESSAGES, data), field)

    assert Message.objects.count() == 0


def test_an_outsider_cannot_post_to_a_chat_and_nothing_is_stored(outsider, chat, media):
    client = client_for(outsider)

    assert_not_found(client.post(MESSAGES, {"chat": chat.pk, "text": "let me in"}))
    assert_not_found(client.post(MESSAGES, {"chat": chat.pk, "file": upload()}, format="multipart"))
    assert_not_found(client.post(MESSAGES, {"chat": HUGE, "text": "x"}))

    assert Message.objects.count() == 0
    assert stored_files(media) == []


# --- Editing and deleting messages -----------------------------------------------------------


def test_the_author_edits_a_message_and_it_is_marked_edited(user, user_api_client, chat):
    message = MessageFactory(chat=chat, author=user, text="helo")

    response = user_api_client.patch(message_url(message), {"text": "hello"})

    assert response.status_code == 200, response.content
    assert response.json()["text"] == "hello"
    assert response.json()["edited_at"]
    state = message_state(message)
    assert state["text"] == "hello"
    assert state["edited_at"] is not None


def test_saving_the_same_text_is_not_an_edit(user, user_api_client, chat):
    message = MessageFactory(chat=chat, author=user, text="same")

    response = user_api_client.patch(message_url(message), {"text": "same"})

    assert response.status_code == 200
    assert response.json()["edited_at"] is None


@pytest.mark.parametrize("data", [{}, {"text": ""}, {"text": "  "}, {"text": "z" * 10_001}])
def test_an_invalid_edit_answers_400_and_changes_nothing(user, user_api_client, chat, data):
    message = MessageFactory(chat=chat, author=user, text="keep me")
    before = message_state(message)

    assert_bad_request(user_api_client.patch(message_url(message), data), "text")

    assert message_state(message) == before


def test_a_message_with_a_file_may_lose_its_text(user, user_api_client, chat, media):
    message = attachment_in(chat).message

    response = user_api_client.patch(message_url(message), {"text": ""})

    assert response.status_code == 200, response.content
    assert message_state(message)["text"] == ""


def test_nobody_edits_someone_elses_message(other_user, chat):
    message = MessageFactory(chat=chat, text="owner's words")
    before = message_state(message)

    response = client_for(other_user).patch(message_url(message), {"text": "my words now"})

    assert response.status_code == 403
    assert response.json() == FORBIDDEN
    assert message_state(message) == before


def test_an_outsider_gets_404_for_editing_or_deleting_and_nothing_changes(outsider, chat, media):
    attachment = attachment_in(chat)
    message = attachment.message
    before = message_state(message)

    assert_not_found(client_for(outsider).patch(message_url(message), {"text": "hacked"}))
    assert_not_found(client_for(outsider).delete(message_url(message)))

    assert message_state(message) == before
    assert Attachment.objects.filter(pk=attachment.pk).exists()


def test_a_deleted_message_cannot_be_edited(user, user_api_client, chat):
    message = MessageFactory(chat=chat, author=user)
    services.message_delete(message_id=message.pk, user=user)

    assert_not_found(user_api_client.patch(message_url(message), {"text": "back"}))
    assert_not_found(user_api_client.delete(message_url(message)))

    assert message_state(message)["text"] == ""


def test_the_author_deletes_a_message_with_its_file_for_everyone(
    user, user_api_client, chat, other_user, media, django_capture_on_commit_callbacks
):
    attachment = attachment_in(chat)
    message = attachment.message
    path = Path(attachment.file.path)

    with django_capture_on_commit_callbacks(execute=True):
        response = user_api_client.delete(message_url(message))

    assert response.status_code == 204
    item = client_for(other_user).get(MESSAGES, {"chat": chat.pk}).json()["results"][0]
    assert (item["id"], item["is_deleted"], item["text"], item["attachments"]) == (message.pk, True, "", [])
    assert_not_found(client_for(other_user).get(attachment_url(attachment)))
    assert not Attachment.objects.filter(pk=attachment.pk).exists()
    assert not path.exists()


def test_nobody_deletes_someone_elses_message(other_user, chat, media):
    attachment = attachment_in(chat)
    message = attachment.message
    before = message_state(message)

    response = client_for(other_user).delete(message_url(message))

    assert response.status_code == 403
    assert response.json() == FORBIDDEN
    assert message_state(message) == before
    assert Attachment.objects.filter(pk=attachment.pk).exists()


def test_messages_cannot_be_replaced_with_put(user, user_api_client, chat):
    message = MessageFactory(chat=chat, author=user, text="keep")

    response = user_api_client.put(message_url(message), {"text": "replace"})

    assert response.status_code == 405
    assert message_state(message)["text"] == "keep"


# --- Query counts ----------------------------------------------------------------------------


def _fill_chats(user, count: int) -> None:
    for _ in range(count):
        chat = ChatFactory(created_by=UserFactory(), members=[user, UserFactory()])
        MessageFactory(chat=chat)


def _queries(client, url, params) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url, params).status_code == 200
    return len(context.captured_queries)


def test_the_chat_list_costs_the_same_number_of_queries_at_any_size(
    user, user_api_client, django_assert_max_num_queries
):
    _fill_chats(user, 2)
    small = _queries(user_api_client, CHATS, {})
    _fill_chats(user, 18)

    with django_assert_max_num_queries(small):
        response = user_api_client.get(CHATS)

    assert len(response.json()["results"]) == 20
    assert small <= 5


def test_the_message_list_costs_the_same_number_of_queries_at_any_size(
    user, other_user, user_api_client, chat, media, django_assert_max_num_queries
):
    attachment_in(chat)
    MessageFactory(chat=chat, author=other_user)
    small = _queries(user_api_client, MESSAGES, {"chat": chat.pk})
    for index in range(30):
        if index % 3 == 0:
            attachment_in(chat)
        MessageFactory(chat=chat, author=other_user if index % 2 else UserFactory())
    MessageFactory(chat=chat, author=other_user)

    with django_assert_max_num_queries(small):
        response = user_api_client.get(MESSAGES, {"chat": chat.pk})

    assert len(response.json()["results"]) == 43
    assert small <= 6


# --- OpenAPI ---------------------------------------------------------------------------------


def test_the_chat_routes_are_documented_in_the_openapi_schema(api_client, tmp_path):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    for path in (
        "/api/chats/",
        "/api/chats/{id}/",
        "/api/chats/{id}/members/",
        "/api/messages/",
        "/api/messages/{id}/",
        "/api/attachments/{id}/",
    ):
        assert path in schema["paths"], path
    parameters = {item["name"]: item for item in schema["paths"]["/api/messages/"]["get"]["parameters"]}
    assert parameters["chat"]["required"] is True
    assert "after" in parameters
    assert "multipart/form-data" in schema["paths"]["/api/messages/"]["post"]["requestBody"]["content"]
    call_command("spectacular", "--file", str(tmp_path / "schema.yml"), "--validate", "--fail-on-warn")


def test_changed_since_lets_an_api_client_learn_of_edits_and_deletions():
    owner, reader = UserFactory(), UserFactory()
    chat = ChatFactory(created_by=owner, members=[reader])
    kept, edited, deleted = (MessageFactory(chat=chat, author=owner) for _ in range(3))
    moment = timezone.now() + timedelta(milliseconds=5)
    Message.objects.filter(pk__in=[kept.pk, edited.pk, deleted.pk]).update(changed_at=moment - timedelta(minutes=1))
    services.message_edit(message_id=edited.pk, user=owner, text="fixed typo")
    services.message_delete(message_id=deleted.pk, user=owner)
    client = APIClient()
    client.force_authenticate(reader)

    response = client.get(
        "/api/messages/", {"chat": chat.pk, "changed_since": (moment - timedelta(seconds=30)).isoformat()}
    )

    assert response.status_code == 200
    results = {item["id"]: item for item in response.json()["results"]}
    assert set(results) == {edited.pk, deleted.pk}
    assert results[edited.pk]["text"] == "fixed typo"
    assert results[deleted.pk]["is_deleted"] is True
    assert all(item["changed_at"] for item in results.values())


@pytest.mark.parametrize("value", ["yesterday", "2026-02-30T10:00:00"])
def test_a_malformed_changed_since_is_refused(value):
    owner = UserFactory()
    chat = ChatFactory(created_by=owner)
    client = APIClient()
    client.force_authenticate(owner)
    response = client.get("/api/messages/", {"chat": chat.pk, "changed_since": value})
    assert response.status_code == 400
    assert "changed_since" in response.json()["errors"]


@pytest.mark.parametrize("message_id", ["9" * 25, "١٢", str(HUGE)])
def test_editing_or_deleting_a_message_id_that_names_no_row_is_a_404(user_api_client, chat, message_id):
    MessageFactory(chat=chat, text="kept")

    assert_not_found(user_api_client.patch(message_url(message_id), {"text": "changed"}, format="json"))
    assert_not_found(user_api_client.delete(message_url(message_id)))
    assert list(Message.objects.values_list("text", flat=True)) == ["kept"]


def _page_id_query(captured: CaptureQueriesContext) -> str:
    """The paginator's query: the one that selects only message ids."""
    prefix = 'SELECT "id" FROM "chat_message" WHERE'
    (sql,) = [query["sql"] for query in captured.captured_queries if query["sql"].startswith(prefix)]
    return sql


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the plan is PostgreSQL's")
@pytest.mark.django_db(transaction=True)  # VACUUM cannot run in the test's transaction
def test_the_newest_page_reads_the_chat_index_not_the_other_chats_newer_rows(user, user_api_client, chat):
    # A long chat and another chat with many newer messages: PostgreSQL, reading whole rows, walked
    # the primary key backwards and filtered out all of the other chat's rows first.
    Message.objects.bulk_create(Message(chat=chat, text="old") for _ in range(4000))
    busy = ChatFactory(created_by=user)
    Message.objects.bulk_create(Message(chat=busy, text="busy") for _ in range(1500))
    with connection.cursor() as cursor:
        # Autovacuum keeps an insert-only table's visibility map current; the index-only scan needs it.
        cursor.execute("VACUUM ANALYZE chat_message")
    with CaptureQueriesContext(connection) as captured:
        response = user_api_client.get(MESSAGES, {"chat": chat.pk})
    assert response.status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + _page_id_query(captured))
        plan = "\n".join(row[0] for row in cursor.fetchall())
    index = Message._meta.indexes[0].name  # (chat, id)
    assert Message._meta.indexes[0].fields == ["chat", "id"]
    assert f"Index Only Scan Backward using {index}" in plan, plan
    assert response.json()["results"][-1]["text"] == "old"
    assert "chat_message_pkey" not in plan, plan


def test_reading_the_newest_page_again_costs_no_update_and_a_few_queries(user, user_api_client, chat):
    MessageFactory.create_batch(60, chat=chat)
    user_api_client.get(MESSAGES, {"chat": chat.pk})  # marks the page read
    with CaptureQueriesContext(connection) as captured:
        response = user_api_client.get(MESSAGES, {"chat": chat.pk})
    assert len(response.json()["results"]) == 50
    assert not [q for q in captured.captured_queries if q["sql"].startswith("UPDATE")]
    # the membership, the page's ids, the page's rows with authors and attachments
    assert len(captured.captured_queries) == 3, [q["sql"] for q in captured.captured_queries]
