"""The Chat link's badge in the navigation bar (listed as ``badge`` in chat/sections.py)."""

from django.db.models import F
from django.utils.translation import ngettext

from accounts.types import AuthenticatedHttpRequest
from chat.models import Message
from core.sections import Badge


def unread_messages(request: AuthenticatedHttpRequest) -> Badge:
    """Messages by others the user has not read yet, over all of the user's chats (one query),
    counted as the chat list counts them per chat. Asked for signed-in users only."""
    count = (
        Message.objects.filter(
            chat__memberships__user=request.user,
            id__gt=F("chat__memberships__last_read_id"),
            is_deleted=False,
        )
        .exclude(author=request.user)
        .count()
    )
    return Badge(count, ngettext("%(count)d unread message", "%(count)d unread messages", count) % {"count": count})
