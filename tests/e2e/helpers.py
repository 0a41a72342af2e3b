"""Helpers shared by the browser tests."""

import time
from collections.abc import Callable


def wait_for(condition: Callable[[], object], *, timeout: float = 5.0, message: str = "condition") -> object:
    """Poll ``condition`` until it returns something truthy (e.g. an email sent on commit)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {message}")
        time.sleep(0.05)


# The viewports every page is looked at in: the desktop the tests start with, and a phone.
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def fits_width(page) -> bool:
    """Whether the page shows without horizontal scrolling at its current viewport."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))
