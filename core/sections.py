"""A section of the platform, as shown in the navigation bar and on the home page.

Each app declares its own ``SECTION`` in ``<app>/sections.py`` and is listed in the
``HOME_SECTIONS`` setting, in navigation order (read through ``core.registry.home_sections``).
A section whose app has no pages yet has ``url_name=None``: the home page says it is coming soon
and the navigation bar leaves it out. An app that ships pages sets its ``url_name`` and, optionally:

- ``stats``: a function (dotted path) returning ``[(label, number), ...]`` for its home-page widget;
- ``badge``: a function (dotted path) ``(request) -> Badge`` for the number beside its link in the
  navigation bar (unread messages, items in the cart). Pages never call it: the bar's script asks
  ``core:nav-badges`` for every badge at once, so no page pays a query for them.
"""

from dataclasses import dataclass

from django.utils.functional import Promise


@dataclass(frozen=True)
class Badge:
    """A section's number for the navigation bar and its spoken form ("3 unread messages")."""

    count: int
    label: str


@dataclass(frozen=True)
class Section:
    key: str
    title: str | Promise
    description: str | Promise
    url_name: str | None = None
    stats: str | None = None
    badge: str | None = None
