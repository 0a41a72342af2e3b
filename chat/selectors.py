"""Reads of the messenger: everything is scoped to the chats the user is a member of."""

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, TypedDict, overload

from django.conf import settings
from django.db import connection
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from chat.models import Attachment, Chat, Membership, Message
from core.registry import ProfilePanel
from core.selectors import count_estimate

if TYPE_CHECKING:  # django-stubs-ext is a development tool, not installed in production
    from django_stubs_ext import StrOrPromise


def chats_of(user: User) -> QuerySet[Chat]:
    """The user's chats, newest activity first, each with its last message and unread count."""
    last_message = Message.objects.filter(chat=OuterRef("pk")).order_by("-id")
    unread = (
        Message.objects.filter(chat=OuterRef("pk"), is_deleted=False, id__gt=OuterRef("my_last_read"))
        .exclude(author=user)
        .values("chat")
        .annotate(count=Count("id"))
        .values("count")
    )
    my_membership = Membership.objects.filter(chat=OuterRef("pk"), user=user)
    return (
        Chat.objects.filter(memberships__user=user)
        .annotate(
            my_last_read=Subquery(my_membership.values("last_read_id")[:1]),
            my_role=Subquery(my_membership.values("role")[:1]),
        )
        .annotate(
            unread=Coalesce(Subquery(unread), 0),
            last_text=Subquery(last_message.values("text")[:1]),
            last_deleted=Subquery(last_message.values("is_deleted")[:1]),
            last_author=Subquery(last_message.values("author__username")[:1]),
            last_has_file=Subquery(last_message.annotate(files=Count("attachments")).values("files")[:1]),
        )
        .order_by("-last_activity_at", "-id")
    )


def chat_for_member(user: User, chat_id: int) -> Chat:
    """One of the user's chats; for anyone else ``Chat.DoesNotExist`` (answered as 404)."""
    return (
        Chat.objects.filter(memberships__user=user)
        .annotate(
            my_role=Subquery(Membership.objects.filter(chat=OuterRef("pk"), user=user).values("role")[:1]),
            my_last_read=Subquery(Membership.objects.filter(chat=OuterRef("pk"), user=user).values("last_read_id")[:1]),
        )
        .get(pk=chat_id)
    )


# The API's message list runs these reads on every call. Compiled by the ORM they cost more than
# running them (0.45 → 0.15 ms, 0.6 → 0.2 ms and 1.5 → 0.7 ms on the bench's PostgreSQL), so they
# are written once.
# Table names come from the models; every value is a query parameter.
MEMBER_LAST_READ_SQL = (
    f'SELECT "last_read_id" FROM "{Membership._meta.db_table}" WHERE "chat_id" = %s AND "user_id" = %s'  # noqa: S608  # nosec B608
)
# One row per attachment of each message, or one with NULLs for a message without any; the author's
# name is NULL once the account is deleted. "{ids}" becomes a range of ids or one placeholder per id.
MESSAGE_ROWS_SQL = (
    'SELECT "m"."id", "m"."chat_id", "u"."username", "m"."text", "m"."created_at", "m"."edited_at", '  # noqa: S608  # nosec B608
    '"m"."changed_at", "m"."is_deleted", "a"."id", "a"."original_name", "a"."size", "a"."content_type" '
    f'FROM "{Message._meta.db_table}" "m" '
    f'LEFT JOIN "{User._meta.db_table}" "u" ON "u"."id" = "m"."author_id" '
    f'LEFT JOIN "{Attachment._meta.db_table}" "a" ON "a"."message_id" = "m"."id" '
    'WHERE "m"."chat_id" = %s AND {ids} ORDER BY "m"."id", "a"."id"'
)


# A first page's ids (no cursor): selecting only the id is an index-only scan of (chat, id), however
# many newer messages other chats have (tests/chat/test_api.py checks the plan).
NEWEST_IDS_SQL = f'SELECT "id" FROM "{Message._meta.db_table}" WHERE "chat_id" = %s ORDER BY "id" DESC LIMIT %s'  # noqa: S608  # nosec B608
IDS_AFTER_SQL = (
    f'SELECT "id" FROM "{Message._meta.db_table}" '  # noqa: S608  # nosec B608
    'WHERE "chat_id" = %s AND "id" > %s ORDER BY "id" LIMIT %s'
)


def first_page_ids(chat_id: int, *, after: int | None, limit: int) -> list[int]:
    """The ids of the chat's ``limit`` newest messages, newest first; with ``after``, of the ``limit``
    oldest messages after that id, oldest first (the API's first page, before its cursor pages)."""
    with connection.cursor() as cursor:
        if after is None:
            cursor.execute(NEWEST_IDS_SQL, [chat_id, limit])
        else:
            cursor.execute(IDS_AFTER_SQL, [chat_id, after, limit])
        return [row[0] for row in cursor.fetchall()]


def member_last_read(user: User, chat_id: int) -> int | None:
    """The id of the last message ``user`` has read in the chat; None when they are no member of it
    (or it does not exist), answered as 404. One lookup of the (chat, user) unique index."""
    with connection.cursor() as cursor:
        cursor.execute(MEMBER_LAST_READ_SQL, [chat_id, user.pk])
        row = cursor.fetchone()
    return None if row is None else row[0]


class AttachmentRow(TypedDict):
    id: int
    original_name: str
    size: int
    content_type: str


class MessageRow(TypedDict):
    """A message as the API lists it (``chat.api.serializers.MessageSerializer``'s fields, in its order)."""

    id: int
    chat: int
    author: str | None
    text: str
    created_at: datetime
    edited_at: datetime | None
    changed_at: datetime
    is_deleted: bool
    attachments: list[AttachmentRow]


@overload
def _aware(value: datetime) -> datetime: ...
@overload
def _aware(value: None) -> None: ...
def _aware(value: datetime | None) -> datetime | None:
    """A datetime as the ORM returns it: backends without time zones (SQLite) give it naive, in the
    connection's time zone."""
    if value is None or value.tzinfo is not None:
        return value
    return timezone.make_aware(value, connection.timezone)


def message_rows(chat_id: int, ids: Sequence[int], *, contiguous: bool = False) -> list[MessageRow]:
    """The messages of a chat with these ids, in the order of ``ids``, with their authors' names and
    attachments (oldest first), in one query as plain values: a page of the API's list.

    ``contiguous``: the ids are all of the chat's messages between the smallest and the largest (a
    page without ``changed_since``), so they are read as that range of the (chat, id) index, which
    PostgreSQL plans in less time than a list of 50 ids. No model instances and no prefetch query;
    a message gone in between is left out, one committed in between (inside the range) too.
    """
    if not ids:
        return []
    if contiguous:
        where, params = '"m"."id" BETWEEN %s AND %s', [chat_id, min(ids), max(ids)]
    else:
        where, params = '"m"."id" IN ({})'.format(", ".join(["%s"] * len(ids))), [chat_id, *ids]
    with connection.cursor() as cursor:
        cursor.execute(MESSAGE_ROWS_SQL.format(ids=where), params)
        rows = cursor.fetchall()
    wanted = set(ids)
    by_id: dict[int, MessageRow] = {}
    for pk, chat, author, text, created, edited, changed, deleted, file_id, name, size, content_type in rows:
        message = by_id.get(pk)
        if message is None:
            if pk not in wanted:
                continue
            message = by_id[pk] = {
                "id": pk,
                "chat": chat,
                "author": author,
                "text": text,
                "created_at": _aware(created),
                "edited_at": _aware(edited),
                "changed_at": _aware(changed),
                "is_deleted": bool(deleted),
                "attachments": [],
            }
        if file_id is not None:
            message["attachments"].append(
                {"id": file_id, "original_name": name, "size": size, "content_type": content_type}
            )
    return [by_id[pk] for pk in ids if pk in by_id]


def members_of(chat: Chat) -> QuerySet[Membership]:
    return chat.memberships.select_related("user").order_by("joined_at", "id")


def messages_of(chat: Chat) -> QuerySet[Message]:
    return Message.objects.filter(chat=chat).select_related("author").prefetch_related("attachments").order_by("id")


def message_page(chat: Chat, *, before: int | None = None, size: int = 50) -> tuple[list[Message], bool]:
    """The ``size`` newest messages (before id ``before``), oldest first, and whether older exist."""
    messages = messages_of(chat)
    if before:
        messages = messages.filter(id__lt=before)
    newest_first = list(messages.order_by("-id")[: size + 1])
    has_older = len(newest_first) > size
    return list(reversed(newest_first[:size])), has_older


def message_updates(chat: Chat, *, after: int, since: datetime | None = None) -> tuple[list[Message], list[Message]]:
    """Up to a page of messages newer than ``after``, and up to a page of older ones edited or deleted
    since ``since`` (the earliest changes first).

    The client asks again from the newest id and the latest change it got, so a long absence costs a
    page per poll instead of the whole history.
    """
    size = settings.CHAT_PAGE_SIZE
    new = list(messages_of(chat).filter(id__gt=after)[:size])
    changed = []
    if since is not None:
        changed = list(
            messages_of(chat).filter(id__lte=after, changed_at__gt=since).order_by("changed_at", "id")[:size]
        )
    return new, changed


def shared_chats(user: User, other: User) -> QuerySet[Chat]:
    return Chat.objects.filter(memberships__user=user).filter(memberships__user=other).distinct().order_by("title")


def profile_panel(*, viewer: User, person: User) -> ProfilePanel | None:
    """The chats ``viewer`` shares with ``person``, for ``person``'s public profile (none on one's own)."""
    if viewer.pk == person.pk:
        return None
    chats = list(shared_chats(viewer, person))
    return ProfilePanel("chat/_profile_panel.html", {"chats": chats}) if chats else None


def home_stats() -> "list[tuple[StrOrPromise, int]]":
    """Numbers for the messenger's widget on the platform home page (large counts are estimates)."""
    messages = count_estimate(Message.objects.filter(is_deleted=False))
    return [(_("Chats"), Chat.objects.count()), (_("Messages"), messages)]


def own_message(user: User, message_id: int) -> Message | None:
    """The user's own message (not deleted, in a chat they still belong to), or None."""
    return (
        Message.objects.filter(pk=message_id, author=user, is_deleted=False, chat__memberships__user=user)
        .select_related("chat")
        .first()
    )


# Image types shown in the browser (``?inline=1``): the type follows the extension, which the upload
# check verified with Pillow; SVG is no attachment type, as it can carry scripts.
INLINE_IMAGE_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "bmp": "image/bmp",
}


def inline_image_type(name: str) -> str | None:
    """The content type an attachment of this name is shown with, or None when it is only downloaded."""
    return INLINE_IMAGE_TYPES.get(name.rpartition(".")[2].lower()) if "." in name else None


def attachment_download(user: User, attachment_id: int, *, inline: bool = False) -> FileResponse:
    """A member's download of an attachment under its original name; anyone else gets ``Http404``.

    ``inline``: an image is shown in the browser instead (other files are downloaded all the same).
    """
    attachment = Attachment.objects.filter(
        pk=attachment_id, message__chat__memberships__user=user, message__is_deleted=False
    ).first()
    if attachment is None:
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    image_type = inline_image_type(attachment.original_name) if inline else None
    response = FileResponse(handle, as_attachment=image_type is None, filename=attachment.original_name)
    response["Content-Type"] = image_type or "application/octet-stream"
    response["X-Content-Type-Options"] = "nosniff"
    if image_type:
        # Opened on its own, the image is a document of this site's origin: it may run nothing.
        response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    return response
