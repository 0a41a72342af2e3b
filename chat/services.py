"""Every write of the messenger goes through these functions."""

import re
import unicodedata
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from chat.models import Attachment, Chat, Membership, Message
from core.services import audit_record

MAX_TEXT = 10_000


def _usernames(raw: str | list[str]) -> list[str]:
    """Usernames from a list or from text separated by commas or spaces, without duplicates."""
    items = raw if isinstance(raw, list) else re.split(r"[\s,;]+", raw or "")
    seen: dict[str, None] = {}
    for item in items:
        name = str(item).strip().lstrip("@")
        if name:
            seen.setdefault(name, None)
    return list(seen)


def _users_by_username(usernames: list[str]) -> list[User]:
    found = {user.username.lower(): user for user in User.objects.filter(username__in=usernames, is_active=True)}
    missing = [name for name in usernames if name.lower() not in found]
    if missing:
        raise ValidationError(
            {"members": [_("Unknown usernames: %(names)s.") % {"names": ", ".join(missing)}]}, code="unknown_users"
        )
    return [found[name.lower()] for name in usernames]


def _clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise ValidationError({"title": [_("Give the chat a title.")]})
    if len(title) > 100:
        raise ValidationError({"title": [_("The title may have at most 100 characters.")]})
    return title


def chat_create(*, creator: User, title: str, members: str | list[str]) -> Chat:
    """Create a chat: the creator becomes its owner, the named users its members."""
    title = _clean_title(title)
    others = [user for user in _users_by_username(_usernames(members)) if user.pk != creator.pk]
    with transaction.atomic():
        chat = Chat.objects.create(title=title, created_by=creator)
        Membership.objects.create(chat=chat, user=creator, role=Membership.Role.OWNER)
        Membership.objects.bulk_create([Membership(chat=chat, user=user) for user in others])
        audit_record(action="chat.created", actor=creator, target=chat, details={"members": [u.pk for u in others]})
    return chat


def chat_rename(*, chat: Chat, member: User, title: str) -> Chat:
    _require_member(chat, member)
    chat.title = _clean_title(title)
    chat.save(update_fields=["title", "updated_at"])
    return chat


def chat_members_add(*, chat: Chat, member: User, usernames: str | list[str]) -> list[User]:
    """Any member may add people; those already in the chat are left as they are."""
    _require_member(chat, member)
    users = _users_by_username(_usernames(usernames))
    if not users:
        raise ValidationError({"members": [_("Name at least one user to add.")]})
    with transaction.atomic():
        present = set(chat.memberships.values_list("user_id", flat=True))
        added = [user for user in users if user.pk not in present]
        Membership.objects.bulk_create([Membership(chat=chat, user=user) for user in added], ignore_conflicts=True)
        audit_record(action="chat.members_added", actor=member, target=chat, details={"users": [u.pk for u in added]})
    return added


def chat_member_remove(*, chat: Chat, owner: User, user: User) -> None:
    """Only the owner removes members; access to messages and files ends at once."""
    if _role(chat, owner) != Membership.Role.OWNER:
        raise PermissionDenied(_("Only the owner can remove members."))
    if user.pk == owner.pk:
        raise ValidationError(_("The owner leaves the chat instead of removing themselves."))
    with transaction.atomic():
        deleted, _counts = Membership.objects.filter(chat=chat, user=user).delete()
        if not deleted:
            raise ValidationError({"username": [_("This user is not a member of the chat.")]})
        audit_record(action="chat.member_removed", actor=owner, target=chat, details={"user": user.pk})


def chat_leave(*, chat: Chat, user: User) -> bool:
    """Leave a chat. An owner hands over to the longest-standing member; an empty chat is deleted.

    Returns True when the chat was deleted.
    """
    with transaction.atomic():
        locked = Chat.objects.select_for_update().filter(pk=chat.pk).first()
        if locked is None:
            return True
        membership = Membership.objects.filter(chat=locked, user=user).first()
        if membership is None:
            raise ValidationError(_("You are not a member of this chat."))
        membership.delete()
        remaining = Membership.objects.filter(chat=locked).order_by("joined_at", "id")
        successor = remaining.first()
        if successor is None:
            _chat_delete_files(locked)
            locked.delete()
            return True
        if membership.role == Membership.Role.OWNER and not remaining.filter(role=Membership.Role.OWNER).exists():
            Membership.objects.filter(pk=successor.pk).update(role=Membership.Role.OWNER)
        audit_record(action="chat.left", actor=user, target=locked)
    return False


def chat_delete(*, chat: Chat, owner: User) -> None:
    if _role(chat, owner) != Membership.Role.OWNER:
        raise PermissionDenied(_("Only the owner can delete the chat."))
    with transaction.atomic():
        audit_record(action="chat.deleted", actor=owner, target=chat, details={"title": chat.title})
        _chat_delete_files(chat)
        chat.delete()


def _chat_delete_files(chat: Chat) -> None:
    names = list(Attachment.objects.filter(message__chat=chat).values_list("file", flat=True))
    transaction.on_commit(lambda: [Attachment.file.field.storage.delete(name) for name in names])


def _role(chat: Chat, user: User) -> str | None:
    return Membership.objects.filter(chat=chat, user=user).values_list("role", flat=True).first()


def _require_member(chat: Chat, user: User) -> None:
    # Non-members must not learn that the chat exists: the same answer as for no chat at all.
    if _role(chat, user) is None:
        raise Chat.DoesNotExist


# --- Messages ------------------------------------------------------------------------------


def safe_filename(name: str) -> str:
    """The uploader's file name reduced to something safe to put in a download header."""
    name = unicodedata.normalize("NFKC", PurePosixPath((name or "").replace("\\", "/")).name)
    name = re.sub(r"[\x00-\x1f\x7f\"<>:|?*;]", "", name).strip(" .")
    return name[:200] or "file"


def _checked_upload(upload: UploadedFile) -> tuple[str, str]:
    name = safe_filename(upload.name)
    extension = PurePosixPath(name).suffix.lower().lstrip(".")
    allowed = [item.lower() for item in settings.CHAT_ATTACHMENT_TYPES]
    if extension not in allowed:
        raise ValidationError(
            {"file": [_("Files of this type are not allowed. Allowed: %(types)s.") % {"types": ", ".join(allowed)}]}
        )
    if not upload.size:
        raise ValidationError({"file": [_("The file is empty.")]})
    if upload.size > settings.CHAT_ATTACHMENT_MAX_MB * 1024 * 1024:
        raise ValidationError(
            {"file": [_("The file is too large: at most %(mb)s MB.") % {"mb": settings.CHAT_ATTACHMENT_MAX_MB}]}
        )
    return name, (upload.content_type or "application/octet-stream")[:100]


def message_send(*, chat: Chat, author: User, text: str = "", upload: UploadedFile | None = None) -> Message:
    """Post a message (text, a file or both) to a chat the author is a member of."""
    _require_member(chat, author)
    text = (text or "").strip()
    if not text and upload is None:
        raise ValidationError({"text": [_("Write a message or attach a file.")]})
    if len(text) > MAX_TEXT:
        raise ValidationError({"text": [_("A message may have at most %(max)s characters.") % {"max": MAX_TEXT}]})
    checked = _checked_upload(upload) if upload is not None else None
    stored = ""
    try:
        with transaction.atomic():
            message = Message.objects.create(chat=chat, author=author, text=text)
            if checked is not None:
                name, content_type = checked
                attachment = Attachment(
                    message=message, original_name=name, size=upload.size, content_type=content_type
                )
                attachment.file.save(name, upload, save=False)
                stored = attachment.file.name
                attachment.save()
            Chat.objects.filter(pk=chat.pk).update(last_activity_at=message.created_at)
            Membership.objects.filter(chat=chat, user=author, last_read_id__lt=message.pk).update(
                last_read_id=message.pk
            )
    except Exception:
        # Nothing was recorded, so the stored file must not stay behind either.
        if stored:
            Attachment.file.field.storage.delete(stored)
        raise
    return message


def _own_message(message_id: int, user: User) -> Message:
    message = Message.objects.filter(pk=message_id, is_deleted=False, chat__memberships__user=user).first()
    if message is None:
        raise Message.DoesNotExist
    if message.author_id != user.pk:
        raise PermissionDenied(_("Only the author can change a message."))
    return message


def message_edit(*, message_id: int, user: User, text: str) -> Message:
    message = _own_message(message_id, user)
    text = (text or "").strip()
    if not text and not message.attachments.exists():
        raise ValidationError({"text": [_("A message cannot be empty.")]})
    if len(text) > MAX_TEXT:
        raise ValidationError({"text": [_("A message may have at most %(max)s characters.") % {"max": MAX_TEXT}]})
    if text != message.text:
        message.text = text
        message.edited_at = timezone.now()
        message.save(update_fields=["text", "edited_at", "changed_at"])
    return message


def message_delete(*, message_id: int, user: User) -> Message:
    """Delete one's own message for everyone: its text and files are gone, a tombstone remains."""
    message = _own_message(message_id, user)
    with transaction.atomic():
        names = list(message.attachments.values_list("file", flat=True))
        message.attachments.all().delete()
        message.text = ""
        message.is_deleted = True
        message.save(update_fields=["text", "is_deleted", "changed_at"])
        transaction.on_commit(lambda: [Attachment.file.field.storage.delete(name) for name in names])
    return message


def chat_mark_read(*, chat: Chat, user: User, up_to: int | None = None) -> None:
    """Mark messages read up to ``up_to`` (default: the newest). Never moves backwards."""
    if up_to is None:
        up_to = Message.objects.filter(chat=chat).aggregate(newest=Max("id"))["newest"] or 0
    Membership.objects.filter(chat=chat, user=user, last_read_id__lt=up_to).update(last_read_id=up_to)


def member_account_deleted(*, user: User) -> None:
    """Before an account is deleted: its files go, its chats pass on, its messages stay (author gone)."""
    names = list(Attachment.objects.filter(message__author=user).values_list("file", flat=True))
    Attachment.objects.filter(message__author=user).delete()
    transaction.on_commit(lambda: [Attachment.file.field.storage.delete(name) for name in names])
    for chat in Chat.objects.filter(memberships__user=user):
        chat_leave(chat=chat, user=user)
