import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import get_script_prefix, reverse
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

from core.registry import home_sections

# The navigation bar's section links per (sections setting, language, script prefix), with the path
# prefix of each section: they change with nothing else, so each process renders them once instead
# of on every page. The links carry a marker per section ([[active:shop]], [[current:shop]]) that
# each request fills for its own section and empties for the others (one regular expression pass).
_section_links: dict[tuple[tuple[str, ...], str, str], tuple[str, tuple[tuple[str, str], ...]]] = {}
_MARKER = re.compile(r"\[\[(active|current):([\w-]+)\]\]")
_FILLED = {"active": " active", "current": ' aria-current="page"'}


def _rendered_links() -> tuple[str, tuple[tuple[str, str], ...]]:
    key = (tuple(settings.HOME_SECTIONS), translation.get_language(), get_script_prefix())
    cached = _section_links.get(key)
    if cached is None:
        sections = [section for section in home_sections() if section.url_name]
        # A section's pages are the ones under the first segment of its URL ("/shop/" for all the shop).
        prefixes = tuple(
            (reverse(section.url_name).removeprefix(key[2]).split("/", 1)[0], section.key) for section in sections
        )
        html = render_to_string("partials/nav_sections.html", {"nav_sections": sections})
        cached = _section_links[key] = (html, tuple((f"{key[2]}{first}/", name) for first, name in prefixes if first))
    return cached


def current_section(path: str) -> str | None:
    """The key of the section whose pages ``path`` is under, if any."""
    for prefix, key in _rendered_links()[1]:
        if path.startswith(prefix):
            return key
    return None


def section_links(path: str = "") -> SafeString:
    """The ``<li>`` of every built section for the navigation bar, in the current language, with the
    section ``path`` belongs to marked as the current page."""
    html, _prefixes = _rendered_links()
    active = current_section(path)
    return mark_safe(  # noqa: S308  # nosec B308 B703  # the template's own (escaped) output
        _MARKER.sub(lambda match: _FILLED[match[1]] if match[2] == active else "", html)
    )


def navigation(request: HttpRequest) -> dict[str, Any]:
    # Passed uncalled: only a page that shows the navigation bar renders (or reads) the links.
    links: Callable[[], SafeString] = lambda: section_links(request.path)  # noqa: E731
    return {"nav_sections": home_sections(), "nav_section_links": links}
