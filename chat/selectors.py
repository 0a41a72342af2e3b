"""Reads of the messenger: everything is scoped to the chats the user is a member of."""

from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404
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


def attachment_download(user: User, attachment_id: int) -> FileResponse:
    """A member's download of an attachment under its original name; anyone else gets ``Http404``."""
    attachment = Attachment.objects.filter(
        pk=attachment_id, message__chat__memberships__user=user, message__is_deleted=False
    ).first()
    if attachment is None:
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=attachment.original_name)
    response["Content-Type"] = "application/octet-stream"
    response["X-Content-Type-Options"] = "nosniff"
    return response
