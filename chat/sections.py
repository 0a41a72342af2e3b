"""This app's section of the platform (navigation bar and home page), listed in HOME_SECTIONS."""

from django.utils.translation import gettext_lazy as _

from core.sections import Section

SECTION = Section(
    "chat",
    _("Chat"),
    _("Private group chats with attachments and live updates."),
    url_name="chat:list",
    stats="chat.selectors.home_stats",
    badge="chat.badges.unread_messages",
)
