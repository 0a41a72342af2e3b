"""The Chat link's badge in the navigation bar (listed as ``badge`` in chat/sections.py)."""

from django.db.models import F
from django.utils.translation import gettext, ngettext

from accounts.types import AuthenticatedHttpRequest
from chat.models import Message
from core.sections import Badge

# The bar shows "99+" from here on. Counting stops here too: the badge is asked every few seconds
# by every open tab, and a member far behind in a million-message chat would otherwise count them all.
UNREAD_BADGE_CAP = 100


def unread_messages(request: AuthenticatedHttpRequest) -> Badge:
    """Messages by others the user has not read yet, over all of the user's chats (one query),
    counted as the chat list counts them per chat, up to ``UNREAD_BADGE_CAP``. Asked for signed-in
    users only."""
    unread = (
        Message.objects.filter(
            chat__memberships__user=request.user,
            id__gt=F("chat__memberships__last_read_id"),
            is_deleted=False,
        )
        .exclude(author=request.user)
        .values("id")
    )
    count = unread[:UNREAD_BADGE_CAP].count()
    if count >= UNREAD_BADGE_CAP:
        return Badge(count, gettext("More than 99 unread messages"))
    return Badge(count, ngettext("%(count)d unread message", "%(count)d unread messages", count) % {"count": count})
