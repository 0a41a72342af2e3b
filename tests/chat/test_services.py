"""The messenger's services and selectors: every rule of SPEC §4.4 below the pages and the API."""

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from PIL import Image

from accounts.services import user_delete
from chat import selectors, services
from chat.models import Attachment, Chat, Membership, Message
from core.models import AuditEvent
from tests.chat_factories import ChatFactory, MessageFactory, attachment_in, files_under, uploaded
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path) -> Path:
    """Private files of each test go to their own folder, public media to another."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CHAT_ATTACHMENT_TYPES = ["txt", "png", "pdf"]
    settings.CHAT_ATTACHMENT_MAX_MB = 1
    return settings.PRIVATE_MEDIA_ROOT


def error_text(error: pytest.ExceptionInfo[ValidationError]) -> str:
    return " ".join(error.value.messages)


def roles(chat) -> dict[str, str]:
    return {m.user.username: m.role for m in Membership.objects.filter(chat=chat).select_related("user")}


def snapshot(chat) -> tuple:
    """Everything a refused change to a chat could have touched."""
    chat.refresh_from_db()
    messages = list(Message.objects.filter(chat=chat).values_list("id", "text", "is_deleted", "edited_at"))
    return chat.title, roles(chat), messages, Attachment.objects.filter(message__chat=chat).count()


# --- Creating a chat --------------------------------------------------------------------------


def test_the_creator_becomes_owner_and_the_named_users_members():
    creator, bob, carol = UserFactory(), UserFactory(username="bob"), UserFactory(username="carol")

    chat = services.chat_create(creator=creator, title="Trip", members="bob, carol")

    assert roles(chat) == {creator.username: "owner", "bob": "member", "carol": "member"}
    assert chat.created_by == creator
    assert set(chat.members.all()) == {creator, bob, carol}
    assert AuditEvent.objects.filter(action="chat.created", target_id=str(chat.pk)).count() == 1


def test_a_chat_may_start_with_the_creator_alone():
    creator = UserFactory()

    chat = services.chat_create(creator=creator, title="Notes to self", members="")

    assert roles(chat) == {creator.username: "owner"}


def test_the_title_is_trimmed_and_its_inner_spaces_collapsed():
    chat = services.chat_create(creator=UserFactory(), title="   Weekend \t  trip  ", members=[])

    assert chat.title == "Weekend trip"


@pytest.mark.parametrize("title", ["", "   ", "\n\t", None])
def test_a_blank_title_is_refused_and_nothing_is_created(title):
    with pytest.raises(ValidationError) as error:
        services.chat_create(creator=UserFactory(), title=title, members=[])

    assert "Give the chat a title." in error_text(error)
    assert not Chat.objects.exists()
    assert not Membership.objects.exists()


def test_a_title_may_have_100_characters_but_not_101():
    creator = UserFactory()
    assert services.chat_create(creator=creator, title="x" * 100, members=[]).title == "x" * 100

    with pytest.raises(ValidationError) as error:
        services.chat_create(creator=creator, title="y" * 101, members=[])

    assert "at most 100 characters" in error_text(error)
    assert Chat.objects.count() == 1


def test_every_unknown_username_is_named_in_one_error_and_nothing_is_created():
    UserFactory(username="bob")

    with pytest.raises(ValidationError) as error:
        services.chat_create(creator=UserFactory(), title="Trip", members="ghost, bob, phantom")

    assert error.value.message_dict == {"members": ["Unknown usernames: ghost, phantom."]}
    assert not Chat.objects.exists()
    assert not Membership.objects.exists()
    assert not AuditEvent.objects.filter(action="chat.created").exists()


def test_a_bad_title_and_unknown_usernames_are_reported_together():
    with pytest.raises(ValidationError) as error:
        services.chat_create(creator=UserFactory(), title=" ", members="ghost")

    assert set(error.value.message_dict) == {"title", "members"}
    assert "ghost" in error.value.message_dict["members"][0]
    assert not Chat.objects.exists()


def test_inactive_accounts_count_as_unknown():
    UserFactory(username="sleeper", is_active=False)

    with pytest.raises(ValidationError) as error:
        services.chat_create(creator=UserFactory(), title="Trip", members=["sleeper"])

    assert "sleeper" in error_text(error)
    assert not Chat.objects.exists()


def test_duplicates_and_the_creators_own_name_are_ignored():
    creator, bob = UserFactory(username="alice"), UserFactory(username="bob")

    chat = services.chat_create(creator=creator, title="Trip", members="bob bob,@bob; alice ,, alice")

    assert roles(chat) == {"alice": "owner", "bob": "member"}
    assert list(chat.memberships.values_list("user", flat=True)).count(bob.pk) == 1


def test_usernames_come_as_a_list_too():
    UserFactory(username="bob")

    chat = services.chat_create(creator=UserFactory(), title="Trip", members=["bob", " bob "])

    assert "bob" in roles(chat)


def test_a_username_typed_in_another_case_finds_its_user():
    UserFactory(username="Bob.Smith")

    chat = services.chat_create(creator=UserFactory(), title="Trip", members="bob.smith")

    assert "Bob.Smith" in roles(chat)


def test_usernames_differing_only_in_case_are_different_people():
    UserFactory(username="anna"), UserFactory(username="Anna", email="anna2@example.com")

    chat = services.chat_create(creator=UserFactory(), title="Trip", members="anna Anna")

    assert roles(chat).keys() >= {"anna", "Anna"}
    assert chat.memberships.count() == 3


def test_an_ambiguous_case_insensitive_name_is_unknown():
    UserFactory(username="anna"), UserFactory(username="Anna", email="anna2@example.com")

    with pytest.raises(ValidationError) as error:
        services.chat_create(creator=UserFactory(), title="Trip", members="ANNA")

    assert "ANNA" in error_text(error)
    assert not Chat.objects.exists()


# --- Members ----------------------------------------------------------------------------------


def test_any_member_adds_people_and_those_already_in_are_left_alone(chat, bob, carol):
    UserFactory(username="dave")

    added = services.chat_members_add(chat=chat, member=bob, usernames="carol, owner, bob, dave, carol")

    assert [user.username for user in added] == ["carol", "dave"]
    assert roles(chat) == {"owner": "owner", "bob": "member", "carol": "member", "dave": "member"}


def test_newcomers_see_the_history_but_only_later_messages_count_as_unread(chat, owner, carol):
    services.message_send(chat=chat, author=owner, text="before carol")

    services.chat_members_add(chat=chat, member=owner, usernames="carol")
    assert selectors.chats_of(carol).get().unread == 0
    assert [m.text for m in selectors.message_page(chat)[0]] == ["before carol"]

    services.message_send(chat=chat, author=owner, text="after carol")
    assert selectors.chats_of(carol).get().unread == 1


def test_adding_only_people_already_in_adds_nobody(chat, owner):
    assert services.chat_members_add(chat=chat, member=owner, usernames="bob") == []
    assert chat.memberships.count() == 2


def test_adding_unknown_usernames_names_them_all_and_adds_nobody(chat, owner, carol):
    before = snapshot(chat)

    with pytest.raises(ValidationError) as error:
        services.chat_members_add(chat=chat, member=owner, usernames="carol ghost phantom")

    assert "ghost, phantom" in error_text(error)
    assert snapshot(chat) == before


def test_adding_needs_at_least_one_name(chat, owner):
    with pytest.raises(ValidationError) as error:
        services.chat_members_add(chat=chat, member=owner, usernames="  , ")

    assert "Name at least one user" in error_text(error)


def test_a_non_member_cannot_add_anybody(chat, carol):
    before = snapshot(chat)

    with pytest.raises(Chat.DoesNotExist):
        services.chat_members_add(chat=chat, member=carol, usernames="carol")

    assert snapshot(chat) == before


def test_the_owner_removes_a_member(chat, owner, bob):
    services.chat_member_remove(chat=chat, owner=owner, user=bob)

    assert roles(chat) == {"owner": "owner"}
    assert not selectors.chats_of(bob).exists()
    with pytest.raises(Chat.DoesNotExist):
        selectors.chat_for_member(bob, chat.pk)


def test_a_member_cannot_remove_anybody_and_nothing_changes(chat, owner, bob, carol):
    Membership.objects.create(chat=chat, user=carol)
    before = snapshot(chat)

    for target in (carol, owner):
        with pytest.raises(PermissionDenied):
            services.chat_member_remove(chat=chat, owner=bob, user=target)

    assert snapshot(chat) == before


def test_the_owner_cannot_remove_themselves(chat, owner):
    with pytest.raises(ValidationError):
        services.chat_member_remove(chat=chat, owner=owner, user=owner)

    assert roles(chat)["owner"] == "owner"


def test_removing_someone_who_is_not_a_member_is_refused(chat, owner, carol):
    before = snapshot(chat)

    with pytest.raises(ValidationError) as error:
        services.chat_member_remove(chat=chat, owner=owner, user=carol)

    assert "not a member" in error_text(error)
    assert snapshot(chat) == before
    assert not AuditEvent.objects.filter(action="chat.member_removed").exists()


def test_a_member_leaves(chat, bob):
    assert services.chat_leave(chat=chat, user=bob) is False

    assert roles(chat) == {"owner": "owner"}


def test_leaving_a_chat_one_is_not_in_is_refused(chat, carol):
    before = snapshot(chat)

    with pytest.raises(ValidationError):
        services.chat_leave(chat=chat, user=carol)

    assert snapshot(chat) == before


def test_an_owner_leaving_hands_the_chat_to_the_longest_standing_member(chat, owner, bob, carol):
    dave = UserFactory(username="dave")
    Membership.objects.create(chat=chat, user=carol)
    Membership.objects.create(chat=chat, user=dave)
    now = timezone.now()
    # Carol joined first, then Dave, then Bob (whatever the order of the rows).
    Membership.objects.filter(chat=chat, user=carol).update(joined_at=now - timedelta(days=3))
    Membership.objects.filter(chat=chat, user=dave).update(joined_at=now - timedelta(days=2))
    Membership.objects.filter(chat=chat, user=bob).update(joined_at=now - timedelta(days=1))

    services.chat_leave(chat=chat, user=owner)

    assert roles(chat) == {"carol": "owner", "dave": "member", "bob": "member"}


def test_the_last_member_leaving_deletes_the_chat_and_its_files(
    chat, owner, bob, private_root, django_capture_on_commit_callbacks
):
    attachment_in(chat, author=bob)
    attachment_in(chat, author=owner)
    assert len(files_under(private_root)) == 2
    services.chat_leave(chat=chat, user=owner)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.chat_leave(chat=chat, user=bob) is True

    assert not Chat.objects.filter(pk=chat.pk).exists()
    assert not Message.objects.exists()
    assert not Attachment.objects.exists()
    assert files_under(private_root) == []


def test_any_member_renames_the_chat(chat, bob):
    services.chat_rename(chat=chat, member=bob, title="  New   name ")

    chat.refresh_from_db()
    assert chat.title == "New name"
    event = AuditEvent.objects.get(action="chat.renamed")
    assert (event.actor, event.details) == (bob, {"from": "Team", "to": "New name"})


@pytest.mark.parametrize("title", ["", "z" * 101])
def test_a_bad_new_title_changes_nothing(chat, bob, title):
    with pytest.raises(ValidationError):
        services.chat_rename(chat=chat, member=bob, title=title)

    chat.refresh_from_db()
    assert chat.title == "Team"


def test_a_non_member_cannot_rename(chat, carol):
    with pytest.raises(Chat.DoesNotExist):
        services.chat_rename(chat=chat, member=carol, title="Mine now")

    chat.refresh_from_db()
    assert chat.title == "Team"


def test_the_owner_deletes_the_chat_with_its_files(chat, owner, bob, private_root, django_capture_on_commit_callbacks):
    attachment_in(chat, author=bob)
    other = attachment_in(ChatFactory(created_by=bob))

    chat_id = chat.pk

    with django_capture_on_commit_callbacks(execute=True):
        services.chat_delete(chat=chat, owner=owner)

    assert not Chat.objects.filter(pk=chat_id).exists()
    assert not Message.objects.filter(chat_id=chat_id).exists()
    assert files_under(private_root) == [other.file.name]
    assert AuditEvent.objects.filter(action="chat.deleted", target_id=str(chat_id)).exists()


def test_a_member_cannot_delete_the_chat_and_nothing_changes(chat, bob, private_root):
    attachment_in(chat, author=bob)
    before, files = snapshot(chat), files_under(private_root)

    with pytest.raises(PermissionDenied):
        services.chat_delete(chat=chat, owner=bob)

    assert snapshot(chat) == before
    assert files_under(private_root) == files


# --- Messages ---------------------------------------------------------------------------------


def test_a_member_sends_a_text_message(chat, bob):
    message = services.message_send(chat=chat, author=bob, text="  Hello there \n")

    assert message.text == "Hello there"
    assert message.author == bob
    assert message.edited_at is None
    chat.refresh_from_db()
    assert chat.last_activity_at == message.created_at
    assert Membership.objects.get(chat=chat, user=bob).last_read_id == message.pk


def test_the_last_activity_never_moves_backwards(chat, bob):
    later = timezone.now() + timedelta(minutes=5)
    Chat.objects.filter(pk=chat.pk).update(last_activity_at=later)

    services.message_send(chat=chat, author=bob, text="Hi")

    chat.refresh_from_db()
    assert chat.last_activity_at == later


@pytest.mark.parametrize("text", ["", "   \n "])
def test_an_empty_message_without_a_file_is_refused(chat, bob, text):
    with pytest.raises(ValidationError) as error:
        services.message_send(chat=chat, author=bob, text=text)

    assert "Write a message or attach a file." in error_text(error)
    assert not Message.objects.exists()


def test_a_message_may_have_10000_characters_but_not_more(chat, bob):
    services.message_send(chat=chat, author=bob, text="a" * 10_000)

    with pytest.raises(ValidationError):
        services.message_send(chat=chat, author=bob, text="a" * 10_001)

    assert Message.objects.count() == 1


def test_a_non_member_cannot_send(chat, carol, private_root):
    with pytest.raises(Chat.DoesNotExist):
        services.message_send(chat=chat, author=carol, text="Let me in", uploads=[uploaded()])

    assert not Message.objects.exists()
    assert files_under(private_root) == []


def test_a_file_is_stored_privately_under_a_random_name(chat, bob, private_root, settings):
    message = services.message_send(
        chat=chat, author=bob, text="", uploads=[uploaded("Holiday Plan.TXT", b"day one", "text/plain")]
    )

    attachment = message.attachments.get()
    assert attachment.original_name == "Holiday Plan.TXT"
    assert attachment.size == 7
    assert attachment.content_type == "text/plain"
    stored = Path(attachment.file.path)
    assert stored.read_bytes() == b"day one"
    assert stored.is_relative_to(private_root)
    assert "Holiday" not in stored.name
    assert len(stored.stem) == 32 and stored.suffix == ".txt"
    assert files_under(settings.MEDIA_ROOT) == []
    with pytest.raises(ValueError, match="no public URL"):
        attachment.file.url  # noqa: B018


def test_two_uploads_of_the_same_name_do_not_collide(chat, bob, private_root):
    first = services.message_send(chat=chat, author=bob, uploads=[uploaded("a.txt", b"one")])
    second = services.message_send(chat=chat, author=bob, uploads=[uploaded("a.txt", b"two")])

    assert first.attachments.get().file.name != second.attachments.get().file.name
    assert len(files_under(private_root)) == 2


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("script.exe", b"MZ", "Files of this type are not allowed. Allowed: txt, png, pdf."),
        ("no-extension", b"data", "Files of this type are not allowed."),
        ("archive.txt.exe", b"MZ", "Files of this type are not allowed."),
        ("empty.txt", b"", "The file is empty."),
        ("big.pdf", b"x" * (1024 * 1024 + 1), "The file is too large: at most 1 MB."),
    ],
)
def test_a_refused_file_stores_nothing(chat, bob, private_root, name, content, expected):
    with pytest.raises(ValidationError) as error:
        services.message_send(chat=chat, author=bob, text="See the file", uploads=[uploaded(name, content)])

    assert expected in error_text(error)
    assert not Message.objects.exists()
    assert not Attachment.objects.exists()
    assert files_under(private_root) == []
    chat.refresh_from_db()
    assert Membership.objects.get(chat=chat, user=bob).last_read_id == 0


def png_bytes() -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(output, format="PNG")
    return output.getvalue()


def test_a_real_image_is_accepted(chat, bob):
    message = services.message_send(chat=chat, author=bob, uploads=[uploaded("dot.png", png_bytes(), "image/png")])

    assert Path(message.attachments.get().file.path).read_bytes() == png_bytes()


@pytest.mark.parametrize("content", [b"<html><script>alert(1)</script>", b"\x89PNG\r\n\x1a\n broken"])
def test_a_file_named_as_an_image_must_be_one(chat, bob, private_root, content):
    with pytest.raises(ValidationError) as error:
        services.message_send(chat=chat, author=bob, uploads=[uploaded("photo.png", content, "image/png")])

    assert error_text(error) == "This file is not a valid image."
    assert not Message.objects.exists()
    assert files_under(private_root) == []


def test_a_file_of_exactly_the_limit_is_accepted(chat, bob):
    message = services.message_send(chat=chat, author=bob, uploads=[uploaded("big.pdf", b"x" * (1024 * 1024))])

    assert message.attachments.get().size == 1024 * 1024


def test_a_failure_after_the_file_is_written_leaves_no_file_behind(chat, bob, private_root, monkeypatch):
    def broken_save(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Attachment, "save", broken_save)

    with pytest.raises(RuntimeError):
        services.message_send(chat=chat, author=bob, text="file", uploads=[uploaded()])

    assert not Message.objects.exists()
    assert files_under(private_root) == []


def test_the_file_is_written_before_the_message_takes_its_id(chat, bob, monkeypatch):
    """A poller that has seen a newer id must not skip a message whose large file was still being written."""
    storage = Attachment.file.field.storage
    real_save = storage._save
    seen = []

    def watching_save(name, content):
        seen.append(Message.objects.exists())
        return real_save(name, content)

    monkeypatch.setattr(storage, "_save", watching_save)

    services.message_send(chat=chat, author=bob, uploads=[uploaded()])

    assert seen == [False]
    assert Message.objects.count() == 1


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ('../../etc/pa"ss;wd.txt', "passwd.txt"),
        ("..\\..\\windows\\system.ini.txt", "system.ini.txt"),
        ("отчёт за май.pdf", "отчёт за май.pdf"),
        ("résumé.pdf", "résumé.pdf"),
        ("a\x00b\r\nc.txt", "abc.txt"),
        ("..", "file"),
        ("", "file"),
        ("<script>:|?*.txt", "script.txt"),
        ("  .hidden.txt . ", "hidden.txt"),
        ("..／..／etc／passwd.txt", "passwd.txt"),  # full-width solidus: "/" after normalisation
        ("a＼b.txt", "b.txt"),
        ("invoice\u202etxt.exe", "invoicetxt.exe"),  # a right-to-left override would disguise ".exe"
        ("ﬁle.txt", "file.txt"),
    ],
)
def test_file_names_are_sanitised(raw, safe):
    assert services.safe_filename(raw) == safe


def test_a_long_file_name_is_shortened_but_keeps_its_extension(chat, bob):
    message = services.message_send(chat=chat, author=bob, uploads=[uploaded("n" * 250 + ".pdf", b"%PDF")])

    name = message.attachments.get().original_name
    assert name.endswith(".pdf")
    assert len(name) <= 200


def test_the_author_edits_a_message_and_it_is_marked_edited(chat, bob):
    message = MessageFactory(chat=chat, author=bob, text="Helo")
    changed_before = message.changed_at

    services.message_edit(message_id=message.pk, user=bob, text=" Hello ")

    message.refresh_from_db()
    assert message.text == "Hello"
    assert message.edited_at is not None
    assert message.changed_at > changed_before


def test_saving_the_same_text_is_not_an_edit(chat, bob):
    message = MessageFactory(chat=chat, author=bob, text="Hello")

    services.message_edit(message_id=message.pk, user=bob, text="Hello ")

    message.refresh_from_db()
    assert message.edited_at is None


def test_an_edit_may_not_empty_a_text_only_message(chat, bob):
    message = MessageFactory(chat=chat, author=bob, text="Hello")

    with pytest.raises(ValidationError):
        services.message_edit(message_id=message.pk, user=bob, text="  ")

    message.refresh_from_db()
    assert (message.text, message.edited_at) == ("Hello", None)


def test_the_text_of_a_message_with_a_file_may_be_emptied(chat, owner):
    message = attachment_in(chat, author=owner).message

    services.message_edit(message_id=message.pk, user=owner, text="")

    message.refresh_from_db()
    assert message.text == ""
    assert message.attachments.count() == 1


def test_nobody_edits_or_deletes_someone_elses_message(chat, owner, bob, private_root):
    attachment = attachment_in(chat, author=bob)
    message = attachment.message
    before, files = snapshot(chat), files_under(private_root)

    with pytest.raises(PermissionDenied):
        services.message_edit(message_id=message.pk, user=owner, text="Owned")
    with pytest.raises(PermissionDenied):
        services.message_delete(message_id=message.pk, user=owner)

    assert snapshot(chat) == before
    assert files_under(private_root) == files


def test_a_former_member_cannot_touch_their_old_messages(chat, owner, bob):
    message = MessageFactory(chat=chat, author=bob, text="Mine")
    services.chat_member_remove(chat=chat, owner=owner, user=bob)

    with pytest.raises(Message.DoesNotExist):
        services.message_edit(message_id=message.pk, user=bob, text="Still mine")
    with pytest.raises(Message.DoesNotExist):
        services.message_delete(message_id=message.pk, user=bob)

    message.refresh_from_db()
    assert (message.text, message.is_deleted) == ("Mine", False)


def test_the_author_deletes_a_message_for_everyone_with_its_files(
    chat, bob, private_root, django_capture_on_commit_callbacks
):
    message = services.message_send(chat=chat, author=bob, text="secret", uploads=[uploaded()])
    kept = attachment_in(chat)

    with django_capture_on_commit_callbacks(execute=True):
        services.message_delete(message_id=message.pk, user=bob)

    message.refresh_from_db()
    assert message.is_deleted
    assert message.text == ""
    assert not message.attachments.exists()
    assert files_under(private_root) == [kept.file.name]


def test_a_deleted_message_can_be_neither_edited_nor_deleted_again(chat, bob):
    message = MessageFactory(chat=chat, author=bob)
    services.message_delete(message_id=message.pk, user=bob)

    with pytest.raises(Message.DoesNotExist):
        services.message_edit(message_id=message.pk, user=bob, text="back")
    with pytest.raises(Message.DoesNotExist):
        services.message_delete(message_id=message.pk, user=bob)

    message.refresh_from_db()
    assert (message.text, message.is_deleted, message.edited_at) == ("", True, None)


# --- Reading ----------------------------------------------------------------------------------


def test_marking_read_never_moves_backwards(chat, bob):
    first, second = MessageFactory(chat=chat), MessageFactory(chat=chat)

    services.chat_mark_read(chat=chat, user=bob, up_to=second.pk)
    services.chat_mark_read(chat=chat, user=bob, up_to=first.pk)
    assert Membership.objects.get(chat=chat, user=bob).last_read_id == second.pk

    third = MessageFactory(chat=chat)
    services.chat_mark_read(chat=chat, user=bob)
    assert Membership.objects.get(chat=chat, user=bob).last_read_id == third.pk


def test_my_chats_come_newest_activity_first_with_previews_and_unread_counts(owner, bob, carol):
    quiet = ChatFactory(created_by=owner, members=[bob], title="Quiet")
    busy = ChatFactory(created_by=carol, members=[bob], title="Busy")
    ChatFactory(created_by=carol, title="Not mine")
    services.message_send(chat=quiet, author=owner, text="old news")
    services.message_send(chat=busy, author=carol, text="one")
    services.message_send(chat=busy, author=bob, text="my own")
    services.message_send(chat=busy, author=carol, text="two")
    gone = services.message_send(chat=busy, author=carol, text="three")
    services.message_delete(message_id=gone.pk, user=carol)
    services.message_send(chat=busy, author=carol, text="four")

    listed = list(selectors.chats_of(bob))

    assert [chat.title for chat in listed] == ["Busy", "Quiet"]
    # Sending "my own" read "one"; of the rest, neither my own nor the deleted message counts.
    assert [chat.unread for chat in listed] == [2, 1]
    assert (listed[0].last_text, listed[0].last_author) == ("four", "carol")
    assert selectors.chats_of(carol).get(pk=busy.pk).unread == 0


def test_a_chat_without_messages_lists_by_its_creation(owner):
    older = ChatFactory(created_by=owner, title="Older")
    newer = ChatFactory(created_by=owner, title="Newer")
    Chat.objects.filter(pk=older.pk).update(last_activity_at=timezone.now() - timedelta(hours=1))

    assert list(selectors.chats_of(owner)) == [newer, older]
    assert selectors.chats_of(owner)[0].last_text is None


def test_the_preview_of_a_deleted_or_file_only_last_message(chat, owner, bob):
    message = services.message_send(chat=chat, author=bob, uploads=[uploaded()])
    row = selectors.chats_of(owner).get()
    assert (row.last_text, row.last_has_file, row.last_deleted) == ("", 1, False)

    services.message_delete(message_id=message.pk, user=bob)

    row = selectors.chats_of(owner).get()
    assert row.last_deleted is True


def test_a_page_of_messages_and_the_older_ones(chat):
    messages = [MessageFactory(chat=chat) for _ in range(7)]

    page, has_older = selectors.message_page(chat, size=3)
    assert page == messages[4:] and has_older

    page, has_older = selectors.message_page(chat, before=messages[4].pk, size=3)
    assert page == messages[1:4] and has_older

    page, has_older = selectors.message_page(chat, before=messages[1].pk, size=3)
    assert page == messages[:1] and not has_older


def test_updates_are_new_messages_and_changes_since_a_moment(chat, bob):
    old, edited, deleted = (MessageFactory(chat=chat, author=bob) for _ in range(3))
    since = timezone.now()
    services.message_edit(message_id=edited.pk, user=bob, text="better")
    services.message_delete(message_id=deleted.pk, user=bob)
    new = MessageFactory(chat=chat)

    fresh, changed = selectors.message_updates(chat, after=deleted.pk, since=since)

    assert fresh == [new]
    assert changed == [edited, deleted]
    assert old not in changed
    assert selectors.message_updates(chat, after=new.pk, since=None) == ([], [])


def test_updates_come_at_most_a_page_at_a_time(chat, settings):
    settings.CHAT_PAGE_SIZE = 3
    messages = [MessageFactory(chat=chat) for _ in range(5)]

    fresh, _changed = selectors.message_updates(chat, after=0)
    assert fresh == messages[:3]
    fresh, _changed = selectors.message_updates(chat, after=messages[2].pk)
    assert fresh == messages[3:]

    since = timezone.now()
    for message in reversed(messages):  # edited newest first: changes come in the order they were made
        services.message_edit(message_id=message.pk, user=chat.created_by, text="edited")
    _fresh, changed = selectors.message_updates(chat, after=messages[-1].pk, since=since)
    assert changed == messages[:1:-1]


def test_shared_chats_are_those_both_are_members_of(chat, owner, bob, carol):
    ChatFactory(created_by=owner, members=[carol])

    assert list(selectors.shared_chats(bob, owner)) == [chat]
    assert list(selectors.shared_chats(bob, carol)) == []


# --- Account deletion -------------------------------------------------------------------------


def test_a_deleted_accounts_messages_stay_by_a_deleted_user_and_its_files_go(
    owner, bob, carol, private_root, django_capture_on_commit_callbacks
):
    shared = ChatFactory(created_by=bob, members=[owner, carol], title="Shared")
    Membership.objects.filter(chat=shared, user=carol).update(joined_at=timezone.now() - timedelta(days=9))
    alone = ChatFactory(created_by=bob, title="Alone")
    as_member = ChatFactory(created_by=owner, members=[bob], title="As member")
    said = services.message_send(chat=shared, author=bob, text="I was here", uploads=[uploaded("mine.txt")])
    theirs = services.message_send(chat=shared, author=owner, text="Reply", uploads=[uploaded("theirs.txt")])
    services.message_send(chat=alone, author=bob, uploads=[uploaded("lonely.txt")])
    services.message_send(chat=as_member, author=bob, text="bye")

    with django_capture_on_commit_callbacks(execute=True):
        user_delete(user=bob, password=PASSWORD)

    said.refresh_from_db()
    assert (said.author, said.text, said.is_deleted) == (None, "I was here", False)
    assert not said.attachments.exists()
    assert files_under(private_root) == [theirs.attachments.get().file.name]
    assert roles(shared) == {"owner": "member", "carol": "owner"}  # the longest-standing member
    assert not Chat.objects.filter(pk=alone.pk).exists()
    assert roles(as_member) == {"owner": "owner"}
    assert Message.objects.filter(chat=as_member, author=None, text="bye").exists()
    shared.refresh_from_db()
    assert shared.created_by is None


def test_a_wrong_password_deletes_nothing(chat, bob, private_root):
    attachment_in(chat, author=bob)
    before, files = snapshot(chat), files_under(private_root)

    with pytest.raises(ValidationError):
        user_delete(user=bob, password="wrong")

    assert snapshot(chat) == before
    assert files_under(private_root) == files
