"""Orientation and error pages in a real browser: the current section highlighted, the Chat and
Shop badges updating without a reload, and the branded 404, 403 (admin), 405 and CSRF pages."""

import re

import pytest
from playwright.sync_api import expect

from chat.services import chat_create, message_send
from shop.models import CartItem
from tests.e2e.helpers import DESKTOP, PHONE, fits_width
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.e2e


def test_the_current_section_is_highlighted_on_each_of_its_pages(page, server_url, log_in, shot, console_errors):
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    chat = chat_create(creator=alice, title="Trip", members=[bob.username])
    log_in(alice)
    navbar = page.locator("nav.navbar")

    page.goto(f"{server_url}/shop/")
    shop = navbar.get_by_role("link", name="Shop", exact=True)
    expect(shop).to_have_attribute("aria-current", "page")
    expect(shop).to_have_class(re.compile(r"\bactive\b"))
    expect(navbar.locator("[aria-current=page]")).to_have_count(1)
    shot("01-shop-1280")

    page.goto(f"{server_url}/chat/{chat.pk}/")
    expect(navbar.get_by_role("link", name="Chat", exact=True)).to_have_attribute("aria-current", "page")
    expect(shop).not_to_have_attribute("aria-current", "page")
    expect(navbar.locator("[aria-current=page]")).to_have_count(1)
    shot("02-chat-1280")

    page.set_viewport_size(PHONE)
    page.locator(".navbar-toggler").click()
    expect(page.locator("#main-nav")).to_have_class(re.compile(r"\bshow\b"))
    expect(navbar.get_by_role("link", name="Chat", exact=True)).to_have_class(re.compile(r"\bactive\b"))
    assert fits_width(page)
    shot("03-chat-390")
    assert console_errors == []


def test_badges_appear_without_a_reload_when_a_message_arrives_and_the_cart_fills(
    page, server_url, log_in, shot, console_errors
):
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    chat = chat_create(creator=bob, title="Plans", members=[alice.username])
    log_in(alice)
    asked: list[str] = []
    page.on("request", lambda request: "/nav/badges/" in request.url and asked.append(request.url))
    page.goto(f"{server_url}/")
    chat_badge = page.locator("[data-nav-badge=chat]")
    shop_badge = page.locator("[data-nav-badge=shop]")
    page.wait_for_load_state("networkidle")
    assert asked, "the bar asks for its badges on load"
    expect(chat_badge).to_be_hidden()
    expect(shop_badge).to_be_hidden()

    message_send(chat=chat, author=bob, text="Are you coming?")
    message_send(chat=chat, author=bob, text="Tell me by Friday")
    CartItem.objects.create(user=alice, product=ProductFactory(), quantity=2)

    # The next poll (every 10 s) brings them: no reload.
    expect(chat_badge).to_be_visible(timeout=15_000)
    expect(chat_badge).to_contain_text("2")
    expect(chat_badge.locator(".visually-hidden")).to_have_text("2 unread messages")
    expect(shop_badge).to_be_visible()
    expect(shop_badge.locator(".visually-hidden")).to_have_text("2 items in the cart")
    shot("01-badges-1280")

    page.set_viewport_size(PHONE)
    page.locator(".navbar-toggler").click()
    expect(page.locator("#main-nav")).to_have_class(re.compile(r"\bshow\b"))
    expect(chat_badge).to_be_visible()
    assert fits_width(page)
    shot("02-badges-390")

    # Reading the chat clears its badge on the next poll.
    page.goto(f"{server_url}/chat/{chat.pk}/")
    page.goto(f"{server_url}/")
    expect(page.locator("[data-nav-badge=chat]")).to_be_hidden()
    assert console_errors == []


def test_anonymous_visitors_ask_for_no_badges(page, server_url, console_errors):
    asked: list[str] = []
    page.on("request", lambda request: "/nav/badges/" in request.url and asked.append(request.url))

    page.goto(f"{server_url}/")
    page.wait_for_load_state("networkidle")

    assert asked == []
    assert console_errors == []


def both_widths(page, shot, name: str) -> None:
    """Screenshots at 1280 and 390 px; at 390 px nothing scrolls sideways."""
    page.set_viewport_size(DESKTOP)
    shot(f"{name}-1280")
    page.set_viewport_size(PHONE)
    assert fits_width(page)
    shot(f"{name}-390")
    page.set_viewport_size(DESKTOP)


def test_error_pages_are_branded_and_say_what_to_do(page, server_url, log_in, shot):
    # 404
    response = page.goto(f"{server_url}/no-such-page/")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text("Page not found")
    expect(page.locator("#error-home")).to_be_visible()
    expect(page.locator("nav.navbar .navbar-brand")).to_be_visible()
    both_widths(page, shot, "01-404")

    # 405: a form's address opened as a link
    response = page.goto(f"{server_url}/shop/cart/add/")
    assert response is not None and response.status == 405
    assert response.headers["allow"] == "POST"
    expect(page.locator("h1")).to_have_text("This address only accepts a form submission")
    both_widths(page, shot, "02-405")

    # CSRF failure: the form's page is open, then the cookies are gone (an expired page).
    page.goto(f"{server_url}/accounts/login/")
    page.context.clear_cookies()
    page.locator("#login-form [type=submit]").click()
    expect(page.locator("h1")).to_have_text("The form could not be accepted")
    expect(page.locator("#error-back")).to_have_attribute("href", f"{server_url}/accounts/login/")
    both_widths(page, shot, "03-csrf")

    # 403: a signed-in user who is not staff opens the admin
    log_in(UserFactory(first_name="Alice", last_name="Liddell"))
    response = page.goto(f"{server_url}/admin/")
    assert response is not None and response.status == 403
    expect(page.locator("h1")).to_have_text("You have no access to the admin")
    expect(page.locator("main")).to_contain_text("log out and log in with a staff account")
    expect(page.locator("#admin-switch-account")).to_be_visible()
    both_widths(page, shot, "04-admin-403")

    page.locator("#admin-switch-account").click()
    expect(page.locator("nav.navbar").get_by_role("link", name="Log in", exact=True)).to_be_visible()


def test_an_error_page_in_russian(page, server_url, shot):
    page.context.add_cookies([{"name": "django_language", "value": "ru", "url": server_url}])

    response = page.goto(f"{server_url}/no-such-page/")

    assert response is not None and response.status == 404
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("h1")).to_have_text("Страница не найдена")
    expect(page.locator("#error-home")).to_have_text("На главную")
    shot("01-404-ru-1280")
    page.set_viewport_size(PHONE)
    assert fits_width(page)
    shot("02-404-ru-390")
