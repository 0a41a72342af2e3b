"""Where apps plug into shared pages and commands without ``core`` or ``accounts`` importing them.

Each registry is a setting listing dotted paths (``config/settings/base.py``), resolved when used:

- ``PROFILE_PANELS``: functions ``(viewer=..., person=...) -> ProfilePanel | None``; the public
  profile shows each returned panel's partial template (e.g. the chats two people share).
- ``DEMO_FILLERS``: functions ``(scale=..., stdout=...)`` creating an app's demo data, run by
  ``manage.py fill`` in the listed order (accounts first: the others need its people).
- ``HOME_SECTIONS``: each app's ``core.sections.Section``, in navigation order: the navigation
  bar and the home page (one widget per section, with the numbers of its ``stats`` function).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

from core.sections import Section


@dataclass(frozen=True)
class ProfilePanel:
    """One app's part of a public profile: a partial template and what it shows (as ``panel``)."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)


def registered(setting: str) -> list[Callable[..., Any]]:
    """The functions a registry setting names, in its order."""
    return [import_string(path) for path in getattr(settings, setting)]


def home_sections() -> tuple[Section, ...]:
    """The platform's sections in navigation order."""
    return tuple(import_string(path) for path in settings.HOME_SECTIONS)


def profile_panels(*, viewer: Any, person: Any) -> list[ProfilePanel]:
    """The panels the apps show ``viewer`` on ``person``'s public profile (those with something to show)."""
    panels = (panel(viewer=viewer, person=person) for panel in registered("PROFILE_PANELS"))
    return [panel for panel in panels if panel is not None]
