"""Browser tests: Playwright's sync API driving Debian's headless Chromium against ``live_server``.

Without ``/usr/bin/chromium`` the tests are skipped, unless ``AGORA_REQUIRE_E2E=1`` (CI), which turns
the skip into a failure. Screenshots go to ``artifacts/screenshots/<test-name>-<step>.png``.
"""

import os
import re
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client

from accounts.models import User

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(django_settings.BASE_DIR) / "artifacts" / "screenshots"
TIMEOUT_MS = 10_000


def _unavailable(reason: str) -> None:
    """Skip, or fail when the run demands browser tests (``AGORA_REQUIRE_E2E=1``)."""
    if os.environ.get("AGORA_REQUIRE_E2E") == "1":
        pytest.fail(f"{reason} (AGORA_REQUIRE_E2E=1 requires the browser tests to run)", pytrace=False)
    pytest.skip(reason)


_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the browser tests last: the environment switch below then never reaches another test."""
    items[:] = sorted(items, key=lambda item: item.get_closest_marker("e2e") is not None)


@pytest.fixture(scope="session", autouse=True)
def _allow_orm_beside_playwright() -> Iterator[None]:
    """Playwright's sync API keeps an event loop running in the test thread, so Django would refuse
    the tests' own ORM calls (factories, assertions) as "async-unsafe". The live server's requests
    are synchronous in their own thread. Set from the first browser test on (they run last; a parallel
    worker may still run other tests after them, so ``tests/core/test_security.py`` removes it from the
    environment of its ``check --deploy``)."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


@pytest.fixture(scope="session")
def browser(_allow_orm_beside_playwright):
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium)")
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is in requirements-dev.txt
        _unavailable("the playwright package is not installed")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    except PlaywrightError as error:
        playwright.stop()
        _unavailable(f"Chromium did not start: {error}")
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def server_url(live_server) -> str:
    return live_server.url


@pytest.fixture
def console_errors() -> list[str]:
    """Errors the page reported: JavaScript exceptions, CSP violations, failed loads."""
    return []


@pytest.fixture
def page(browser, request, console_errors):
    """A fresh browser context (no cookies) and page per test, in English, on a desktop viewport."""
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
    page.on("pageerror", lambda error: console_errors.append(str(error)))
    yield page
    if request.node.stash.get(_FAILED, False):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"{request.node.name}-failure.png", full_page=True)
    context.close()


def _sign_in(context: Any, user: User, server_url: str) -> None:
    """Put a session cookie for ``user`` into the browser context, without the login form."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": server_url}])


@pytest.fixture
def other_page(browser, request, server_url, console_errors) -> Iterator[Callable[..., object]]:
    """``other_page(user, "b")``: one more browser context (another person), signed in as ``user``.

    Its errors join ``console_errors`` unless ``watch_console=False`` (for pages expected to fail,
    such as a stranger's 404s). On failure each page is saved as ``<test-name>-<label>-failure.png``.
    """
    opened: list[tuple[str, Any]] = []

    def open_page(user: User, label: str, *, watch_console: bool = True):
        context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        _sign_in(context, user, server_url)
        other = context.new_page()
        if watch_console:
            other.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
            other.on("pageerror", lambda error: console_errors.append(str(error)))
        opened.append((label, other))
        return other

    yield open_page
    for label, other in opened:
        if request.node.stash.get(_FAILED, False):
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            other.screenshot(path=SCREENSHOTS / f"{request.node.name}-{label}-failure.png", full_page=True)
        other.context.close()


@pytest.fixture
def log_in(page, server_url) -> Callable[[User], None]:
    """``log_in(user)`` signs the page's browser in without the form (for journeys about something else)."""

    def sign_in(user: User) -> None:
        _sign_in(page.context, user, server_url)

    return sign_in


@pytest.fixture
def shot(page, request) -> Callable[[str], Path]:
    """``shot("03-confirm")`` saves a full-page screenshot named after the test and the step;
    ``shot("05-b-sees-it", of=other)`` takes it of another page of the test."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.name).strip("_")

    def take(step: str, of: Any = None) -> Path:
        path = SCREENSHOTS / f"{name}-{step}.png"
        (of or page).screenshot(path=path, full_page=True)
        return path

    return take
