"""The messenger's HTML pages: access, chats, members, messages, files, polling, unread counts, queries."""

from datetime import datetime, timedelta
from email.message import Message as MimeMessage
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from chat import services
from chat.models import Attachment, Chat, Membership, Message
from tests.chat_factories import AS_SCRIPT, ChatFactory, MessageFactory, attachment_in, files_under, signed_in, uploaded
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIST = reverse("chat:list")
CREATE = reverse("chat:create")
LOGIN = reverse("accounts:login")


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path) -> Path:
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CHAT_ATTACHMENT_TYPES = ["txt", "png", "pdf"]
    settings.CHAT_ATTACHMENT_MAX_MB = 1
    return settings.PRIVATE_MEDIA_ROOT


def detail(chat) -> str:
    return reverse("chat:detail", args=[chat.pk])


def send_url(chat) -> str:
    return reverse("chat:send", args=[chat.pk])


def poll_url(chat) -> str:
    return reverse("chat:poll", args=[chat.pk])


def edit_url(chat) -> str:
    return reverse("chat:edit", args=[chat.pk])


def flashes(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def roles(chat) -> dict[str, str]:
    return {m.user.username: m.role for m in Membership.objects.filter(chat=chat).select_related("user")}


def state() -> tuple:
    """Everything in the messenger's tables: a refused request must leave it as it was."""
    return (
        list(Chat.objects.order_by("id").values_list("id", "title")),
        list(Membership.objects.order_by("id").values_list("chat", "user", "role", "last_read_id")),
        list(Message.objects.order_by("id").values_list("id", "text", "is_deleted", "edited_at", "author")),
        list(Attachment.objects.order_by("id").values_list("id", "file")),
    )


def content_disposition(response) -> tuple[str | None, str | None]:
    """The disposition type and the file name (``filename*`` decoded) of a download."""
    header = MimeMessage()
    header["Content-Disposition"] = response["Content-Disposition"]
    return header.get_content_disposition(), header.get_filename()


# --- Access -----------------------------------------------------------------------------------


def _urls(chat, message, attachment) -> dict[str, tuple[str, str]]:
    return {
        "list": ("get", LIST),
        "create": ("get", CREATE),
        "detail": ("get", detail(chat)),
        "send": ("post", send_url(chat)),
        "poll": ("get", poll_url(chat) + "?after=0"),
        "edit": ("get", edit_url(chat)),
        "edit-post": ("post", edit_url(chat)),
        "message-edit": ("post", reverse("chat:message-edit", args=[message.pk])),
        "message-delete": ("post", reverse("chat:message-delete", args=[message.pk])),
        "attachment": ("get", reverse("chat:attachment", args=[attachment.pk])),
    }


URL_NAMES = [
    "list",
    "create",
    "detail",
    "send",
    "poll",
    "edit",
    "edit-post",
    "message-edit",
    "message-delete",
    "attachment",
]


@pytest.mark.parametrize("name", URL_NAMES)
def test_every_page_sends_anonymous_visitors_to_login(client, chat, name):
    attachment = attachment_in(chat)
    method, url = _urls(chat, attachment.message, attachment)[name]
    before = state()

    response = getattr(client, method)(url, {"text": "x", "action": "rename", "title": "Hacked"})

    assert response.status_code == 302
    assert response.url.startswith(f"{LOGIN}?next=")
    assert state() == before


@pytest.mark.parametrize("name", [name for name in URL_NAMES if name not in ("list", "create")])
def test_a_non_member_gets_404_everywhere_and_changes_nothing(chat, carol, name):
    attachment = attachment_in(chat)
    method, url = _urls(chat, attachment.message, attachment)[name]
    before = state()

    response = getattr(signed_in(carol), method)(url, {"text": "x", "action": "rename", "title": "Hacked"})

    assert response.status_code == 404
    assert b"Team" not in response.content
    assert state() == before


@pytest.mark.parametrize("name", ["detail", "poll", "attachment", "edit", "send"])
def test_a_removed_member_loses_access_at_once(chat, owner, bob, name):
    attachment = attachment_in(chat)
    method, url = _urls(chat, attachment.message, attachment)[name]
    client = signed_in(bob)
    assert client.get(detail(chat)).status_code == 200

    services.chat_member_remove(chat=chat, owner=owner, user=bob)

    assert getattr(client, method)(url, {"text": "still here?"}).status_code == 404
    assert not Message.objects.filter(text="still here?").exists()


def test_unknown_ids_are_404(owner):
    client = signed_in(owner)

    assert client.get(reverse("chat:detail", args=[999999])).status_code == 404
    assert client.get(reverse("chat:attachment", args=[999999])).status_code == 404
    assert client.post(reverse("chat:message-edit", args=[999999]), {"text": "x"}).status_code == 404
    assert client.get(reverse("chat:detail", args=[10**30])).status_code == 404


# --- The chat list ----------------------------------------------------------------------------


def test_an_empty_chat_list_invites_to_start_one(owner):
    response = signed_in(owner).get(LIST)

    assert response.status_code == 200
    assert b'id="no-chats"' in response.content
    assert CREATE.encode() in response.content


def test_the_chat_list_shows_newest_activity_first_with_previews_and_unread_counts(owner, bob, carol):
    older = ChatFactory(created_by=owner, members=[bob], title="Older")
    newer = ChatFactory(created_by=carol, members=[bob], title="Newer")
    ChatFactory(created_by=carol, title="Not mine")
    services.message_send(chat=older, author=owner, text="first")
    services.message_send(chat=newer, author=carol, text="hello bob")
    services.message_send(chat=newer, author=carol, text="are you there?")

    response = signed_in(bob).get(LIST)

    chats = list(response.context["chats"])
    assert [chat.title for chat in chats] == ["Newer", "Older"]
    assert [chat.unread for chat in chats] == [2, 1]
    html = response.content.decode()
    assert "carol: are you there?" in html
    assert "Not mine" not in html
    assert html.index("Newer") < html.index("Older")

    services.message_send(chat=older, author=owner, text="bump")
    chats = list(signed_in(bob).get(LIST).context["chats"])
    assert [chat.title for chat in chats] == ["Older", "Newer"]


def test_the_preview_names_deleted_messages_files_and_empty_chats(owner, bob):
    deleted_last = ChatFactory(created_by=owner, members=[bob], title="Deleted")
    message = services.message_send(chat=deleted_last, author=owner, text="oops")
    services.message_delete(message_id=message.pk, user=owner)
    file_last = ChatFactory(created_by=owner, members=[bob], title="File")
    services.message_send(chat=file_last, author=owner, uploads=[uploaded()])
    ChatFactory(created_by=owner, members=[bob], title="Empty")

    html = signed_in(bob).get(LIST).content.decode()

    assert "<em>Message deleted</em>" in html
    assert "oops" not in html
    assert "owner: 📎 file" in html
    assert "No messages yet" in html


def test_opening_a_chat_marks_it_read(chat, owner, bob):
    MessageFactory.create_batch(3, chat=chat, author=owner)
    client = signed_in(bob)
    assert [c.unread for c in client.get(LIST).context["chats"]] == [3]

    client.get(detail(chat))

    assert [c.unread for c in client.get(LIST).context["chats"]] == [0]
    assert b"unread-count" not in client.get(LIST).content


# --- Adding a chat ----------------------------------------------------------------------------


def test_the_add_chat_page_shows_an_empty_form(owner):
    response = signed_in(owner).get(CREATE)

    assert response.status_code == 200
    assert b'name="title"' in response.content and b'name="members"' in response.content


def test_adding_a_chat_makes_the_creator_owner_and_opens_it(owner, bob, carol):
    response = signed_in(owner).post(CREATE, {"title": " Trip ", "members": "bob, carol, bob, owner"})

    chat = Chat.objects.get()
    assert response.status_code == 302
    assert response.url == detail(chat)
    assert chat.title == "Trip"
    assert roles(chat) == {"owner": "owner", "bob": "member", "carol": "member"}
    assert flashes(response) == ["The chat “Trip” is created."]


def test_unknown_usernames_are_all_named_the_input_is_kept_and_nothing_is_created(owner, bob):
    response = signed_in(owner).post(CREATE, {"title": "Trip", "members": "bob, ghost, phantom"})

    assert response.status_code == 200
    assert response.context["errors"] == ["Unknown usernames: ghost, phantom."]
    html = response.content.decode()
    assert "Unknown usernames: ghost, phantom." in html
    assert 'value="Trip"' in html
    assert 'value="bob, ghost, phantom"' in html
    assert not Chat.objects.exists()


@pytest.mark.parametrize(("title", "error"), [("  ", "Give the chat a title."), ("x" * 101, "at most 100 characters")])
def test_a_bad_title_is_shown_and_nothing_is_created(owner, title, error):
    response = signed_in(owner).post(CREATE, {"title": title, "members": ""})

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Chat.objects.exists()


def test_the_input_is_escaped_when_shown_again(owner):
    response = signed_in(owner).post(CREATE, {"title": "", "members": '"><script>alert(1)</script>'})

    assert b"<script>alert(1)</script>" not in response.content
    assert b"&lt;script&gt;" in response.content


# --- The chat page ----------------------------------------------------------------------------


def test_the_chat_page_shows_the_latest_messages_oldest_first(chat, owner, bob):
    services.message_send(chat=chat, author=owner, text="Apples first")
    services.message_send(chat=chat, author=bob, text="Bananas second")

    response = signed_in(bob).get(detail(chat))

    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("Apples first") < html.index("Bananas second")
    assert 'id="load-older"' not in html
    assert reverse("accounts:public-profile", args=["owner"]) in html
    assert response.context["is_archive"] is False


def test_only_own_messages_offer_edit_and_delete(chat, owner, bob):
    mine = services.message_send(chat=chat, author=bob, text="mine")
    theirs = services.message_send(chat=chat, author=owner, text="theirs")

    html = signed_in(bob).get(detail(chat)).content.decode()

    assert reverse("chat:message-edit", args=[mine.pk]) in html
    assert reverse("chat:message-delete", args=[mine.pk]) in html
    assert reverse("chat:message-edit", args=[theirs.pk]) not in html
    assert reverse("chat:message-delete", args=[theirs.pk]) not in html


def test_older_messages_load_page_by_page_and_do_not_mark_read(chat, owner, bob, settings):
    settings.CHAT_PAGE_SIZE = 3
    messages = [services.message_send(chat=chat, author=owner, text=f"number {n}") for n in range(7)]
    client = signed_in(bob)

    page = client.get(detail(chat))
    assert page.context["page"] == messages[4:]
    assert f'?before={messages[4].pk}"'.encode() in page.content
    Membership.objects.filter(chat=chat, user=bob).update(last_read_id=0)

    older = client.get(detail(chat), {"before": messages[4].pk})
    assert older.context["page"] == messages[1:4]
    assert older.context["is_archive"] is True
    assert b'data-live="0"' in older.content
    assert Membership.objects.get(chat=chat, user=bob).last_read_id == 0

    oldest = client.get(detail(chat), {"before": messages[1].pk})
    assert oldest.context["page"] == messages[:1]
    assert b'id="load-older"' not in oldest.content


@pytest.mark.parametrize("before", ["abc", "-1", "²", "1e3", ""])
def test_a_malformed_before_shows_the_newest_messages(chat, owner, bob, before):
    message = services.message_send(chat=chat, author=owner, text="hello")

    response = signed_in(bob).get(detail(chat), {"before": before})

    assert response.status_code == 200
    assert response.context["page"] == [message]
    assert response.context["is_archive"] is False


def test_a_chat_without_messages_says_so(chat, owner):
    response = signed_in(owner).get(detail(chat))

    assert b'id="no-messages"' in response.content
    assert b'data-after="0"' in response.content


# --- Sending ----------------------------------------------------------------------------------


def test_a_message_is_sent_from_the_form(chat, bob):
    response = signed_in(bob).post(send_url(chat), {"text": "Hello all"})

    message = Message.objects.get()
    assert response.status_code == 302
    assert response.url == f"{detail(chat)}#message-{message.pk}"
    assert (message.text, message.author) == ("Hello all", bob)


def test_the_page_script_gets_the_new_message_as_html(chat, bob):
    client = signed_in(bob)
    response = client.post(send_url(chat), {"text": "Hello <b>all</b>"}, **AS_SCRIPT)

    message = Message.objects.get()
    assert response.status_code == 201
    data = response.json()
    assert data["id"] == message.pk
    assert f'id="message-{message.pk}"' in data["html"]
    assert "Hello &lt;b&gt;all&lt;/b&gt;" in data["html"]


def test_an_empty_message_is_refused_with_a_message(chat, bob):
    client = signed_in(bob)

    response = client.post(send_url(chat), {"text": "   "})
    assert response.status_code == 302
    assert flashes(response) == ["Write a message or attach a file."]

    response = client.post(send_url(chat), {"text": ""}, **AS_SCRIPT)
    assert response.status_code == 400
    assert response.json() == {"errors": ["Write a message or attach a file."]}
    assert not Message.objects.exists()


def test_sending_needs_post(chat, bob):
    assert signed_in(bob).get(send_url(chat)).status_code == 405


def test_a_file_is_sent_and_stored_privately(chat, bob, private_root, settings):
    client = signed_in(bob)

    response = client.post(send_url(chat), {"text": "", "file": uploaded("plan.txt", b"the plan")}, **AS_SCRIPT)

    assert response.status_code == 201
    attachment = Attachment.objects.get()
    assert attachment.original_name == "plan.txt"
    assert reverse("chat:attachment", args=[attachment.pk]) in response.json()["html"]
    assert files_under(private_root) == [attachment.file.name]
    assert "plan" not in attachment.file.name
    assert files_under(settings.MEDIA_ROOT) == []


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("virus.exe", b"MZ", "Files of this type are not allowed. Allowed: txt, png, pdf."),
        ("empty.txt", b"", "The file is empty."),
        ("huge.pdf", b"x" * (1024 * 1024 + 1), "The file is too large: at most 1 MB."),
    ],
)
def test_a_refused_file_is_explained_and_nothing_is_stored(chat, bob, private_root, name, content, error):
    client = signed_in(bob)
    before = state()

    form = client.post(send_url(chat), {"text": "see file", "file": uploaded(name, content)})
    script = client.post(send_url(chat), {"text": "see file", "file": uploaded(name, content)}, **AS_SCRIPT)

    assert form.status_code == 302
    assert flashes(form) == [error]
    assert error in client.get(form.url).content.decode()
    assert script.status_code == 400
    assert script.json() == {"errors": [error]}
    assert state() == before
    assert files_under(private_root) == []


def test_the_chat_page_states_the_allowed_types_and_the_limit(chat, bob):
    html = signed_in(bob).get(detail(chat)).content.decode()

    assert 'accept=".txt,.png,.pdf"' in html
    assert 'data-max-mb="1"' in html
    assert "up to 1 MB" in html


# --- Downloading ------------------------------------------------------------------------------


def download(client, attachment):
    return client.get(reverse("chat:attachment", args=[attachment.pk]))


def test_a_member_downloads_a_file_under_its_original_name(chat, bob):
    attachment = attachment_in(chat, name="plan.txt", content=b"the plan")

    response = download(signed_in(bob), attachment)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"the plan"
    assert content_disposition(response) == ("attachment", "plan.txt")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Length"] == "8"


def test_a_nasty_file_name_is_sanitised_for_the_download(chat, bob):
    # Sent through the service: the test client would already cut the path off in the multipart body.
    message = services.message_send(chat=chat, author=bob, uploads=[uploaded('../../etc/pa"ss;wd.txt', b"root")])
    attachment = message.attachments.get()

    response = download(signed_in(bob), attachment)

    assert attachment.original_name == "passwd.txt"
    assert response["Content-Disposition"] == 'attachment; filename="passwd.txt"'
    assert ".." not in attachment.file.name


def test_a_unicode_file_name_survives_the_download(chat, bob):
    client = signed_in(bob)
    client.post(send_url(chat), {"file": uploaded("отчёт за май.pdf", b"%PDF-1.4")})

    response = download(client, Attachment.objects.get())

    assert content_disposition(response) == ("attachment", "отчёт за май.pdf")
    assert "filename*=utf-8''" in response["Content-Disposition"]
    assert unquote(response["Content-Disposition"].split("''")[1]) == "отчёт за май.pdf"


def test_a_deleted_messages_file_is_gone(chat, owner, bob, private_root, django_capture_on_commit_callbacks):
    attachment = attachment_in(chat, author=owner)
    client = signed_in(owner)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("chat:message-delete", args=[attachment.message_id]))

    assert download(signed_in(bob), attachment).status_code == 404
    assert download(client, attachment).status_code == 404
    assert files_under(private_root) == []


def test_a_file_missing_from_disk_is_404_not_an_error(chat, bob):
    attachment = attachment_in(chat)
    Path(attachment.file.path).unlink()

    assert download(signed_in(bob), attachment).status_code == 404


# --- Editing and deleting messages ------------------------------------------------------------


def test_the_author_edits_a_message_and_everyone_sees_the_mark(chat, owner, bob):
    message = services.message_send(chat=chat, author=bob, text="Helo")
    client = signed_in(bob)

    response = client.post(reverse("chat:message-edit", args=[message.pk]), {"text": "Hello"})

    assert response.status_code == 302
    assert response.url == f"{detail(chat)}#message-{message.pk}"
    message.refresh_from_db()
    assert message.text == "Hello" and message.edited_at is not None
    html = signed_in(owner).get(detail(chat)).content.decode()
    assert "Hello" in html and "Helo" not in html
    assert '<span class="edited-mark">(edited)</span>' in html


def test_the_script_gets_the_edited_message_back(chat, bob):
    message = services.message_send(chat=chat, author=bob, text="Helo")
    client = signed_in(bob)

    response = client.post(reverse("chat:message-edit", args=[message.pk]), {"text": "Hello"}, **AS_SCRIPT)

    assert response.status_code == 200
    assert response.json()["id"] == message.pk
    assert "(edited)" in response.json()["html"]


def test_an_empty_edit_is_refused_with_a_message(chat, bob):
    message = services.message_send(chat=chat, author=bob, text="Hello")
    client = signed_in(bob)
    url = reverse("chat:message-edit", args=[message.pk])

    form = client.post(url, {"text": " "})
    script = client.post(url, {"text": " "}, **AS_SCRIPT)

    assert form.status_code == 302 and form.url == detail(chat)
    assert flashes(form) == ["A message cannot be empty."]
    assert script.status_code == 400
    message.refresh_from_db()
    assert (message.text, message.edited_at) == ("Hello", None)


@pytest.mark.parametrize("action", ["message-edit", "message-delete"])
def test_nobody_changes_someone_elses_message(chat, owner, bob, private_root, action):
    attachment = attachment_in(chat, author=bob)
    url = reverse(f"chat:{action}", args=[attachment.message_id])
    client = signed_in(owner)
    before, files = state(), files_under(private_root)

    form = client.post(url, {"text": "Owned"})
    script = client.post(url, {"text": "Owned"}, **AS_SCRIPT)

    assert form.status_code == 403
    assert script.status_code == 403
    assert script.json() == {"errors": ["Only the author can change a message."]}
    assert state() == before
    assert files_under(private_root) == files


def test_a_deleted_message_vanishes_for_everyone(chat, owner, bob, private_root, django_capture_on_commit_callbacks):
    client = signed_in(bob)
    client.post(send_url(chat), {"text": "secret words", "file": uploaded("secret.txt", b"s3cret")})
    message = Message.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("chat:message-delete", args=[message.pk]), **AS_SCRIPT)

    assert response.status_code == 200
    assert "Message deleted" in response.json()["html"]
    for viewer in (owner, bob):
        html = signed_in(viewer).get(detail(chat)).content.decode()
        assert "secret" not in html
        assert "Message deleted" in html
        assert reverse("chat:message-edit", args=[message.pk]) not in html
    assert files_under(private_root) == []
    assert client.post(reverse("chat:message-delete", args=[message.pk])).status_code == 404


def test_editing_needs_post_and_opening_the_delete_address_only_asks(chat, bob):
    message = services.message_send(chat=chat, author=bob, text="Hello")
    client = signed_in(bob)

    assert client.get(reverse("chat:message-edit", args=[message.pk])).status_code == 405
    response = client.get(reverse("chat:message-delete", args=[message.pk]))
    assert response.status_code == 200
    assert "Delete the message?" in response.content.decode()
    message.refresh_from_db()
    assert not message.is_deleted


# --- Polling ----------------------------------------------------------------------------------


def test_polling_returns_new_messages_and_marks_them_read(chat, owner, bob):
    first = services.message_send(chat=chat, author=owner, text="first")
    client = signed_in(bob)
    client.get(detail(chat))
    second = services.message_send(chat=chat, author=owner, text="second")
    third = services.message_send(chat=chat, author=owner, text="third")

    data = client.get(poll_url(chat), {"after": first.pk}).json()

    assert [item["id"] for item in data["messages"]] == [second.pk, third.pk]
    assert "third" in data["messages"][1]["html"]
    assert data["changed"] == []
    assert Membership.objects.get(chat=chat, user=bob).last_read_id == third.pk
    assert client.get(poll_url(chat), {"after": third.pk}).json()["messages"] == []


def test_polling_returns_messages_edited_or_deleted_since_the_last_poll(chat, owner, bob):
    kept, edited, deleted = (services.message_send(chat=chat, author=owner, text=t) for t in ("a", "b", "c"))
    since = (timezone.now() - timedelta(milliseconds=1)).isoformat()
    services.message_edit(message_id=edited.pk, user=owner, text="b, better")
    services.message_delete(message_id=deleted.pk, user=owner)

    data = signed_in(bob).get(poll_url(chat), {"after": deleted.pk, "since": since}).json()

    assert data["messages"] == []
    assert [item["id"] for item in data["changed"]] == [edited.pk, deleted.pk]
    assert "b, better" in data["changed"][0]["html"] and "(edited)" in data["changed"][0]["html"]
    assert "Message deleted" in data["changed"][1]["html"]
    assert kept.pk not in [item["id"] for item in data["changed"]]


def test_an_edit_committed_just_after_a_poll_answer_is_not_missed(chat, owner, bob):
    message = services.message_send(chat=chat, author=owner, text="a")
    client = signed_in(bob)
    first = client.get(poll_url(chat), {"after": message.pk, "since": timezone.now().isoformat()}).json()
    # An edit saved (its time taken) a moment before that answer, but committed only after it.
    services.message_edit(message_id=message.pk, user=owner, text="b")
    Message.objects.filter(pk=message.pk).update(changed_at=timezone.now() - timedelta(milliseconds=500))

    second = client.get(poll_url(chat), {"after": message.pk, "since": first["since"]}).json()

    assert [item["id"] for item in second["changed"]] == [message.pk]


def test_the_chat_page_hands_its_moment_and_newest_id_to_the_poller(chat, owner, bob):
    message = services.message_send(chat=chat, author=owner, text="a")

    response = signed_in(bob).get(detail(chat))

    assert f'data-after="{message.pk}"'.encode() in response.content
    since = response.context["since"]
    assert f'data-since="{since}"'.encode() in response.content
    assert timezone.now() - timedelta(seconds=3) < datetime.fromisoformat(since) < timezone.now()
    assert b'data-live="1"' in response.content


@pytest.mark.parametrize(
    "params",
    [
        {"after": "abc"},
        {"after": "-1"},
        {"after": "²"},
        {"after": "1.5"},
        {"after": "9" * 40},
        {"after": ""},
        {"after": "0", "since": "yesterday"},
        {"after": "0", "since": "2026-02-30T10:00:00+00:00"},
        {"after": "0", "since": "2026-13-01T10:00:00"},
    ],
)
def test_bad_polling_parameters_are_a_400(chat, owner, bob, params):
    services.message_send(chat=chat, author=owner, text="a")
    before = state()

    response = signed_in(bob).get(poll_url(chat), params)

    assert response.status_code == 400
    assert response.json() == {"errors": ["Bad polling parameters."]}
    assert state() == before


def test_a_naive_since_is_accepted(chat, bob):
    response = signed_in(bob).get(poll_url(chat), {"after": "0", "since": "2026-01-01T10:00:00"})

    assert response.status_code == 200


def test_a_long_absence_is_caught_up_a_page_per_poll(chat, owner, bob, settings):
    settings.CHAT_PAGE_SIZE = 3
    messages = [services.message_send(chat=chat, author=owner, text=f"n{n}") for n in range(5)]
    client = signed_in(bob)

    first = client.get(poll_url(chat), {"after": 0}).json()
    assert [item["id"] for item in first["messages"]] == [m.pk for m in messages[:3]]
    assert Membership.objects.get(chat=chat, user=bob).last_read_id == messages[2].pk

    second = client.get(poll_url(chat), {"after": messages[2].pk}).json()
    assert [item["id"] for item in second["messages"]] == [m.pk for m in messages[3:]]


def test_many_changes_are_caught_up_a_page_per_poll(chat, owner, bob, settings):
    settings.CHAT_PAGE_SIZE = 3
    since = (timezone.now() - timedelta(minutes=1)).isoformat()
    messages = [services.message_send(chat=chat, author=owner, text=f"n{n}") for n in range(5)]
    for message in messages:
        services.message_edit(message_id=message.pk, user=owner, text=f"{message.text}, edited")
    client = signed_in(bob)

    first = client.get(poll_url(chat), {"after": messages[-1].pk, "since": since}).json()
    assert [item["id"] for item in first["changed"]] == [m.pk for m in messages[:3]]

    second = client.get(poll_url(chat), {"after": messages[-1].pk, "since": first["since"]}).json()
    assert [item["id"] for item in second["changed"]] == [m.pk for m in messages[3:]]


def test_unread_counts_stay_right_across_two_tabs(chat, owner, bob):
    """Two tabs of the same user: the poll of the older tab never un-reads what the newer tab read."""
    first = services.message_send(chat=chat, author=owner, text="one")
    old_tab, new_tab = signed_in(bob), signed_in(bob)
    old_tab.get(detail(chat))  # the old tab has seen "one"
    later = [services.message_send(chat=chat, author=owner, text=t) for t in ("two", "three", "four")]

    new_tab.get(detail(chat))  # the new tab shows everything
    assert Membership.objects.get(chat=chat, user=bob).last_read_id == later[-1].pk

    # The old tab polls with what it knew, and a stale answer must not move the mark back.
    old_tab.get(poll_url(chat), {"after": first.pk})
    services.chat_mark_read(chat=chat, user=bob, up_to=first.pk)
    assert Membership.objects.get(chat=chat, user=bob).last_read_id == later[-1].pk
    assert [c.unread for c in new_tab.get(LIST).context["chats"]] == [0]

    # A new message is unread in both until either tab shows it.
    fifth = services.message_send(chat=chat, author=owner, text="five")
    assert [c.unread for c in old_tab.get(LIST).context["chats"]] == [1]
    old_tab.get(poll_url(chat), {"after": later[-1].pk})
    assert Membership.objects.get(chat=chat, user=bob).last_read_id == fifth.pk
    assert [c.unread for c in new_tab.get(LIST).context["chats"]] == [0]


def test_polling_without_news_changes_nothing(chat, owner, bob):
    message = services.message_send(chat=chat, author=owner, text="a")
    client = signed_in(bob)
    client.get(detail(chat))
    before = state()

    data = client.get(poll_url(chat), {"after": message.pk, "since": timezone.now().isoformat()}).json()

    assert data["messages"] == [] and data["changed"] == []
    assert state() == before


# --- The edit page: members, rename, leave, delete --------------------------------------------


def test_the_edit_page_lists_members_with_links_to_their_profiles(chat, owner, bob):
    html = signed_in(bob).get(edit_url(chat)).content.decode()

    for name in ("owner", "bob"):
        assert reverse("accounts:public-profile", args=[name]) in html
    assert 'id="delete-chat"' not in html  # only the owner deletes
    assert 'value="remove"' not in html  # only the owner removes


def test_the_owner_sees_remove_and_delete(chat, owner, bob):
    html = signed_in(owner).get(edit_url(chat)).content.decode()

    assert 'id="delete-chat"' in html
    assert f'name="user" value="{bob.pk}"' in html
    assert f'name="user" value="{owner.pk}"' not in html


def test_any_member_adds_people_by_username(chat, bob, carol):
    UserFactory(username="dave")

    response = signed_in(bob).post(edit_url(chat), {"action": "add", "usernames": "carol, dave, owner"})

    assert response.status_code == 302 and response.url == edit_url(chat)
    assert flashes(response) == ["Added: carol, dave."]
    assert set(roles(chat)) == {"owner", "bob", "carol", "dave"}


def test_adding_unknown_usernames_names_them_and_adds_nobody(chat, bob, carol):
    before = state()

    response = signed_in(bob).post(edit_url(chat), {"action": "add", "usernames": "carol ghost phantom"})

    assert flashes(response) == ["Unknown usernames: ghost, phantom."]
    assert state() == before


def test_the_owner_removes_a_member(chat, owner, bob):
    response = signed_in(owner).post(edit_url(chat), {"action": "remove", "user": bob.pk})

    assert response.status_code == 302
    assert flashes(response) == ["bob was removed from the chat."]
    assert roles(chat) == {"owner": "owner"}


def test_a_member_cannot_remove_anybody(chat, owner, bob, carol):
    Membership.objects.create(chat=chat, user=carol)
    before = state()

    for target in (carol, owner):
        response = signed_in(bob).post(edit_url(chat), {"action": "remove", "user": target.pk})
        assert response.status_code == 403

    assert state() == before


@pytest.mark.parametrize("user", ["", "abc", "²", "999999"])
def test_removing_a_bad_user_id_is_explained(chat, owner, user):
    before = state()

    response = signed_in(owner).post(edit_url(chat), {"action": "remove", "user": user})

    assert response.status_code == 302
    assert flashes(response) == ["This user is not a member of the chat."]
    assert state() == before


def test_any_member_renames_the_chat(chat, bob):
    response = signed_in(bob).post(edit_url(chat), {"action": "rename", "title": " Renamed "})

    chat.refresh_from_db()
    assert chat.title == "Renamed"
    assert flashes(response) == ["The chat is renamed."]


def test_a_bad_rename_is_explained_and_changes_nothing(chat, bob):
    response = signed_in(bob).post(edit_url(chat), {"action": "rename", "title": ""})

    chat.refresh_from_db()
    assert chat.title == "Team"
    assert flashes(response) == ["Give the chat a title."]


def test_an_unknown_action_is_explained(chat, bob):
    before = state()

    response = signed_in(bob).post(edit_url(chat), {"action": "explode"})

    assert flashes(response) == ["Unknown action."]
    assert state() == before


def test_a_member_leaves_and_loses_access(chat, bob):
    client = signed_in(bob)

    response = client.post(edit_url(chat), {"action": "leave"})

    assert response.status_code == 302 and response.url == LIST
    assert flashes(response) == ["You left “Team”."]
    assert client.get(detail(chat)).status_code == 404
    assert roles(chat) == {"owner": "owner"}


def test_the_owner_leaving_passes_the_chat_on(chat, owner, bob, carol):
    Membership.objects.create(chat=chat, user=carol)
    Membership.objects.filter(chat=chat, user=carol).update(joined_at=timezone.now() - timedelta(days=1))

    signed_in(owner).post(edit_url(chat), {"action": "leave"})

    assert roles(chat) == {"carol": "owner", "bob": "member"}
    assert 'id="delete-chat"' in signed_in(carol).get(edit_url(chat)).content.decode()


def test_the_last_member_leaving_deletes_the_chat(owner, private_root, django_capture_on_commit_callbacks):
    chat = ChatFactory(created_by=owner)
    attachment_in(chat)

    with django_capture_on_commit_callbacks(execute=True):
        signed_in(owner).post(edit_url(chat), {"action": "leave"})

    assert not Chat.objects.exists()
    assert files_under(private_root) == []


def test_the_owner_deletes_the_chat_and_its_files(chat, owner, bob, private_root, django_capture_on_commit_callbacks):
    attachment = attachment_in(chat, author=bob)

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(owner).post(edit_url(chat), {"action": "delete"})

    assert response.status_code == 302 and response.url == LIST
    assert flashes(response) == ["The chat “Team” is deleted."]
    assert not Chat.objects.exists()
    assert files_under(private_root) == []
    assert download(signed_in(bob), attachment).status_code == 404


def test_a_member_cannot_delete_the_chat(chat, bob, private_root):
    attachment_in(chat)
    before, files = state(), files_under(private_root)

    response = signed_in(bob).post(edit_url(chat), {"action": "delete"})

    assert response.status_code == 403
    assert state() == before
    assert files_under(private_root) == files


# --- Account deletion -------------------------------------------------------------------------


def test_a_deleted_accounts_messages_show_a_deleted_user(
    chat, owner, bob, password, private_root, django_capture_on_commit_callbacks
):
    client = signed_in(bob)
    client.post(send_url(chat), {"text": "my last words"})
    client.post(send_url(chat), {"file": uploaded("only-a-file.txt", b"data")})

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:delete"), {"password": password, "confirm": "on"})

    assert response.status_code == 302
    html = signed_in(owner).get(detail(chat)).content.decode()
    assert "my last words" in html
    assert html.count("deleted user") == 2
    assert "File removed" in html
    assert "only-a-file.txt" not in html
    assert files_under(private_root) == []
    assert "deleted user: <em>file removed</em>" in signed_in(owner).get(LIST).content.decode()


# --- Queries ----------------------------------------------------------------------------------


def _fill_chats(user, count: int) -> None:
    others = UserFactory.create_batch(2)
    for number in range(count):
        chat = ChatFactory(created_by=others[number % 2], members=[user, others[(number + 1) % 2]])
        MessageFactory(chat=chat, author=others[0])
        attachment_in(chat, author=others[1])


@pytest.mark.parametrize("count", [3, 30])
def test_the_chat_list_costs_the_same_queries_whatever_the_number_of_chats(owner, count, django_assert_max_num_queries):
    _fill_chats(owner, count)
    client = signed_in(owner)
    client.get(LIST)  # the session's device use is noted once, by its first request: measure after it

    with django_assert_max_num_queries(4):  # session, user, the page count, the chats with everything shown
        response = client.get(LIST)

    assert len(response.context["chats"]) == count


def _fill_messages(chat, authors, count: int) -> None:
    for number in range(count):
        if number % 5 == 0:
            attachment_in(chat, author=authors[number % 2])
        else:
            MessageFactory(chat=chat, author=authors[number % 2])


@pytest.mark.parametrize("count", [5, 60])
def test_the_chat_page_costs_the_same_queries_whatever_the_number_of_messages(
    chat, owner, bob, count, django_assert_max_num_queries
):
    _fill_messages(chat, [owner, bob], count)
    MessageFactory(chat=chat, author=None, text="from a deleted account")
    client = signed_in(bob)
    client.get(LIST)  # the session's device use is noted once, by its first request: measure after it

    # session, user, the chat, the messages with their authors, their files, the read mark
    with django_assert_max_num_queries(6):
        response = client.get(detail(chat))

    assert len(response.context["page"]) == min(count + 1, 50)


@pytest.mark.parametrize("count", [5, 60])
def test_a_poll_costs_the_same_queries_whatever_the_number_of_news(
    chat, owner, bob, count, django_assert_max_num_queries
):
    client = signed_in(bob)
    client.get(detail(chat))
    since = timezone.now().isoformat()
    _fill_messages(chat, [owner, bob], 2 * count)
    seen = Message.objects.order_by("id")[count - 1]  # the client has the first half: changed since, for it

    # session, user, the chat, new messages and their files, changed ones and their files, the read mark
    with django_assert_max_num_queries(8):
        response = client.get(poll_url(chat), {"after": seen.pk, "since": since})

    assert len(response.json()["messages"]) == min(count, 50)
    assert len(response.json()["changed"]) == min(count, 50)


def test_the_edit_page_costs_the_same_queries_whatever_the_number_of_members(
    chat, owner, django_assert_max_num_queries
):
    for user in UserFactory.create_batch(20):
        Membership.objects.create(chat=chat, user=user)
    client = signed_in(owner)
    client.get(LIST)  # the session's device use is noted once, by its first request: measure after it

    with django_assert_max_num_queries(4):  # session, user, the chat, the members
        response = client.get(edit_url(chat))

    assert response.content.decode().count('class="list-group-item') == 22


# --- Escaping and CSRF ------------------------------------------------------------------------


def test_titles_names_and_texts_are_escaped_everywhere(owner, bob):
    client = signed_in(owner)
    response = client.post(CREATE, {"title": "<b>bold</b>", "members": "bob"})
    chat = Chat.objects.get()
    client.post(send_url(chat), {"text": "<img src=x onerror=alert(1)>"})
    services.message_send(chat=chat, author=bob, uploads=[uploaded("<i>x</i>.txt")])

    pages = [client.get(response.url), client.get(LIST), client.get(edit_url(chat)), client.get(detail(chat))]

    for page in pages:
        html = page.content.decode()
        assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html
        assert "<img src=x" not in html
        assert "<i>x</i>" not in html


def test_forms_need_the_csrf_token(chat, bob):
    client = Client(enforce_csrf_checks=True)
    client.force_login(bob)
    before = state()

    for url, data in [
        (send_url(chat), {"text": "hi"}),
        (edit_url(chat), {"action": "rename", "title": "Forged"}),
        (CREATE, {"title": "Forged", "members": ""}),
    ]:
        assert client.post(url, data).status_code == 403

    assert state() == before
    assert b"csrfmiddlewaretoken" in client.get(detail(chat)).content


def test_the_chat_list_is_paginated(client):
    from chat import views

    owner = UserFactory()
    for _number in range(views.CHATS_PER_PAGE + 2):
        ChatFactory(created_by=owner)
    client.force_login(owner)
    first = client.get(LIST)
    second = client.get(LIST, {"page": 2})
    assert len(first.context["chats"]) == views.CHATS_PER_PAGE
    assert len(second.context["chats"]) == 2
    assert "page=2" in first.content.decode()


# --- NUL characters (no database column stores them) ------------------------------------------

NUL_ERROR = "Null characters are not allowed."


@pytest.mark.parametrize("field", ["title", "members"])
def test_a_nul_character_in_a_new_chat_is_a_form_error_and_nothing_is_created(owner, bob, field):
    data = {"title": "Trip", "members": "bob", field: "Tr\x00ip" if field == "title" else "bob\x00"}

    response = signed_in(owner).post(CREATE, data)

    assert response.status_code == 200
    assert NUL_ERROR in response.context["errors"]
    assert not Chat.objects.exists()


@pytest.mark.parametrize(
    ("action", "field"), [("rename", "title"), ("add", "usernames")], ids=["rename", "add members"]
)
def test_a_nul_character_on_the_edit_page_is_explained_and_changes_nothing(chat, bob, carol, action, field):
    before = state()

    response = signed_in(bob).post(edit_url(chat), {"action": action, field: "carol\x00"})

    assert response.status_code == 302
    assert flashes(response) == [NUL_ERROR]
    assert state() == before


@pytest.mark.parametrize("headers", [{}, AS_SCRIPT], ids=["form", "script"])
def test_a_nul_character_in_a_message_is_refused_and_nothing_is_sent(chat, bob, headers):
    before = state()

    response = signed_in(bob).post(send_url(chat), {"text": "hi\x00there"}, **headers)

    assert response.status_code == (400 if headers else 302)
    assert NUL_ERROR in (response.json()["errors"] if headers else flashes(response))
    assert state() == before


@pytest.mark.parametrize("headers", [{}, AS_SCRIPT], ids=["form", "script"])
def test_a_nul_character_in_an_edit_is_refused_and_the_message_stays(chat, bob, headers):
    message = services.message_send(chat=chat, author=bob, text="Hello")
    before = state()

    response = signed_in(bob).post(reverse("chat:message-edit", args=[message.pk]), {"text": "B\x00ye"}, **headers)

    assert response.status_code == (400 if headers else 302)
    assert NUL_ERROR in (response.json()["errors"] if headers else flashes(response))
    assert state() == before
