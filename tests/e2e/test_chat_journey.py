"""The messenger in real browsers: two people chat live (attachment, edit, delete), a third sees nothing.

A (the ``page`` fixture) and B (a second browser context) each keep the chat page open; what one
does must reach the other by polling, without a reload, within about two seconds. C, a third
context, is not a member and gets 404 for everything of the chat.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from chat.models import Attachment, Chat, Membership, Message
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.e2e

LIVE_MS = 4_000  # a poll every 1.5 s: "within 2 s" plus room for a slow machine
NO_RELOAD = "window.__noReload === true"


def log_in_with_the_form(page, user) -> None:
    page.locator("#id_login").fill(user.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#login-form button[type=submit]").click()


def message_bubble(page, text: str):
    """The bubble of the message whose text (or tombstone) contains ``text``."""
    return page.locator("#messages .chat-message").filter(has_text=text)


def send(page, text: str, file: Path | None = None) -> None:
    page.locator("#message-text").fill(text)
    if file is not None:
        page.locator("#message-file").set_input_files(file)
    page.locator("#send-button").click()


def stored_files() -> set[Path]:
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    return {path for path in root.rglob("*") if path.is_file()} if root.exists() else set()


def mark_no_reload(page) -> None:
    """A flag on ``window``: a reload or a navigation would drop it."""
    page.evaluate("window.__noReload = true")


def test_two_people_chat_live_with_an_attachment_edit_and_delete_and_a_stranger_sees_nothing(
    page, server_url, shot, other_page, console_errors, tmp_path
):
    alice = UserFactory(username="alice", first_name="Alice", last_name="Smirnova")
    bob = UserFactory(username="bob", first_name="Bob", last_name="Orlov")
    carol = UserFactory(username="carol", first_name="Carol", last_name="Kuznetsova")
    plan = tmp_path / "saturday-plan.txt"
    plan_text = "Saturday:\n09:40 train from Central\n12:00 picnic by the lake\n"
    plan.write_text(plan_text, encoding="utf-8")

    # A logs in with the form and starts from an empty chat list.
    page.goto(f"{server_url}/chat/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=(/|%2F)chat(/|%2F)$"))
    log_in_with_the_form(page, alice)
    expect(page).to_have_url(f"{server_url}/chat/")
    expect(page.locator("#no-chats")).to_contain_text("You have no chats yet.")
    shot("01-a-no-chats")

    # B has no chats either.
    page_b = other_page(bob, "b")
    page_b.goto(f"{server_url}/chat/")
    expect(page_b.locator("#no-chats")).to_be_visible()
    shot("02-b-no-chats", of=page_b)

    # A adds a chat with B; A becomes its owner and lands on the empty chat page.
    page.locator("#add-chat").click()
    expect(page).to_have_url(f"{server_url}/chat/new/")
    page.locator("#id_title").fill("Weekend trip")
    page.locator("#id_members-search").fill("bob")
    page.locator(".picker-option", has_text="bob").click()
    expect(page.locator(".picker-chip")).to_have_text("bob")
    shot("03-a-add-chat-form")
    page.locator("#chat-form button[type=submit]").click()
    chat = Chat.objects.get(title="Weekend trip")
    expect(page).to_have_url(f"{server_url}/chat/{chat.pk}/")
    expect(page.locator(".alert-success")).to_contain_text("The chat “Weekend trip” is created.")
    expect(page.locator("#chat-title")).to_have_text("Weekend trip")
    expect(page.locator("#no-messages")).to_have_text("No messages yet. Say hello!")
    shot("04-a-chat-created")
    assert dict(Membership.objects.filter(chat=chat).values_list("user__username", "role")) == {
        "alice": Membership.Role.OWNER,
        "bob": Membership.Role.MEMBER,
    }

    # B's list shows the chat after a reload, with nothing unread yet.
    page_b.reload()
    row_b = page_b.locator(f"#chat-list .chat-row[data-chat='{chat.pk}']")
    expect(row_b.locator(".chat-title")).to_have_text("Weekend trip")
    expect(row_b.locator(".chat-preview")).to_have_text("No messages yet")
    expect(row_b.locator(".unread-count")).to_have_count(0)
    shot("05-b-list-new-chat", of=page_b)

    # A writes twice: own bubbles, the form is emptied after each message.
    send(page, "Hi Bob! I'll send the plan in a minute.")
    expect(message_bubble(page, "I'll send the plan")).to_have_class(re.compile(r"\bown\b"))
    expect(page.locator("#message-text")).to_have_value("")
    send(page, "Oops, wrong chat")
    expect(message_bubble(page, "Oops, wrong chat")).to_be_visible()
    expect(page.locator("#no-messages")).to_have_count(0)
    greeting, oops = Message.objects.filter(chat=chat).order_by("id")

    # B's list, reloaded: two unread messages and the last one as the preview.
    page_b.reload()
    expect(row_b.locator(".unread-count")).to_have_text("2")
    expect(row_b.locator(".chat-preview")).to_have_text("alice: Oops, wrong chat")
    shot("06-b-list-unread", of=page_b)

    # B opens the chat: A's messages on the left, nothing unread any more.
    row_b.click()
    expect(page_b).to_have_url(f"{server_url}/chat/{chat.pk}/")
    expect(page_b.locator("#messages .chat-message")).to_have_count(2)
    expect(message_bubble(page_b, "I'll send the plan")).not_to_have_class(re.compile(r"\bown\b"))
    expect(message_bubble(page_b, "I'll send the plan").locator("summary")).to_have_count(0)  # not B's to edit
    assert Membership.objects.get(chat=chat, user=bob).last_read_id == oops.pk
    mark_no_reload(page_b)
    mark_no_reload(page)

    # B answers; A sees it arrive without a reload.
    send(page_b, "Great, waiting for it.")
    expect(message_bubble(page_b, "waiting for it")).to_have_class(re.compile(r"\bown\b"))
    expect(message_bubble(page, "waiting for it")).to_be_visible(timeout=LIVE_MS)
    expect(message_bubble(page, "waiting for it")).not_to_have_class(re.compile(r"\bown\b"))
    shot("07-b-replied", of=page_b)
    shot("08-a-sees-the-reply")

    # A sends the plan as an attachment (the upload progress bar may flash meanwhile).
    send(page, "Here is the plan.", plan)
    with_file = message_bubble(page, "Here is the plan.")
    expect(with_file.locator(".attachment-link")).to_have_text("saturday-plan.txt")
    expect(page.locator("#message-text")).to_have_value("")
    expect(page.locator("#message-file")).to_have_value("")
    expect(page.locator("#upload-progress")).to_be_hidden()
    expect(page.locator("#send-errors")).to_have_text("")
    shot("09-a-sent-attachment")
    attachment = Attachment.objects.get(message__chat=chat)
    assert attachment.original_name == "saturday-plan.txt"
    assert attachment.size == len(plan.read_bytes())
    assert Path(attachment.file.name).name != "saturday-plan.txt", "stored under a random name"

    # B sees it appear without a reload and downloads the file under its original name.
    received = message_bubble(page_b, "Here is the plan.")
    expect(received).to_be_visible(timeout=LIVE_MS)
    link = received.locator(".attachment-link")
    expect(link).to_have_text("saturday-plan.txt")
    expect(link).to_have_attribute("href", f"/chat/attachments/{attachment.pk}/")
    shot("10-b-received-attachment", of=page_b)
    with page_b.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == "saturday-plan.txt"
    assert Path(download.path()).read_text(encoding="utf-8") == plan_text

    # A edits the message with the file: the text changes, the file stays, an "edited" mark appears.
    with_file.locator("summary", has_text="Edit").click()
    edit_box = with_file.locator(".edit-form textarea[name=text]")
    expect(edit_box).to_have_value("Here is the plan.")
    edit_box.fill("Here is the plan (train at 09:40, not 10:10).")
    shot("11-a-editing")
    with_file.locator(".edit-form button[type=submit]").click()
    edited = message_bubble(page, "train at 09:40, not 10:10")
    expect(edited.locator(".edited-mark")).to_have_text("(edited)")
    expect(edited.locator(".attachment-link")).to_have_text("saturday-plan.txt")
    expect(edited.locator(".edit-form")).to_be_hidden()
    shot("12-a-edited")

    # B sees the new text and the mark without a reload.
    edited_b = message_bubble(page_b, "train at 09:40, not 10:10")
    expect(edited_b).to_be_visible(timeout=LIVE_MS)
    expect(edited_b.locator(".edited-mark")).to_have_text("(edited)")
    expect(edited_b.locator(".attachment-link")).to_have_text("saturday-plan.txt")
    expect(page_b.locator("#messages")).not_to_contain_text("Here is the plan.")
    shot("13-b-sees-the-edit", of=page_b)

    # A deletes the stray message: a tombstone for both, its text gone for everyone.
    message_bubble(page, "Oops, wrong chat").locator(".delete-link").click()
    expect(page.locator("#delete-dialog")).to_be_visible()
    page.locator("#delete-dialog-confirm").click()
    tombstone = page.locator(f"#message-{oops.pk}")
    expect(tombstone).to_have_text(re.compile(r"Message deleted"))
    expect(tombstone).to_have_class(re.compile(r"\bdeleted\b"))
    expect(page.locator("#messages")).not_to_contain_text("Oops, wrong chat")
    shot("14-a-deleted")
    tombstone_b = page_b.locator(f"#message-{oops.pk}")
    expect(tombstone_b).to_contain_text("Message deleted", timeout=LIVE_MS)
    expect(page_b.locator("#messages")).not_to_contain_text("Oops, wrong chat")
    expect(page_b.locator("#messages .chat-message")).to_have_count(4)
    shot("15-b-sees-the-deletion", of=page_b)
    oops.refresh_from_db()
    assert oops.is_deleted and oops.text == ""

    # Neither page was reloaded along the way.
    assert page.evaluate(NO_RELOAD) is True
    assert page_b.evaluate(NO_RELOAD) is True
    expect(page_b.locator("#messages .chat-message").first).to_contain_text(greeting.text)

    # A's edit page: both members, linked to their profiles, A marked as the owner.
    page.get_by_role("link", name="Members and settings").click()
    expect(page).to_have_url(f"{server_url}/chat/{chat.pk}/edit/")
    members = page.locator("#member-list .member")
    expect(members).to_have_count(2)
    expect(members.nth(0)).to_contain_text("@alice")
    expect(members.nth(0).locator(".badge")).to_have_text("owner")
    expect(members.nth(1)).to_contain_text("@bob")
    expect(members.nth(1).get_by_role("link", name="Orlov Bob")).to_have_attribute("href", re.compile(r"/bob/?$"))
    expect(members.nth(1).get_by_role("button", name="Remove")).to_be_visible()
    shot("16-a-edit-page")

    # B's list again: everything read, the edited message as the preview.
    page_b.get_by_role("link", name="All chats").click()
    expect(row_b.locator(".unread-count")).to_have_count(0)
    expect(row_b.locator(".chat-preview")).to_have_text("alice: Here is the plan (train at 09:40, not 10:10).")
    shot("17-b-list-all-read", of=page_b)

    # C, not a member: 404 for the chat, its edit page, its updates and its file; no chat in C's list.
    page_c = other_page(carol, "c", watch_console=False)
    response = page_c.goto(f"{server_url}/chat/{chat.pk}/")
    assert response.status == 404
    expect(page_c.locator("body")).not_to_contain_text("Weekend trip")
    shot("18-c-chat-404", of=page_c)
    for path in (f"/chat/{chat.pk}/edit/", f"/chat/{chat.pk}/poll/?after=0", f"/chat/attachments/{attachment.pk}/"):
        assert page_c.request.get(f"{server_url}{path}").status == 404, path
    response = page_c.goto(f"{server_url}/chat/attachments/{attachment.pk}/")
    assert response.status == 404
    expect(page_c.locator("body")).not_to_contain_text("09:40")
    shot("19-c-attachment-404", of=page_c)
    page_c.goto(f"{server_url}/chat/")
    expect(page_c.locator("#no-chats")).to_be_visible()

    assert console_errors == []


def test_unknown_usernames_and_a_forbidden_file_type_are_refused_and_an_edit_box_survives_polling(
    page, server_url, shot, log_in, console_errors, tmp_path
):
    alice = UserFactory(username="alice")
    UserFactory(username="bob")
    log_in(alice)

    # Two unknown usernames among a known one: both are named, no chat is made, the input is kept.
    page.goto(f"{server_url}/chat/new/")
    page.locator("#id_title").fill("Book club")
    # Names typed with commas become chips as they are (the server checks them).
    page.locator("#id_members-search").fill("bob, ghost, nobody42")
    page.locator("#chat-form button[type=submit]").click()
    expect(page).to_have_url(f"{server_url}/chat/new/")
    errors = page.locator("#chat-errors")
    expect(errors).to_contain_text("ghost")
    expect(errors).to_contain_text("nobody42")
    expect(errors).not_to_contain_text("bob")
    expect(page.locator("#id_title")).to_have_value("Book club")
    expect(page.locator("#id_members")).to_have_value("bob, ghost, nobody42")
    shot("01-unknown-usernames")
    assert not Chat.objects.exists()

    # With the typos removed the chat is made.
    for name in ("ghost", "nobody42"):
        page.get_by_role("button", name=f"Remove {name}").click()
    expect(page.locator("#id_members")).to_have_value("bob")
    page.locator("#chat-form button[type=submit]").click()
    chat = Chat.objects.get(title="Book club")
    expect(page).to_have_url(f"{server_url}/chat/{chat.pk}/")

    # A program is refused with a clear message; nothing is posted, stored or shown.
    files_before = stored_files()
    program = tmp_path / "setup.exe"
    program.write_bytes(b"MZ\x90\x00" + b"\x00" * 60)
    send(page, "Install this", program)
    expect(page.locator("#send-errors")).to_have_text(
        re.compile(r"Files of this type are not allowed\. Allowed: txt, pdf, png, .*zip\.")
    )
    expect(page.locator("#upload-progress")).to_be_hidden()
    expect(page.locator("#no-messages")).to_be_visible()
    expect(page.locator("#messages .chat-message")).to_have_count(0)
    expect(page.locator("#message-text")).to_have_value("Install this")  # kept, to send without the file
    shot("02-forbidden-file-type")
    assert not Message.objects.exists()
    assert not Attachment.objects.exists()
    # Other test processes may store files meanwhile: look for this one's bytes among the new ones.
    assert not [path for path in stored_files() - files_before if path.read_bytes() == program.read_bytes()]

    # The browser only reports the refused upload itself (HTTP 400) as an error.
    assert all("status of 400" in error for error in console_errors), console_errors
    console_errors.clear()

    # Nothing shows after a reload either.
    page.reload()
    expect(page.locator("#no-messages")).to_be_visible()

    # Without the file the text goes. Its edit box, opened at once, survives the next polls
    # (which bring the new message back as "changed") and saves.
    page.locator("#message-file").set_input_files([])
    send(page, "Hello")
    hello = message_bubble(page, "Hello")
    hello.locator("summary", has_text="Edit").click()
    hello.locator(".edit-form textarea[name=text]").fill("Hello, Bob")
    for _ in range(2):
        # Wait for a poll answer to arrive while the edit box is open.
        page.wait_for_event("response", lambda response: "/poll/" in response.url)
    expect(hello.locator(".edit-form textarea[name=text]")).to_have_value("Hello, Bob")
    hello.locator(".edit-form button[type=submit]").click()
    expect(message_bubble(page, "Hello, Bob").locator(".edited-mark")).to_have_text("(edited)")
    shot("03-sent-and-edited")
    assert list(Message.objects.values_list("text", flat=True)) == ["Hello, Bob"]
    assert console_errors == []
