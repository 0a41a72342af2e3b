"""Every write of the messenger goes through these functions."""

import re
import unicodedata
from collections.abc import Sequence
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import ProhibitNullCharactersValidator
from django.db import transaction
from django.db.models import Max
from django.db.models.functions import Lower
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from chat.models import Attachment, Chat, Membership, Message
from core.images import image_header_check
from core.services import audit_record
from core.storage import files_delete_on_commit

MAX_TEXT = 10_000
MAX_FILENAME = 200
# Control, format (e.g. right-to-left override), surrogate and line/paragraph separator characters.
UNSAFE_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}
# Attachments with these extensions must really be images (checked with Pillow, as SPEC §3 asks).
IMAGE_EXTENSIONS = {"png", "jpg", "jpeg", "gif", "webp", "bmp"}


def _text_input(value: object, *, field: str) -> str:
    """Typed text as a string; a NUL character (which no database column stores) is a form error."""
    text = "" if value is None else str(value)
    try:
        ProhibitNullCharactersValidator()(text)
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from None
    return text


def _usernames(raw: str | list[str]) -> list[str]:
    """Usernames from a list or from text separated by commas or spaces, without duplicates."""
    items = raw if isinstance(raw, list) else re.split(r"[\s,;]+", raw or "")
    items = [_text_input(item, field="members") for item in items]
    seen: dict[str, None] = {}
    for item in items:
        name = str(item).strip().lstrip("@")
        if name:
            seen.setdefault(name, None)
    return list(seen)


def _users_by_username(usernames: list[str]) -> list[User]:
    """Active users by username, each once; every unknown name is named in one error.

    Usernames are unique as typed ("anna" and "Anna" are two people), so an exact match wins; a name
    typed in another case finds the one user it can only mean, and is unknown when it is ambiguous.
    """
    if not usernames:
        return []
    candidates = User.objects.annotate(username_lower=Lower("username")).filter(
        username_lower__in={name.lower() for name in usernames}, is_active=True
    )
    exact: dict[str, User] = {}
    by_lower: dict[str, list[User]] = {}
    for user in candidates:
        exact[user.username] = user
        by_lower.setdefault(user.username.lower(), []).append(user)
    found: dict[int, User] = {}
    missing: list[str] = []
    for name in usernames:
        matches = by_lower.get(name.lower(), [])
        match = exact.get(name) or (matches[0] if len(matches) == 1 else None)
        if match is None:
            missing.append(name)
        else:
            found.setdefault(match.pk, match)
    if missing:
        raise ValidationError(
            {"members": [_("Unknown usernames: %(names)s.") % {"names": ", ".join(missing)}]}, code="unknown_users"
        )
    return list(found.values())


def _clean_title(title: str) -> str:
    title = " ".join(_text_input(title, field="title").split())
    if not title:
        raise ValidationError({"title": [_("Give the chat a title.")]})
    if len(title) > 100:
        raise ValidationError({"title": [_("The title may have at most 100 characters.")]})
    return title


def chat_create(*, creator: User, title: str, members: str | list[str]) -> Chat:
    """Create a chat: the creator becomes its owner, the named users its members.

    A bad title and unknown usernames are reported together, so one correction is enough.
    """
    errors: dict[str, list[str]] = {}
    try:
        title = _clean_title(title)
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        others = [user for user in _users_by_username(_usernames(members)) if user.pk != creator.pk]
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        chat = Chat.objects.create(title=title, created_by=creator)
        Membership.objects.create(chat=chat, user=creator, role=Membership.Role.OWNER)
        Membership.objects.bulk_create([Membership(chat=chat, user=user) for user in others])
        audit_record(action="chat.created", actor=creator, target=chat, details={"members": [u.pk for u in others]})
    return chat


def chat_rename(*, chat: Chat, member: User, title: str) -> Chat:
    """Any member may rename the chat."""
    _require_member(chat, member)
    title = _clean_title(title)
    with transaction.atomic():
        old_title, chat.title = chat.title, title
        chat.save(update_fields=["title", "updated_at"])
        audit_record(action="chat.renamed", actor=member, target=chat, details={"from": old_title, "to": title})
    return chat


def chat_members_add(*, chat: Chat, member: User, usernames: str | list[str]) -> list[User]:
    """Any member may add people; those already in the chat are left as they are.

    Newcomers see the history, but only what is written after they joined counts as unread.
    """
    _require_member(chat, member)
    users = _users_by_username(_usernames(usernames))
    if not users:
        raise ValidationError({"members": [_("Name at least one user to add.")]})
    with transaction.atomic():
        present = set(chat.memberships.values_list("user_id", flat=True))
        added = [user for user in users if user.pk not in present]
        newest = Message.objects.filter(chat=chat).aggregate(newest=Max("id"))["newest"] or 0
        Membership.objects.bulk_create(
            [Membership(chat=chat, user=user, last_read_id=newest) for user in added], ignore_conflicts=True
        )
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


# --- Moderation (the admin) ----------------------------------------------------------------
# Like Zulip's moderators, staff may rename or delete a chat and delete any message for everyone;
# they do not write messages, edit others' words or change memberships (the members' own business).
# Who counts as a moderator is the admin's permission check (chat.change_chat, chat.delete_chat, ...).


def chat_moderate_rename(*, chat: Chat, moderator: User, title: str, request: HttpRequest | None = None) -> Chat:
    title = _clean_title(title)
    with transaction.atomic():
        old_title, chat.title = Chat.objects.values_list("title", flat=True).get(pk=chat.pk), title
        chat.save(update_fields=["title", "updated_at"])
        audit_record(
            action="chat.moderator_renamed",
            actor=moderator,
            target=chat,
            request=request,
            details={"from": old_title, "to": title},
        )
    return chat


def chat_moderate_delete(*, chat: Chat, moderator: User, request: HttpRequest | None = None) -> None:
    """Delete a chat with its messages; its private files are removed once the deletion commits."""
    with transaction.atomic():
        audit_record(
            action="chat.moderator_deleted",
            actor=moderator,
            target=chat,
            request=request,
            details={"title": chat.title},
        )
        _chat_delete_files(chat)
        chat.delete()


def message_moderate_delete(*, message: Message, moderator: User, request: HttpRequest | None = None) -> Message:
    """Delete anyone's message for everyone, as its author can: a tombstone remains, the files go."""
    with transaction.atomic():
        _message_erase(message)
        audit_record(
            action="chat.message_moderator_deleted",
            actor=moderator,
            target=message.chat,
            request=request,
            details={"message": message.pk, "author": message.author_id},
        )
    return message


def _chat_delete_files(chat: Chat) -> None:
    names = list(Attachment.objects.filter(message__chat=chat).values_list("file", flat=True))
    files_delete_on_commit(Attachment.file.field.storage, names)


def _role(chat: Chat, user: User) -> str | None:
    return Membership.objects.filter(chat=chat, user=user).values_list("role", flat=True).first()


def _require_member(chat: Chat, user: User) -> None:
    # Non-members must not learn that the chat exists: the same answer as for no chat at all.
    if _role(chat, user) is None:
        raise Chat.DoesNotExist


# --- Messages ------------------------------------------------------------------------------


def safe_filename(name: str) -> str:
    """The uploader's file name reduced to something safe to put in a download header.

    Normalised first (NFKC turns a full-width "／" into "/"), then cut to its last path part, without
    control and format characters (a right-to-left override could disguise the extension).
    """
    name = unicodedata.normalize("NFKC", name or "").replace("\\", "/")
    name = PurePosixPath(name).name
    name = "".join(char for char in name if unicodedata.category(char) not in UNSAFE_CATEGORIES)
    name = re.sub(r'["<>:|?*;/]', "", name).strip(" .")
    if len(name) > MAX_FILENAME:
        # Shorten the stem, not the extension: the type check and the download need it.
        suffix = PurePosixPath(name).suffix
        suffix = suffix if len(suffix) <= 16 else ""
        name = name[: MAX_FILENAME - len(suffix)].rstrip(" .") + suffix
    return name or "file"


def _checked_upload(upload: "UploadedFile[bytes]") -> tuple[str, str]:
    name = safe_filename(upload.name or "")
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
    if extension in IMAGE_EXTENSIONS:
        # Stored as uploaded, never decoded here; but a viewer will decode it, so the same limits apply.
        image_header_check(upload, field="file")
    return name, (upload.content_type or "application/octet-stream")[:100]


def attachments_limit_message() -> str:
    """What a message with too many files is told (the page's script says it before sending too)."""
    limit = settings.CHAT_ATTACHMENTS_PER_MESSAGE
    return ngettext(
        "A message may carry at most %(count)s file.", "A message may carry at most %(count)s files.", limit
    ) % {"count": limit}


def _checked_uploads(uploads: "Sequence[UploadedFile[bytes]]") -> list[Attachment]:
    """Unsaved attachments for the uploads, once every one of them has passed the checks.

    All refusals are reported together (each with its file's name when there are several), so one
    correction is enough and nothing is written while any file is wrong.
    """
    if len(uploads) > settings.CHAT_ATTACHMENTS_PER_MESSAGE:
        raise ValidationError({"file": [attachments_limit_message()]})
    attachments: list[Attachment] = []
    errors: list[str] = []
    for upload in uploads:
        try:
            name, content_type = _checked_upload(upload)
        except ValidationError as error:
            if len(uploads) == 1:
                raise
            label = safe_filename(upload.name or "")
            errors += [_("%(name)s: %(error)s") % {"name": label, "error": text} for text in error.messages]
        else:
            attachments.append(Attachment(original_name=name, size=upload.size or 0, content_type=content_type))
    if errors:
        raise ValidationError({"file": errors})
    return attachments


def _normalised_lines(text: str) -> str:
    # Browsers send a textarea's line breaks as CRLF; one form is stored, whatever the client.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def message_send(*, chat: Chat, author: User, text: str = "", uploads: "Sequence[UploadedFile[bytes]]" = ()) -> Message:
    """Post a message (text, files or both) to a chat the author is a member of.

    Every file is checked before any is stored: a refused one leaves nothing behind.
    """
    _require_member(chat, author)
    text = _normalised_lines(_text_input(text, field="text")).strip()
    if not text and not uploads:
        raise ValidationError({"text": [_("Write a message or attach a file.")]})
    if len(text) > MAX_TEXT:
        raise ValidationError({"text": [_("A message may have at most %(max)s characters.") % {"max": MAX_TEXT}]})
    attachments = _checked_uploads(uploads)
    written: list[str] = []
    try:
        for attachment, upload in zip(attachments, uploads, strict=True):
            # Written before the transaction: a message's id is taken only moments before it commits, so
            # a poller that has seen a newer id has not skipped this one while a large file was written.
            attachment.file.save(attachment.original_name, upload, save=False)
            written.append(str(attachment.file.name))
        with transaction.atomic():
            message = Message.objects.create(chat=chat, author=author, text=text)
            for attachment in attachments:
                attachment.message = message
                attachment.save()
            Chat.objects.filter(pk=chat.pk, last_activity_at__lt=message.created_at).update(
                last_activity_at=message.created_at
            )
            Membership.objects.filter(chat=chat, user=author, last_read_id__lt=message.pk).update(
                last_read_id=message.pk
            )
    except Exception:
        # Nothing was recorded, so the stored files must not stay behind either.
        for name in written:
            Attachment.file.field.storage.delete(name)
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
    text = _normalised_lines(_text_input(text, field="text")).strip()
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
        _message_erase(message)
    return message


def _message_erase(message: Message) -> None:
    names = list(message.attachments.values_list("file", flat=True))
    message.attachments.all().delete()
    message.text = ""
    message.is_deleted = True
    message.save(update_fields=["text", "is_deleted", "changed_at"])
    files_delete_on_commit(Attachment.file.field.storage, names)


def chat_mark_read(*, chat: Chat | int, user: User, up_to: int | None = None) -> None:
    """Mark messages read up to ``up_to`` (default: the newest). Never moves backwards.

    ``chat`` may be the chat's id: the API's message list reads no chat row.
    """
    if up_to is None:
        up_to = Message.objects.filter(chat=chat).aggregate(newest=Max("id"))["newest"] or 0
    Membership.objects.filter(chat=chat, user=user, last_read_id__lt=up_to).update(last_read_id=up_to)


def member_account_deleted(*, user: User) -> None:
    """Before an account is deleted: its files go, its chats pass on, its messages stay (author gone)."""
    names = list(Attachment.objects.filter(message__author=user).values_list("file", flat=True))
    Attachment.objects.filter(message__author=user).delete()
    files_delete_on_commit(Attachment.file.field.storage, names)
    for chat in Chat.objects.filter(memberships__user=user):
        chat_leave(chat=chat, user=user)
