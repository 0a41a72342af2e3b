"""The shared layout in a real browser: language switch, local assets only, the responsive navbar."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation
from playwright.sync_api import expect

from tests.factories import UserFactory

pytestmark = pytest.mark.e2e

RUSSIAN_CATALOG = Path(settings.BASE_DIR) / "locale" / "ru" / "LC_MESSAGES" / "django.mo"


def test_language_selector_switches_the_interface_to_russian_and_back(page, server_url, shot, console_errors):
    page.goto(f"{server_url}/")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "en")
    language = page.locator("#language-form select[name=language]")
    expect(language).to_have_value("en")

    # The select submits its form by itself (static/js/agora.js): no button to press.
    with page.expect_navigation():
        language.select_option("ru")
    expect(html).to_have_attribute("lang", "ru")
    expect(language).to_have_value("ru")
    shot("01-home-ru")
    if RUSSIAN_CATALOG.exists():
        with translation.override("ru"):
            log_in, register = translation.gettext("Log in"), translation.gettext("Register")
        assert (log_in, register) != ("Log in", "Register"), "the Russian catalog translates the navbar"
        navbar = page.locator("nav.navbar")
        expect(navbar.get_by_role("link", name=log_in, exact=True)).to_be_visible()
        expect(navbar.get_by_role("link", name=register, exact=True)).to_be_visible()

    # The choice sticks on the next page, and the select switches back.
    page.goto(f"{server_url}/accounts/login/")
    expect(html).to_have_attribute("lang", "ru")
    shot("02-login-ru")
    with page.expect_navigation():
        language.select_option("en")
    expect(html).to_have_attribute("lang", "en")
    expect(page).to_have_url(f"{server_url}/accounts/login/")
    expect(page.locator("h1")).to_have_text("Log in")
    assert console_errors == []


def test_pages_load_bootstrap_and_everything_else_from_our_own_server(page, server_url, shot, console_errors):
    requested: list[str] = []
    failed: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on("response", lambda response: response.status >= 400 and failed.append(response.url))

    for path in ("/", "/accounts/register/", "/accounts/login/"):
        page.goto(f"{server_url}{path}")
        page.wait_for_load_state("networkidle")
    shot("01-login")

    assert f"{server_url}/static/vendor/bootstrap/css/bootstrap.min.css" in requested
    assert f"{server_url}/static/vendor/bootstrap/js/bootstrap.bundle.min.js" in requested
    outside = [url for url in requested if not url.startswith(f"{server_url}/")]
    assert outside == [], f"requests left the live server: {outside}"
    assert failed == []
    # Bootstrap's rules and script are in effect, not just requested.
    assert page.locator("nav.navbar").evaluate("nav => getComputedStyle(nav).backgroundColor") == "rgb(33, 37, 41)"
    assert page.locator("#login-form .btn-primary").evaluate("b => getComputedStyle(b).backgroundColor") == (
        "rgb(13, 110, 253)"
    )
    assert page.evaluate("typeof window.bootstrap.Collapse") == "function"
    assert console_errors == []


def test_navbar_collapses_on_a_phone_and_opens_with_the_toggler(page, server_url, shot, console_errors):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{server_url}/")
    menu = page.locator("#main-nav")
    expect(menu).to_be_hidden()
    shot("01-collapsed")

    page.locator(".navbar-toggler").click()
    expect(menu).to_have_class(re.compile(r"\bshow\b"))  # Bootstrap's collapse animation has ended
    expect(menu).to_be_visible()
    expect(menu.get_by_role("link", name="Log in")).to_be_visible()
    expect(page.locator(".navbar-toggler")).to_have_attribute("aria-expanded", "true")
    shot("02-expanded")
    assert console_errors == []


@pytest.mark.parametrize("width", [1200, 1440])
def test_signed_in_navbar_fits_on_one_line_on_a_desktop(page, server_url, log_in, shot, width):
    user = UserFactory(last_name="Konstantinopolskaya", first_name="Maria", middle_name="Ivanovna")
    log_in(user)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{server_url}/")
    expect(page.locator(".navbar-toggler")).to_be_hidden()

    boxes = page.locator("nav.navbar").evaluate(
        """nav => [...nav.querySelectorAll('.navbar-brand, .nav-link, #language-form select')].map(element => {
            const box = element.getBoundingClientRect();
            return {text: element.textContent.trim(), middle: (box.top + box.bottom) / 2, right: box.right};
        })"""
    )
    assert "Log out" in [box["text"] for box in boxes]
    middles = [box["middle"] for box in boxes]
    assert max(middles) - min(middles) <= 4, f"the navbar wraps: {boxes}"
    assert max(box["right"] for box in boxes) <= width, f"the navbar overflows: {boxes}"
    # A long name is cut short in the bar and shown whole on hover.
    expect(page.locator("#nav-user")).to_have_attribute("title", "Konstantinopolskaya Maria Ivanovna")
    shot("01-navbar")
