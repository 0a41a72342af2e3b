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
