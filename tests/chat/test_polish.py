"""Issue #12, point 5: the messenger's polish on the server side — the people picker's wiring,
multi-line edits, the delete confirmation, safe links, image previews, avatars, several files per
message (web and API), no "Edit" for a file alone, and a script without text of its own."""

import io
import json
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import translation
from PIL import Image
from rest_framework.test import APIClient

from chat import demo, services
from chat.models import Attachment, Chat, Membership, Message
from chat.templatetags.chat_text import message_html
from tests.chat_factories import AS_SCRIPT, MessageFactory, files_under, signed_in, uploaded
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CHAT_JS = Path(django_settings.BASE_DIR) / "static" / "js" / "chat.js"


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path) -> Path:
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CHAT_ATTACHMENT_TYPES = ["txt", "png", "pdf", "jpg"]
    settings.CHAT_ATTACHMENT_MAX_MB = 1
    return settings.PRIVATE_MEDIA_ROOT


def png_bytes(size: tuple[int, int] = (8, 6)) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", size, "teal").save(output, format="PNG")
    return output.getvalue()


def state() -> tuple:
    return (
        list(Message.objects.order_by("id").values_list("id", "text", "is_deleted", "edited_at")),
        list(Attachment.objects.order_by("id").values_list("id", "file")),
    )


def bubble(html: str, message: Message) -> str:
    """The HTML of one message's bubble on a page."""
    start = html.index(f'id="message-{message.pk}"')
    ends = [html.find(marker, start) for marker in ('class="chat-message', 'class="card-footer"')]
    return html[start : min(end for end in ends if end != -1)]


# --- 1. People picker ---------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["create", "edit"])
def test_the_members_fields_are_people_pickers_over_the_user_search(chat, owner, page):
    url = reverse("chat:create") if page == "create" else reverse("chat:edit", args=[chat.pk])

    html = signed_in(owner).get(url).content.decode()

    picker = re.search(r"<div[^>]*data-people-picker[^>]*>", html)
    assert picker, html
    assert f'data-search-url="{reverse("api-users")}"' in picker.group(0)
    assert 'data-self="owner"' in picker.group(0)
    assert 'data-remove-label="Remove %(name)s"' in picker.group(0)
    assert 'data-empty-label="No one found"' in picker.group(0)
    # The field the form posts without JavaScript stays a plain usernames field.
    assert re.search(r'<input type="text" name="(members|usernames)"', html)
    assert "js/chat.js" in html


def test_the_add_members_picker_leaves_out_present_members(chat, owner):
    html = signed_in(owner).get(reverse("chat:edit", args=[chat.pk])).content.decode()

    exclude = re.search(r'data-exclude="([^"]*)"', html)
    assert exclude and set(exclude.group(1).split()) == {"owner", "bob"}


def test_the_pickers_search_answers_the_signed_in_page_with_names_and_avatars(owner, bob):
    response = signed_in(owner).get(reverse("api-users"), {"search": "bo"}, **AS_SCRIPT)

    assert response.status_code == 200
    (person,) = response.json()["results"]
    assert person["username"] == "bob"
    assert person["full_name"] == bob.get_full_name()
    assert person["avatar_url"] == bob.avatar_url


def test_usernames_chosen_with_the_picker_create_the_chat(owner, bob, carol):
    # The picker posts what it holds as "bob, carol": the same field as without JavaScript.
    response = signed_in(owner).post(reverse("chat:create"), {"title": "Trip", "members": "bob, carol"})

    chat = Chat.objects.get(title="Trip")
    assert response.status_code == 302
    assert set(chat.members.values_list("username", flat=True)) == {"owner", "bob", "carol"}


# --- 2. Enter sends -------------------------------------------------------------------------------


def test_the_composer_and_edit_boxes_send_on_enter_and_say_so(chat, bob):
    services.message_send(chat=chat, author=bob, text="Hello")

    html = signed_in(bob).get(reverse("chat:detail", args=[chat.pk])).content.decode()

    assert re.search(r'<textarea name="text"[^>]*id="message-text" data-enter-submits', html)
    assert re.search(r"<textarea[^>]*edit-text[^>]*data-enter-submits", html)
    assert "Enter sends, Shift+Enter starts a new line." in html


# --- 3. Line breaks --------------------------------------------------------------------------------


def test_the_edit_box_is_a_textarea_holding_every_line(chat, bob):
    message = services.message_send(chat=chat, author=bob, text="first line\nsecond <line>")

    html = bubble(signed_in(bob).get(reverse("chat:detail", args=[chat.pk])).content.decode(), message)

    assert "first line\nsecond &lt;line&gt;</textarea>" in html
    assert '<input type="text" name="text"' not in html
    assert '<div class="message-text">first line<br>second &lt;line&gt;</div>' in html


def test_an_edit_keeps_its_line_breaks_as_one_kind(chat, bob):
    message = services.message_send(chat=chat, author=bob, text="one line")

    response = signed_in(bob).post(
        reverse("chat:message-edit", args=[message.pk]), {"text": "line one\r\nline two\r\n\r\nline four"}, **AS_SCRIPT
    )

    message.refresh_from_db()
    assert message.text == "line one\nline two\n\nline four"
    assert "line one<br>line two<br><br>line four" in response.json()["html"]


def test_a_sent_message_keeps_its_line_breaks(chat, bob):
    signed_in(bob).post(reverse("chat:send", args=[chat.pk]), {"text": "  a\r\nb\rc  "})

    assert Message.objects.get().text == "a\nb\nc"


# --- 4. Delete confirmation -----------------------------------------------------------------------


def test_delete_is_a_link_to_a_confirmation_not_a_form_that_deletes(chat, bob):
    message = services.message_send(chat=chat, author=bob, text="Oops")
    delete_url = reverse("chat:message-delete", args=[message.pk])

    html = signed_in(bob).get(reverse("chat:detail", args=[chat.pk])).content.decode()

    assert f'<a href="{delete_url}" class="delete-link' in bubble(html, message)
    assert f'action="{delete_url}"' not in html
    # The page's dialog asks the same question.
    assert 'id="delete-dialog"' in html
    assert "Delete the message?" in html


def test_the_confirmation_page_shows_the_message_and_deletes_only_on_post(chat, bob):
    message = services.message_send(chat=chat, author=bob, text="Oops <b>bold</b>")
    client = signed_in(bob)
    url = reverse("chat:message-delete", args=[message.pk])

    page = client.get(url)

    assert page.status_code == 200
    html = page.content.decode()
    assert "Oops &lt;b&gt;bold&lt;/b&gt;" in html
    assert re.search(r'<form method="post" class="[^"]*" id="delete-message-form">', html)
    assert f'href="{reverse("chat:detail", args=[chat.pk])}#message-{message.pk}"' in html  # Cancel
    message.refresh_from_db()
    assert not message.is_deleted

    response = client.post(url)

    assert response.status_code == 302
    message.refresh_from_db()
    assert message.is_deleted


@pytest.mark.parametrize("who", ["owner", "carol"])
def test_nobody_else_gets_the_confirmation_page(chat, owner, bob, carol, who):
    message = services.message_send(chat=chat, author=bob, text="Mine")
    before = state()

    response = signed_in({"owner": owner, "carol": carol}[who]).get(reverse("chat:message-delete", args=[message.pk]))

    assert response.status_code == 404
    assert state() == before


def test_a_deleted_message_has_no_confirmation_page(chat, bob):
    message = services.message_send(chat=chat, author=bob, text="Gone")
    services.message_delete(message_id=message.pk, user=bob)

    assert signed_in(bob).get(reverse("chat:message-delete", args=[message.pk])).status_code == 404


# --- 5. Links ---------------------------------------------------------------------------------------


LINK = '<a href="{0}" rel="noopener noreferrer nofollow" target="_blank">{0}</a>'


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("see https://example.com/a?b=1&c=2", "see " + LINK.format("https://example.com/a?b=1&amp;c=2")),
        ("HTTP://EXAMPLE.COM", LINK.format("HTTP://EXAMPLE.COM")),
        ("go to http://example.com.", "go to " + LINK.format("http://example.com") + "."),
        ("(https://example.com/x)", "(" + LINK.format("https://example.com/x") + ")"),
        ("https://en.wikipedia.org/wiki/Foo_(bar)!", LINK.format("https://en.wikipedia.org/wiki/Foo_(bar)") + "!"),
        ("javascript:alert(1)", "javascript:alert(1)"),
        ("javascript://example.com/%0aalert(1)", "javascript://example.com/%0aalert(1)"),
        ("xhttps://example.com", "xhttps://example.com"),
        ("data:text/html,<script>x</script>", "data:text/html,&lt;script&gt;x&lt;/script&gt;"),
        ("www.example.com", "www.example.com"),
        ("https://", "https://"),
        (
            'https://example.com/"onmouseover="alert(1)',
            LINK.format("https://example.com/") + "&quot;onmouseover=&quot;alert(1)",
        ),
        ("https://a.b/<script>", LINK.format("https://a.b/") + "&lt;script&gt;"),
        ("<b>https://a.b</b>", "&lt;b&gt;" + LINK.format("https://a.b") + "&lt;/b&gt;"),
        ("one\ntwo https://a.b\r\nthree", "one<br>two " + LINK.format("https://a.b") + "<br>three"),
    ],
)
def test_only_http_addresses_become_links_and_everything_else_stays_escaped_text(text, html):
    assert message_html(text) == html


def test_a_link_in_a_message_reaches_the_page_and_the_poll_alike(chat, owner, bob):
    message = services.message_send(chat=chat, author=bob, text="Tickets: https://example.com/t?id=7 <script>")
    expected = LINK.format("https://example.com/t?id=7") + " &lt;script&gt;"

    page = signed_in(owner).get(reverse("chat:detail", args=[chat.pk])).content.decode()
    polled = signed_in(owner).get(reverse("chat:poll", args=[chat.pk]), {"after": 0}).json()

    assert expected in bubble(page, message)
    assert expected in polled["messages"][0]["html"]
    assert "<script>" not in polled["messages"][0]["html"]


# --- 6. Image previews ------------------------------------------------------------------------------


def test_an_image_shows_a_preview_that_opens_the_full_image(chat, owner, bob):
    message = services.message_send(chat=chat, author=bob, uploads=[uploaded("sea.png", png_bytes(), "image/png")])
    attachment = message.attachments.get()
    file_url = reverse("chat:attachment", args=[attachment.pk])

    html = bubble(signed_in(owner).get(reverse("chat:detail", args=[chat.pk])).content.decode(), message)

    assert f'<a href="{file_url}?inline=1" class="attachment-preview" target="_blank"' in html
    assert f'<img src="{file_url}?inline=1" alt="sea.png" class="attachment-thumb"' in html
    assert f'<a href="{file_url}" class="attachment-link">' in html  # the download stays


def test_other_files_show_no_preview(chat, bob):
    message = services.message_send(chat=chat, author=bob, uploads=[uploaded("notes.txt")])

    html = bubble(signed_in(bob).get(reverse("chat:detail", args=[chat.pk])).content.decode(), message)

    assert "attachment-preview" not in html
    assert "attachment-link" in html


def test_an_inline_image_is_served_as_an_image_that_can_run_nothing(chat, owner, bob):
    content = png_bytes()
    message = services.message_send(chat=chat, author=bob, uploads=[uploaded("sea.png", content, "text/html")])
    url = reverse("chat:attachment", args=[message.attachments.get().pk])

    response = signed_in(owner).get(url, {"inline": "1"})

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Type"] == "image/png"  # by the checked extension, not the client's word
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "script-src" not in response["Content-Security-Policy"]


def test_inline_does_not_show_other_files_in_the_browser(chat, owner, bob):
    message = services.message_send(chat=chat, author=bob, uploads=[uploaded("page.txt", b"<script>1</script>")])

    response = signed_in(owner).get(reverse("chat:attachment", args=[message.attachments.get().pk]), {"inline": "1"})

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")


def test_a_non_member_gets_no_inline_image(chat, bob, carol):
    message = services.message_send(chat=chat, author=bob, uploads=[uploaded("sea.png", png_bytes(), "image/png")])

    response = signed_in(carol).get(reverse("chat:attachment", args=[message.attachments.get().pk]), {"inline": "1"})

    assert response.status_code == 404


# --- 7. Avatars -------------------------------------------------------------------------------------


def test_every_message_shows_its_authors_avatar(chat, owner, bob):
    bob.bundled_avatar = "avatar-2.png"
    bob.save(update_fields=["bundled_avatar"])
    mine = services.message_send(chat=chat, author=owner, text="Hi")
    theirs = services.message_send(chat=chat, author=bob, text="Hello")

    html = signed_in(owner).get(reverse("chat:detail", args=[chat.pk])).content.decode()

    assert f'<img src="{owner.avatar_url}" alt="" class="avatar message-avatar"' in bubble(html, mine)
    assert f'<img src="{bob.avatar_url}" alt="" class="avatar message-avatar"' in bubble(html, theirs)
    assert "avatar-2.png" in bob.avatar_url


def test_a_deleted_accounts_message_shows_a_blank_avatar(chat, owner, bob):
    message = MessageFactory(chat=chat, author=bob, text="bye")
    Message.objects.filter(pk=message.pk).update(author=None)

    html = bubble(signed_in(owner).get(reverse("chat:detail", args=[chat.pk])).content.decode(), message)

    assert 'class="avatar message-avatar avatar-gone"' in html
    assert "<img" not in html


# --- 8. Several files per message -----------------------------------------------------------------


def test_several_files_go_with_one_message_from_the_page(chat, bob, private_root):
    response = signed_in(bob).post(
        reverse("chat:send", args=[chat.pk]),
        {"text": "Both", "file": [uploaded("a.txt", b"one"), uploaded("b.png", png_bytes(), "image/png")]},
        **AS_SCRIPT,
    )

    assert response.status_code == 201
    message = Message.objects.get()
    assert list(message.attachments.values_list("original_name", flat=True)) == ["a.txt", "b.png"]
    assert len(files_under(private_root)) == 2
    assert response.json()["html"].count('class="attachment-link"') == 2


def test_the_file_input_takes_several_files_and_states_the_limits(chat, bob, settings):
    settings.CHAT_ATTACHMENTS_PER_MESSAGE = 4

    html = signed_in(bob).get(reverse("chat:detail", args=[chat.pk])).content.decode()

    assert re.search(r'<input type="file" name="file" multiple', html)
    assert 'data-max-files="4"' in html
    assert "up to 1 MB per file, 4 files per message" in html


def test_one_bad_file_among_good_ones_is_named_and_nothing_is_stored(chat, bob, private_root):
    before = state()

    response = signed_in(bob).post(
        reverse("chat:send", args=[chat.pk]),
        {"text": "x", "file": [uploaded("a.txt"), uploaded("setup.exe", b"MZ"), uploaded("empty.txt", b"")]},
        **AS_SCRIPT,
    )

    assert response.status_code == 400
    assert response.json()["errors"] == [
        "setup.exe: Files of this type are not allowed. Allowed: txt, png, pdf, jpg.",
        "empty.txt: The file is empty.",
    ]
    assert state() == before
    assert files_under(private_root) == []


def test_more_files_than_the_limit_are_refused_before_any_is_stored(chat, bob, private_root, settings):
    settings.CHAT_ATTACHMENTS_PER_MESSAGE = 2
    before = state()

    with pytest.raises(services.ValidationError) as error:
        services.message_send(chat=chat, author=bob, uploads=[uploaded(f"{n}.txt") for n in range(3)])

    assert error.value.messages == ["A message may carry at most 2 files."]
    assert state() == before
    assert files_under(private_root) == []


def test_the_limit_itself_is_allowed_and_one_more_refused(chat, bob, settings):
    settings.CHAT_ATTACHMENTS_PER_MESSAGE = 10  # the default in config/settings/base.py

    message = services.message_send(chat=chat, author=bob, uploads=[uploaded(f"{n}.txt") for n in range(10)])
    assert message.attachments.count() == 10
    with pytest.raises(services.ValidationError):
        services.message_send(chat=chat, author=bob, uploads=[uploaded(f"{n}.txt") for n in range(11)])


def test_a_failure_while_storing_the_second_file_removes_the_first(chat, bob, private_root, monkeypatch):
    real_save = Attachment.file.field.storage.save
    calls = []

    def failing_save(name, content, max_length=None):
        calls.append(name)
        if len(calls) == 2:
            raise OSError("disk full")
        return real_save(name, content, max_length=max_length)

    monkeypatch.setattr(Attachment.file.field.storage, "save", failing_save)

    with pytest.raises(OSError):
        services.message_send(chat=chat, author=bob, uploads=[uploaded("a.txt"), uploaded("b.txt")])

    assert not Message.objects.exists()
    assert files_under(private_root) == []


def api_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize(
    "files",
    [
        {"file": [uploaded("a.txt"), uploaded("b.txt")]},
        {"files": [uploaded("a.txt"), uploaded("b.txt")]},
        {"file": [uploaded("a.txt")], "files": [uploaded("b.txt")]},
    ],
    ids=["file-repeated", "files", "both"],
)
def test_the_api_takes_several_files_per_message(chat, bob, files):
    response = api_client(bob).post("/api/messages/", {"chat": chat.pk, "text": "two", **files}, format="multipart")

    assert response.status_code == 201, response.content
    assert [item["original_name"] for item in response.json()["attachments"]] == ["a.txt", "b.txt"]


def test_the_api_still_takes_one_file(chat, bob):
    response = api_client(bob).post("/api/messages/", {"chat": chat.pk, "file": uploaded("a.txt")}, format="multipart")

    assert response.status_code == 201
    assert len(response.json()["attachments"]) == 1


def test_the_api_refuses_a_bad_file_among_several_and_stores_nothing(chat, bob, private_root):
    before = state()

    response = api_client(bob).post(
        "/api/messages/",
        {"chat": chat.pk, "files": [uploaded("a.txt"), uploaded("fake.png", b"<svg/>", "image/png")]},
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json()["errors"]["file"] == ["fake.png: This file is not a valid image."]
    assert state() == before
    assert files_under(private_root) == []


def test_the_api_refuses_too_many_files(chat, bob, settings):
    settings.CHAT_ATTACHMENTS_PER_MESSAGE = 1

    response = api_client(bob).post(
        "/api/messages/", {"chat": chat.pk, "file": [uploaded("a.txt"), uploaded("b.txt")]}, format="multipart"
    )

    assert response.status_code == 400
    assert response.json()["errors"]["file"] == ["A message may carry at most 1 file."]
    assert not Message.objects.exists()


# --- 9. No "Edit" for a file alone ----------------------------------------------------------------


def test_a_message_of_only_a_file_offers_delete_but_no_edit(chat, bob):
    only_file = services.message_send(chat=chat, author=bob, uploads=[uploaded("a.txt")])
    with_text = services.message_send(chat=chat, author=bob, text="Caption", uploads=[uploaded("b.txt")])

    html = signed_in(bob).get(reverse("chat:detail", args=[chat.pk])).content.decode()

    assert "edit-form" not in bubble(html, only_file)
    assert "delete-link" in bubble(html, only_file)
    assert "edit-form" in bubble(html, with_text)


# --- 10. The script's text comes from the page ------------------------------------------------------


def test_the_chat_page_hands_the_script_its_translated_messages(chat, bob, settings):
    settings.CHAT_ATTACHMENTS_PER_MESSAGE = 3

    html = signed_in(bob).get(reverse("chat:detail", args=[chat.pk])).content.decode()

    found = re.search(r'<script id="chat-strings" type="application/json">(.*?)</script>', html)
    assert found
    strings = json.loads(found.group(1))
    assert strings["tooLarge"] == "The file is too large: at most 1 MB."
    assert strings["tooMany"] == "A message may carry at most 3 files."
    assert set(strings) == {"tooLarge", "tooMany", "named", "network", "failed"}


def test_the_chat_script_holds_no_english_sentences():
    source = CHAT_JS.read_text(encoding="utf-8")
    code = re.sub(r"^\s*//.*$", "", source, flags=re.MULTILINE)
    literals = re.findall(r'"((?:[^"\\]|\\.)*)"', code)

    # Sentences start with a capital ("Network error"); class lists and "use strict" do not.
    prose = [text for text in literals if re.search(r"\b[A-Z][a-z]+ [a-z]+", text) or "MB" in text]
    assert prose == []


def test_the_scripts_messages_and_the_picker_are_in_russian(chat, bob):
    client = signed_in(bob)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "ru"

    with translation.override("ru"):
        html = client.get(reverse("chat:detail", args=[chat.pk]), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
        form = client.get(reverse("chat:create"), HTTP_ACCEPT_LANGUAGE="ru").content.decode()

    strings = json.loads(re.search(r'<script id="chat-strings" type="application/json">(.*?)</script>', html).group(1))
    assert strings["network"] == "Сообщение не отправлено: нет связи. Попробуйте ещё раз."
    assert 'data-empty-label="Никто не найден"' in form
    assert "до 1 МБ на файл, 10 файлов в сообщении" in html
    assert "Удалить сообщение?" in html
    assert Membership.objects.filter(chat=chat, user=bob).exists()


def test_the_demo_chat_shows_lines_a_link_and_an_image(private_root):
    for name in ("alice", "bob", "carol", "manager"):
        UserFactory(username=name)

    demo.fill(scale=1, stdout=io.StringIO())

    message = Message.objects.get(attachments__original_name="lake.png")
    assert "\n" in message.text and "https://" in message.text
    with Image.open(message.attachments.get().file.path) as image:
        assert image.size == (480, 320)
