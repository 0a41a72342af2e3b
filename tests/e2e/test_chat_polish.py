"""The messenger's polish (issue #12, point 5) in a real browser: the people picker by keyboard and
mouse, Enter and Shift+Enter, multi-line edits, the delete confirmation, links, image previews with
a full view, avatars, several files per message, no "Edit" for a file alone, the script's messages
from the page — and the same pages without JavaScript. Screenshots at 1280 px and 390 px."""

import io
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from chat import services
from chat.models import Chat, Membership, Message
from tests.chat_factories import ChatFactory
from tests.e2e.helpers import DESKTOP, PHONE, fits_width
from tests.factories import UserFactory

pytestmark = pytest.mark.e2e

LIVE_MS = 4_000


def bubble(page, text: str):
    return page.locator("#messages .chat-message").filter(has_text=text)


def picture(path: Path, size: tuple[int, int] = (640, 420)) -> Path:
    """A small landscape drawn with Pillow (no download)."""
    image = Image.new("RGB", size, "#87ceeb")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, size[1] * 2 // 3, size[0], size[1]), fill="#2e8b57")
    draw.ellipse((size[0] - 160, 40, size[0] - 60, 140), fill="#ffd700")
    output = io.BytesIO()
    image.save(output, format="PNG")
    path.write_bytes(output.getvalue())
    return path


def image_loaded(locator) -> bool:
    return bool(locator.evaluate("image => image.complete && image.naturalWidth > 0"))


@pytest.fixture(autouse=True)
def chat_files(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.CHAT_ATTACHMENT_TYPES = ["txt", "png", "pdf"]


def test_the_people_picker_finds_people_as_you_type_and_works_by_keyboard(
    page, server_url, log_in, shot, console_errors
):
    alice = UserFactory(username="alice", first_name="Alice", last_name="Smirnova")
    UserFactory(username="bob", first_name="Bob", last_name="Orlov", bundled_avatar="avatar-2.png")
    UserFactory(username="bobby", first_name="Bobby", last_name="Tables", bundled_avatar="avatar-3.png")
    UserFactory(username="carol", first_name="Carol", last_name="Kuznetsova")
    log_in(alice)
    page.goto(f"{server_url}/chat/new/")
    page.locator("#id_title").fill("Book club")

    # The label leads to the type-ahead box; the plain usernames field is hidden but still posted.
    search = page.get_by_label("Members")
    expect(search).to_have_attribute("role", "combobox")
    expect(page.locator("#id_members")).to_be_hidden()
    search.press_sequentially("bo")
    options = page.locator(".picker-option")
    expect(options).to_have_count(2)
    expect(options.nth(0).locator(".picker-username")).to_have_text("bob")
    expect(options.nth(0).locator(".picker-full-name")).to_have_text("Orlov Bob")
    expect(options.nth(1).locator(".picker-full-name")).to_have_text("Tables Bobby")
    expect(options.nth(0).locator("img.avatar")).to_have_attribute("src", re.compile(r"avatar-2\.png$"))
    expect(search).to_have_attribute("aria-expanded", "true")
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")

    # Arrow keys move through the list; Enter picks without submitting the form.
    search.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    search.press("ArrowUp")
    search.press("Enter")
    expect(page.locator(".picker-chip")).to_have_text(["bob"])
    expect(search).to_have_value("")
    assert page.url == f"{server_url}/chat/new/"
    search.press_sequentially("car")
    expect(options).to_have_count(1)
    search.press("Enter")
    expect(page.locator(".picker-chip")).to_have_text(["bob", "carol"])
    expect(page.locator("#id_members")).to_have_value("bob, carol")

    # Chosen people and oneself are not offered again; nobody matching is said plainly.
    search.press_sequentially("b")
    expect(options).to_have_count(1)
    expect(options.first.locator(".picker-username")).to_have_text("bobby")
    search.fill("")
    search.press_sequentially("zz")
    expect(page.locator(".picker-empty")).to_have_text("No one found")
    search.press("Escape")
    expect(page.locator(".picker-list")).to_be_hidden()
    search.fill("")
    search.press_sequentially("al")
    expect(page.locator(".picker-empty")).to_be_visible()
    search.fill("")

    # Backspace in the empty box removes the last chip; a chip's × removes it by mouse or keyboard.
    search.press("Backspace")
    expect(page.locator(".picker-chip")).to_have_text(["bob"])
    search.press_sequentially("bobb")
    page.locator(".picker-option", has_text="bobby").click()
    search.press_sequentially("carol")
    search.press("Enter")
    expect(page.locator(".picker-chip")).to_have_text(["bob", "bobby", "carol"])
    search.press_sequentially("b")
    expect(page.locator(".picker-empty")).to_be_visible()
    search.fill("")
    shot("01-picker-chips-1280")
    remove_bobby = page.get_by_role("button", name="Remove bobby")
    remove_bobby.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".picker-chip")).to_have_text(["bob", "carol"])
    search.press_sequentially("bo")
    expect(options).to_have_count(1)
    shot("02-picker-list-1280")

    # At 390 px the picker and its list fit the screen.
    page.set_viewport_size(PHONE)
    search.fill("")
    search.press_sequentially("bo")
    expect(options.first).to_be_visible()
    assert fits_width(page)
    shot("03-picker-list-390")
    search.press("Escape")
    search.fill("")

    page.locator("#chat-form button[type=submit]").click()
    chat = Chat.objects.get(title="Book club")
    expect(page).to_have_url(f"{server_url}/chat/{chat.pk}/")
    assert set(chat.members.values_list("username", flat=True)) == {"alice", "bob", "carol"}

    # Adding members: present members are not offered.
    page.set_viewport_size(DESKTOP)
    page.goto(f"{server_url}/chat/{chat.pk}/edit/")
    add = page.get_by_label("Usernames")
    add.press_sequentially("bo")
    expect(options).to_have_count(1)
    expect(options.first.locator(".picker-username")).to_have_text("bobby")
    add.press("Enter")
    shot("04-add-members-1280")
    page.set_viewport_size(PHONE)
    assert fits_width(page)
    shot("05-add-members-390")
    page.locator("#add-members-form button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text("Added: bobby.")
    assert Membership.objects.filter(chat=chat, user__username="bobby").exists()
    assert console_errors == []


def test_the_chat_page_sends_with_enter_keeps_lines_links_images_avatars_and_asks_before_deleting(
    page, server_url, log_in, shot, console_errors, tmp_path
):
    alice = UserFactory(username="alice", first_name="Alice", last_name="Smirnova", bundled_avatar="avatar-1.png")
    bob = UserFactory(username="bob", first_name="Bob", last_name="Orlov", bundled_avatar="avatar-2.png")
    chat = ChatFactory(created_by=alice, members=[bob], title="Weekend trip")
    services.message_send(chat=chat, author=bob, text="Morning! Shall we plan Saturday?")
    log_in(alice)
    page.goto(f"{server_url}/chat/{chat.pk}/")
    composer = page.locator("#message-text")

    # Shift+Enter starts a new line, Enter sends; the lines stay lines.
    composer.press_sequentially("Train at 09:40")
    composer.press("Shift+Enter")
    composer.press_sequentially("Picnic at 12:00")
    expect(composer).to_have_value("Train at 09:40\nPicnic at 12:00")
    composer.press("Enter")
    plan = bubble(page, "Train at 09:40")
    expect(plan.locator(".message-text")).to_have_js_property("innerText", "Train at 09:40\nPicnic at 12:00")
    expect(composer).to_have_value("")
    assert Message.objects.filter(chat=chat).last().text == "Train at 09:40\nPicnic at 12:00"

    # A link opens safely in a new tab; script-like text stays text.
    composer.fill("Tickets: https://example.com/tickets?day=sat. Not a link: javascript:alert(1) <b>bold?</b>")
    composer.press("Enter")
    tickets = bubble(page, "Tickets:")
    link = tickets.locator(".message-text a")
    expect(link).to_have_count(1)
    expect(link).to_have_attribute("href", "https://example.com/tickets?day=sat")
    expect(link).to_have_attribute("rel", "noopener noreferrer nofollow")
    expect(link).to_have_attribute("target", "_blank")
    expect(tickets.locator("b")).to_have_count(0)
    expect(tickets.locator(".message-text")).to_contain_text("javascript:alert(1) <b>bold?</b>")

    # A link sent by someone else arrives by polling and looks the same.
    services.message_send(chat=chat, author=bob, text="Map: https://example.org/map (the lake)")
    map_link = bubble(page, "Map:").locator(".message-text a")
    expect(map_link).to_have_attribute("href", "https://example.org/map", timeout=LIVE_MS)
    expect(map_link).to_have_attribute("rel", "noopener noreferrer nofollow")

    # Several files in one message; the image shows a preview through the member-only view.
    lake = picture(tmp_path / "lake.png")
    notes = tmp_path / "packing-list.txt"
    notes.write_text("tent\nmap\n", encoding="utf-8")
    composer.fill("Photos and the list")
    page.locator("#message-file").set_input_files([lake, notes])
    page.locator("#send-button").click()
    photos = bubble(page, "Photos and the list")
    expect(photos.locator(".attachment-link")).to_have_text(["lake.png", "packing-list.txt"])
    thumbnail = photos.locator("img.attachment-thumb")
    expect(thumbnail).to_have_count(1)
    expect(thumbnail).to_have_attribute("src", re.compile(r"^/chat/attachments/\d+/\?inline=1$"))
    expect(thumbnail).to_have_js_property("naturalWidth", 640)
    box = thumbnail.bounding_box()
    assert box is not None and box["width"] <= 241 and box["height"] <= 181  # a thumbnail, sized by CSS
    assert Message.objects.get(text="Photos and the list").attachments.count() == 2

    # A click opens the whole image; Escape closes it.
    thumbnail.click()
    viewer = page.locator("#image-viewer")
    expect(viewer).to_be_visible()
    expect(page.locator("#image-viewer-title")).to_have_text("lake.png")
    expect(page.locator("#image-viewer-image")).to_have_js_property("naturalWidth", 640)
    expect(viewer).to_be_focused()  # once open, the dialog holds the keyboard
    shot("01-image-viewer-1280")
    page.keyboard.press("Escape")
    expect(viewer).to_be_hidden()

    # A file alone offers "Delete" but no "Edit".
    page.locator("#message-file").set_input_files([notes])
    page.locator("#send-button").click()
    expect(page.locator("#messages .chat-message")).to_have_count(6)
    only_file = page.locator("#messages .chat-message").last
    expect(only_file.locator(".attachment-link")).to_have_text("packing-list.txt")
    expect(only_file.locator("summary")).to_have_count(0)
    expect(only_file.locator(".delete-link")).to_be_visible()

    # Editing keeps line breaks: the edit box is a textarea; Shift+Enter adds a line, Enter saves.
    plan.locator("summary", has_text="Edit").click()
    edit_box = plan.locator("textarea[name=text]")
    expect(edit_box).to_have_value("Train at 09:40\nPicnic at 12:00")
    edit_box.press("End")
    edit_box.press("Control+End")
    edit_box.press("Shift+Enter")
    edit_box.press_sequentially("Back by 18:00")
    edit_box.press("Enter")
    edited = bubble(page, "Back by 18:00")
    expect(edited.locator(".edited-mark")).to_have_text("(edited)")
    expect(edited.locator(".message-text")).to_have_js_property(
        "innerText", "Train at 09:40\nPicnic at 12:00\nBack by 18:00"
    )
    assert Message.objects.filter(text="Train at 09:40\nPicnic at 12:00\nBack by 18:00").exists()

    # Authors' avatars beside the messages: Bob's on the left, Alice's own on the right.
    theirs = bubble(page, "Morning!").locator("img.message-avatar")
    mine = edited.locator("img.message-avatar")
    expect(theirs).to_have_attribute("src", re.compile(r"avatar-2\.png$"))
    expect(mine).to_have_attribute("src", re.compile(r"avatar-1\.png$"))
    assert image_loaded(theirs) and image_loaded(mine)
    assert theirs.bounding_box()["x"] < 200 < mine.bounding_box()["x"]
    photos.scroll_into_view_if_needed()
    shot("02-chat-page-1280")

    # Deleting asks first: Cancel keeps the message, Delete removes it for everyone.
    tickets.locator(".delete-link").click()
    dialog = page.locator("#delete-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#delete-dialog-preview")).to_contain_text("Tickets:")
    expect(page.locator("#delete-dialog-cancel")).to_be_focused()
    shot("03-delete-dialog-1280")
    page.locator("#delete-dialog-cancel").click()
    expect(dialog).to_be_hidden()
    tickets_message = Message.objects.get(text__startswith="Tickets:")
    assert not tickets_message.is_deleted
    tickets.locator(".delete-link").click()
    page.locator("#delete-dialog-confirm").click()
    expect(page.locator(f"#message-{tickets_message.pk}")).to_contain_text("Message deleted")
    tickets_message.refresh_from_db()
    assert tickets_message.is_deleted

    # The phone layout: everything fits, no sideways scrolling.
    page.set_viewport_size(PHONE)
    page.reload()
    expect(page.locator("img.attachment-thumb")).to_be_visible()
    assert fits_width(page)
    shot("04-chat-page-390")
    page.locator("#messages .chat-message").filter(has_text="Back by 18:00").locator(".delete-link").click()
    expect(page.locator("#delete-dialog-cancel")).to_be_focused()
    assert fits_width(page)
    shot("05-delete-dialog-390")
    assert console_errors == []


def test_the_scripts_messages_come_from_the_page(page, server_url, log_in, console_errors, settings, tmp_path):
    settings.CHAT_ATTACHMENTS_PER_MESSAGE = 2
    alice = UserFactory(username="alice")
    chat = ChatFactory(created_by=alice, title="Files")
    log_in(alice)
    page.goto(f"{server_url}/chat/{chat.pk}/")
    files = []
    for number in range(3):
        path = tmp_path / f"note-{number}.txt"
        path.write_text("x", encoding="utf-8")
        files.append(path)

    page.locator("#message-file").set_input_files(files)
    page.locator("#send-button").click()

    expect(page.locator("#send-errors")).to_have_text("A message may carry at most 2 files.")
    assert not Message.objects.exists()
    assert console_errors == []


def test_without_javascript_members_are_typed_and_deleting_goes_through_a_confirmation_page(
    browser, server_url, shot, live_server
):
    alice = UserFactory(username="alice")
    UserFactory(username="bob")
    context = browser.new_context(java_script_enabled=False, locale="en-US", viewport={"width": 1280, "height": 900})
    client = Client()
    client.force_login(alice)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": server_url}])
    page = context.new_page()
    try:
        page.goto(f"{server_url}/chat/new/")
        page.locator("#id_title").fill("Plain")
        page.get_by_label("Members").fill("bob")
        page.locator("#chat-form button[type=submit]").click()
        chat = Chat.objects.get(title="Plain")
        assert set(chat.members.values_list("username", flat=True)) == {"alice", "bob"}

        page.locator("#message-text").fill("First line\nsecond line")
        page.locator("#send-button").click()
        message = Message.objects.get(chat=chat)
        assert message.text == "First line\nsecond line"
        page.locator(f"#message-{message.pk} .delete-link").click()
        expect(page).to_have_url(f"{server_url}/chat/messages/{message.pk}/delete/")
        expect(page.locator("h1")).to_have_text("Delete the message?")
        shot("01-confirm-page", of=page)
        message.refresh_from_db()
        assert not message.is_deleted
        page.locator("#delete-message-form button[type=submit]").click()
        expect(page.locator(f"#message-{message.pk}")).to_contain_text("Message deleted")
        message.refresh_from_db()
        assert message.is_deleted
    finally:
        context.close()
