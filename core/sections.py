"""A section of the platform, as shown in the navigation bar and on the home page.

Each app declares its own ``SECTION`` in ``<app>/sections.py`` and is listed in the
``HOME_SECTIONS`` setting, in navigation order (read through ``core.registry.home_sections``).
A section whose app has no pages yet has ``url_name=None``: the bar and the home page say it is
coming soon. An app that ships pages sets its ``url_name`` and, optionally, a ``stats`` function
(dotted path) that returns ``[(label, number), ...]`` for its home-page widget.
"""

from dataclasses import dataclass

from django.utils.functional import Promise


@dataclass(frozen=True)
class Section:
    key: str
    title: str | Promise
    description: str | Promise
    url_name: str | None = None
    stats: str | None = None
