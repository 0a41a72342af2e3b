"""Reads of the store's feedback: the bot conversation and developer threads, always the user's own."""

from django.db.models import Count, QuerySet

from accounts.models import User
from sitestore.models import BotMessage, Thread, ThreadMessage, UserSite

# The feedback page shows this many of the latest bot exchanges.
CONVERSATION_SHOWN = 50


def bot_conversation(user: User, *, limit: int = CONVERSATION_SHOWN) -> list[BotMessage]:
    """The user's latest exchanges with the bot, oldest first (as a chat reads)."""
    latest = list(BotMessage.objects.filter(user=user).order_by("-created_at", "-id")[:limit])
    return latest[::-1]


def bot_messages_of(user: User) -> QuerySet[BotMessage]:
    return BotMessage.objects.filter(user=user)


def threads_of(user: User) -> QuerySet[Thread]:
    """The user's threads, latest activity first, with their site and message count in the same query."""
    return (
        Thread.objects.filter(user=user)
        .select_related("site")
        .annotate(message_count=Count("messages"))
        .order_by("-updated_at", "-id")
    )


def thread_of(user: User, thread_id: int) -> Thread:
    """One of the user's threads; another user's raises ``Thread.DoesNotExist`` like a missing one."""
    return Thread.objects.select_related("site").get(user=user, pk=thread_id)


def thread_messages(thread: Thread) -> QuerySet[ThreadMessage]:
    return ThreadMessage.objects.filter(thread=thread).select_related("author").order_by("created_at", "id")


def thread_site_choices(user: User) -> QuerySet[UserSite]:
    """The sites a user may ask about: their own."""
    return UserSite.objects.filter(owner=user).order_by("name", "id")
