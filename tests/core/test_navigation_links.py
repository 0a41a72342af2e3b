"""The navigation bar: section links rendered once per language (core.context_processors), the current
section highlighted, sections not built left out, and the badges' endpoint (core.views.nav_badges)."""

import re

import pytest
from django.conf import settings
from django.test import RequestFactory
from django.urls import reverse

from chat.badges import UNREAD_BADGE_CAP, unread_messages
from chat.models import Membership
from core import context_processors
from core.sections import Badge
from shop.badges import cart_items
from shop.models import CartItem
from tests.chat_factories import ChatFactory, MessageFactory
from tests.factories import ProductFactory

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
    settings.HOME_SECTIONS = ["tests.core.test_registry.GARDEN", "blog.sections.SECTION"]

    html = client.get(reverse("core:home")).content.decode()

    assert f'<a class="nav-link" href="{reverse("blog:list")}">Blog</a>' in html
    assert ">Shop</a>" not in html


# --- the current section -------------------------------------------------------------------

ACTIVE_SHOP = f'<a class="nav-link active" href="{reverse("shop:product-list")}" aria-current="page">Shop</a>'
ACTIVE_CHAT = f'<a class="nav-link active" href="{reverse("chat:list")}" aria-current="page">Chat</a>'


def current_links(html: str) -> list[str]:
    return re.findall(r'<a class="nav-link active"[^>]*aria-current="page">([^<]*)</a>', html)


@pytest.mark.parametrize("path", ["/shop/", "/shop/cart/", "/shop/no-such-page/"])
def test_every_page_of_a_section_highlights_that_section_only(client, user, path):
    client.force_login(user)

    html = client.get(path).content.decode()

    assert ACTIVE_SHOP in html
    assert current_links(html) == ["Shop"]


def test_a_chat_page_highlights_chat_and_the_cached_links_serve_both_sections(client, user):
    chat = ChatFactory(created_by=user)
    client.force_login(user)
    client.get("/shop/")

    response = client.get(reverse("chat:detail", args=[chat.pk]))
    html = response.content.decode()

    assert section_link_renders(response) == 0  # the links rendered for /shop/ serve here too
    assert ACTIVE_CHAT in html
    assert current_links(html) == ["Chat"]
    assert ACTIVE_SHOP not in html


def test_the_home_page_highlights_home_and_no_section(client):
    html = client.get(reverse("core:home")).content.decode()

    assert current_links(html) == ["Home"]
    assert "[[" not in html


def test_a_page_outside_every_section_highlights_nothing(client):
    html = client.get(reverse("accounts:login")).content.decode()

    assert current_links(html) == []
    assert "[[" not in html


def test_sections_not_built_yet_are_left_out_of_the_bar_but_listed_as_coming_soon_at_home(client, settings):
    settings.HOME_SECTIONS = ["tests.core.test_registry.GARDEN", "shop.sections.SECTION"]

    html = client.get(reverse("core:home")).content.decode()

    navbar = html[html.index("<nav") : html.index("</nav>")]
    assert "Garden" not in navbar and "#section-garden" not in navbar
    assert ">Shop</a>" in navbar
    assert 'id="section-garden"' in html and "Coming soon" in html


# --- badges --------------------------------------------------------------------------------

BADGES = reverse("core:nav-badges")


def test_pages_name_the_badge_endpoint_for_signed_in_visitors_only_and_never_count_badges(client, user, monkeypatch):
    def must_not_run(request):
        raise AssertionError("a page counted a badge")

    monkeypatch.setattr("chat.badges.unread_messages", must_not_run)
    monkeypatch.setattr("shop.badges.cart_items", must_not_run)
    anonymous = client.get("/shop/").content.decode()
    client.force_login(user)

    signed_in = client.get("/shop/").content.decode()

    assert "data-nav-badges" not in anonymous
    assert f'data-nav-badges="{BADGES}"' in signed_in
    assert 'data-nav-badge="chat" hidden' in signed_in and 'data-nav-badge="shop" hidden' in signed_in


def test_anonymous_visitors_get_no_badges_and_no_redirect(client):
    response = client.get(BADGES)

    assert response.status_code == 401
    assert response.json() == {"code": 401, "message": "Unauthorized"}
    assert "no-store" in response["Cache-Control"]


def test_badges_count_unread_messages_over_all_chats_and_the_cart(
    client, user, django_assert_num_queries, django_assert_max_num_queries
):
    first, second, not_mine = ChatFactory(members=[user]), ChatFactory(members=[user]), ChatFactory()
    MessageFactory.create_batch(2, chat=first)
    MessageFactory(chat=second)
    MessageFactory(chat=second, author=user)  # one's own message is not unread
    MessageFactory(chat=second, is_deleted=True)
    MessageFactory(chat=not_mine)
    read = MessageFactory(chat=first)
    Membership.objects.filter(chat=first, user=user).update(last_read_id=read.pk - 1)
    MessageFactory(chat=first)
    CartItem.objects.create(user=user, product=ProductFactory(), quantity=2)
    CartItem.objects.create(user=user, product=ProductFactory(), quantity=1)
    client.force_login(user)
    request = RequestFactory().get(BADGES)
    request.user = user
    for provider in (unread_messages, cart_items):
        with django_assert_num_queries(1):
            provider(request)

    client.get(BADGES)  # a browser's first request of a session writes its "last seen" once

    # The session (from the cache with Redis) and the user, then one query per badge.
    with django_assert_max_num_queries(4):
        response = client.get(BADGES)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response.json() == {
        "shop": {"count": 3, "label": "3 items in the cart"},
        "chat": {"count": 3, "label": "3 unread messages"},
    }


def test_badges_are_zero_with_nothing_unread_and_an_empty_cart(client, user):
    chat = ChatFactory(members=[user])
    message = MessageFactory(chat=chat)
    Membership.objects.filter(chat=chat, user=user).update(last_read_id=message.pk)
    client.force_login(user)

    assert client.get(BADGES).json() == {
        "shop": {"count": 0, "label": "0 items in the cart"},
        "chat": {"count": 0, "label": "0 unread messages"},
    }


def test_badge_labels_are_in_the_visitors_language(client, user):
    chat = ChatFactory(members=[user])
    MessageFactory(chat=chat)
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"

    badges = client.get(BADGES).json()

    # Russian arrives with the lead's catalogue merge (ru-platform.json).
    assert badges["chat"] == {"count": 1, "label": "1 непрочитанное сообщение"}


def test_only_built_sections_with_a_badge_are_asked(client, user, settings):
    settings.HOME_SECTIONS = ["tests.core.test_registry.GARDEN", "chat.sections.SECTION", "blog.sections.SECTION"]
    client.force_login(user)

    assert client.get(BADGES).json() == {"chat": {"count": 0, "label": "0 unread messages"}}


def test_the_badge_endpoint_answers_get_only(client, user):
    client.force_login(user)

    response = client.post(BADGES)

    assert response.status_code == 405
    assert response["Allow"] == "GET"


def test_the_unread_badge_stops_counting_at_its_cap(user, django_assert_num_queries):
    chat = ChatFactory(members=[user])
    MessageFactory.create_batch(UNREAD_BADGE_CAP + 5, chat=chat)
    request = RequestFactory().get(BADGES)
    request.user = user

    with django_assert_num_queries(1) as queries:
        badge = unread_messages(request)

    assert badge == Badge(UNREAD_BADGE_CAP, "More than 99 unread messages")
    assert f"LIMIT {UNREAD_BADGE_CAP}" in queries.captured_queries[0]["sql"]
