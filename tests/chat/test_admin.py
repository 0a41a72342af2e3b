"""The messenger's admin: moderators rename and delete chats and delete messages through the
services (audited, private files removed); nothing else is written here."""

from pathlib import Path

import pytest
from django.urls import reverse

from chat.models import Attachment, Chat, Membership, Message
from core.models import AuditEvent
from tests.chat_factories import ChatFactory, MessageFactory, attachment_in, files_under
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CHATS = reverse("admin:chat_chat_changelist")
MESSAGES = reverse("admin:chat_message_changelist")
# The read-only memberships inline still posts its management form.
INLINE_FORMS = {"memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0"}


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def private_root(settings) -> Path:
    return Path(settings.PRIVATE_MEDIA_ROOT)


def bulk(client, url: str, action: str, objects):
    """Confirm an admin bulk action for ``objects``, as the confirmation page posts it."""
    data = {"action": action, "_selected_action": [str(obj.pk) for obj in objects], "post": "yes"}
    return client.post(url, data)


def test_deleting_a_chat_in_the_admin_removes_its_attachment_files(
    admin_client, superuser, private_root, django_capture_on_commit_callbacks
):
    chat = ChatFactory(members=[UserFactory()])
    kept = attachment_in(ChatFactory(), name="other.txt")
    attachment_in(chat, name="a.txt")
    attachment_in(chat, name="b.txt")
    assert len(files_under(private_root)) == 3

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:chat_chat_delete", args=[chat.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not Chat.objects.filter(pk=chat.pk).exists()
    assert not Message.objects.filter(chat_id=chat.pk).exists()
    assert files_under(private_root) == [kept.file.name]
    event = AuditEvent.objects.get(action="chat.moderator_deleted")
    assert (event.actor_id, event.target_id) == (superuser.pk, str(chat.pk))


def test_bulk_deleting_chats_in_the_admin_removes_all_their_files(
    admin_client, private_root, django_capture_on_commit_callbacks
):
    chats = [ChatFactory(), ChatFactory()]
    for chat in chats:
        attachment_in(chat)
    kept = attachment_in(ChatFactory(), name="kept.txt")

    with django_capture_on_commit_callbacks(execute=True):
        response = bulk(admin_client, CHATS, "delete_selected", chats)

    assert response.status_code == 302
    assert list(Chat.objects.values_list("pk", flat=True)) == [kept.message.chat_id]
    assert files_under(private_root) == [kept.file.name]
    assert AuditEvent.objects.filter(action="chat.moderator_deleted").count() == 2


def test_the_delete_confirmation_does_not_ask_for_permissions_on_what_goes_along(admin_client):
    chat = ChatFactory(members=[UserFactory()])
    attachment_in(chat)

    response = admin_client.get(reverse("admin:chat_chat_delete", args=[chat.pk]))

    assert response.status_code == 200
    assert not response.context["perms_lacking"]


def test_renaming_a_chat_in_the_admin_is_audited(admin_client, superuser):
    chat = ChatFactory(title="Old")

    response = admin_client.post(
        reverse("admin:chat_chat_change", args=[chat.pk]), {"title": " New  name ", **INLINE_FORMS}
    )

    assert response.status_code == 302
    chat.refresh_from_db()
    assert chat.title == "New name"
    event = AuditEvent.objects.get(action="chat.moderator_renamed")
    assert (event.actor_id, event.details) == (superuser.pk, {"from": "Old", "to": "New name"})


def test_chats_cannot_be_added_and_memberships_not_changed_in_the_admin(admin_client):
    chat = ChatFactory(members=[UserFactory()])

    assert admin_client.get(reverse("admin:chat_chat_add")).status_code == 403
    page = admin_client.get(reverse("admin:chat_chat_change", args=[chat.pk]))
    inline = page.context["inline_admin_formsets"][0]
    assert not (inline.has_add_permission or inline.has_change_permission or inline.has_delete_permission)


def test_deleting_a_message_in_the_admin_leaves_a_tombstone_and_removes_its_file(
    admin_client, superuser, private_root, django_capture_on_commit_callbacks
):
    attachment = attachment_in(ChatFactory(), name="rude.txt")
    message = attachment.message

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:chat_message_delete", args=[message.pk]), {"post": "yes"})

    assert response.status_code == 302
    message.refresh_from_db()
    assert (message.is_deleted, message.text) == (True, "")
    assert not Attachment.objects.exists()
    assert files_under(private_root) == []
    event = AuditEvent.objects.get(action="chat.message_moderator_deleted")
    assert (event.actor_id, event.details["message"]) == (superuser.pk, message.pk)


def test_bulk_deleting_messages_in_the_admin_tombstones_each_once(
    admin_client, private_root, django_capture_on_commit_callbacks
):
    chat = ChatFactory()
    first, second = attachment_in(chat).message, MessageFactory(chat=chat)
    untouched = MessageFactory(chat=chat, text="Stays")

    with django_capture_on_commit_callbacks(execute=True):
        bulk(admin_client, MESSAGES, "delete_selected", [first, second])

    assert list(Message.objects.order_by("id").values_list("is_deleted", "text")) == [
        (True, ""),
        (True, ""),
        (False, "Stays"),
    ]
    assert untouched.pk == Message.objects.order_by("id").last().pk
    assert files_under(private_root) == []
    assert AuditEvent.objects.filter(action="chat.message_moderator_deleted").count() == 2


def test_messages_and_attachments_cannot_be_written_in_the_admin(admin_client):
    attachment = attachment_in(ChatFactory())
    message = attachment.message

    assert admin_client.get(reverse("admin:chat_message_add")).status_code == 403
    assert admin_client.get(reverse("admin:chat_attachment_add")).status_code == 403
    response = admin_client.post(reverse("admin:chat_message_change", args=[message.pk]), {"text": "Rewritten"})
    assert response.status_code == 403
    message.refresh_from_db()
    assert message.text != "Rewritten"
    assert (
        admin_client.post(reverse("admin:chat_attachment_delete", args=[attachment.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert Attachment.objects.filter(pk=attachment.pk).exists()


def test_a_staff_member_without_chat_permissions_cannot_delete_a_chat(client, private_root):
    client.force_login(UserFactory(is_staff=True))
    chat = ChatFactory()
    attachment_in(chat)

    response = client.post(reverse("admin:chat_chat_delete", args=[chat.pk]), {"post": "yes"})

    assert response.status_code == 403
    assert Chat.objects.filter(pk=chat.pk).exists()
    assert len(files_under(private_root)) == 1
    assert Membership.objects.filter(chat=chat).exists()
