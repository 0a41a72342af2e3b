"""The platform's sections, as shown in the navigation bar and on the home page.

A section whose app has no pages yet has ``url_name=None``: the bar and the home page say it is
coming soon. An app that ships pages sets its ``url_name`` and, optionally, a ``stats`` function
(dotted path) that returns ``[(label, number), ...]`` for its home-page widget.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Section:
    key: str
    title: Promise
    description: Promise
    url_name: str | None = None
    stats: str | None = None


SECTIONS: tuple[Section, ...] = (
    Section(
        "shop",
        _("Shop"),
        _("Products from trusted brands, a cart, orders and recommendations."),
        url_name="shop:product-list",
        stats="shop.selectors.home_stats",
    ),
    Section(
        "sites",
        _("Sites"),
        _("Ready-made site templates with live previews of the sites you buy."),
    ),
    Section(
        "chat",
        _("Chat"),
        _("Private group chats with attachments and live updates."),
        url_name="chat:list",
        stats="chat.selectors.home_stats",
    ),
    Section(
        "crowdfunding",
        _("Crowdfunding"),
        _("Fund beginner bloggers, join their teams and promote their work."),
    ),
    Section(
        "mailings",
        _("Mailings"),
        _("Email campaigns to your clients on a schedule, with statistics."),
        url_name="mailings:home",
        stats="mailings.selectors.home_stats",
    ),
    Section(
        "blog",
        _("Blog"),
        _("News and articles from the Agora team."),
        url_name="blog:list",
        stats="blog.selectors.home_stats",
    ),
)
