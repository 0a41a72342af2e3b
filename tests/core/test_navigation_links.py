"""The navigation bar's section links are rendered once per language (core.context_processors)."""

import pytest
from django.conf import settings
from django.urls import reverse

from core import context_processors

pytestmark = pytest.mark.django_db


def section_link_renders(response) -> int:
    return sum(1 for template in response.templates if template.name == "partials/nav_sections.html")


@pytest.fixture(autouse=True)
def _fresh_links(monkeypatch):
    monkeypatch.setattr(context_processors, "_section_links", {})


def test_the_section_links_are_rendered_once_per_language(client):
    home = reverse("core:home")
    assert section_link_renders(client.get(home)) == 1
    again = client.get(home)
    assert section_link_renders(again) == 0
    assert f'<a class="nav-link" href="{reverse("shop:product-list")}">Shop</a>' in again.content.decode()

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    russian = client.get(home)

    assert section_link_renders(russian) == 1
    assert ">Магазин</a>" in russian.content.decode()


def test_changed_sections_are_shown(client, settings):
    client.get(reverse("core:home"))
    settings.HOME_SECTIONS = ["tests.core.test_registry.GARDEN"]

    html = client.get(reverse("core:home")).content.decode()

    assert "#section-garden" in html
    assert ">Shop</a>" not in html
