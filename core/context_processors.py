from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

from core.registry import home_sections

# The navigation bar's section links per (sections setting, language, script prefix): they change
# with nothing else, so each process renders them once instead of on every page.
_section_links: dict[tuple[tuple[str, ...], str, str], SafeString] = {}


def section_links() -> SafeString:
    """The ``<li>`` of every section for the navigation bar, in the current language."""
    key = (tuple(settings.HOME_SECTIONS), translation.get_language(), get_script_prefix())
    links = _section_links.get(key)
    if links is None:
        links = _section_links[key] = mark_safe(  # noqa: S308  # nosec B308 B703  # the template's own (escaped) output
            render_to_string("partials/nav_sections.html", {"nav_sections": home_sections()})
        )
    return links


def navigation(request: HttpRequest) -> dict[str, Any]:
    # Passed uncalled: only a page that shows the navigation bar renders (or reads) the links.
    return {"nav_sections": home_sections(), "nav_section_links": section_links}
