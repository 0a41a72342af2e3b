"""The messenger's settings that have a default here rather than in ``config/settings``."""

from django.conf import settings

# How many files one message may carry (each within CHAT_ATTACHMENT_MAX_MB).
ATTACHMENTS_PER_MESSAGE = 10


def attachments_per_message() -> int:
    return int(getattr(settings, "CHAT_ATTACHMENTS_PER_MESSAGE", ATTACHMENTS_PER_MESSAGE))
