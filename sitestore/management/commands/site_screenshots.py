"""Photograph the demo sites: start each bundle, open it in headless Chromium, save PNGs, stop it.

The pictures land in ``sitestore/static/sitestore/screenshots/<slug>-<n>.png`` (the paths the demo
templates list). Each site runs from a temporary copy of its bundle, so its SQLite file and other
first-start files never appear in the repository. Needs Debian's ``chromium`` and the ``playwright``
package (both are already used by the browser tests).
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sitestore import demo

CHROMIUM = Path("/usr/bin/chromium")
# The same launch arguments as the browser tests (tests/e2e/conftest.py).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}
START_TIMEOUT_SECONDS = 10.0
OUTPUT = Path(settings.BASE_DIR) / "sitestore" / "static" / "sitestore" / "screenshots"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CommandError(f"the site exited at start with code {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise CommandError(f"the site did not listen on port {port} within {START_TIMEOUT_SECONDS:.0f} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """End the site's whole process group: first politely, then for good."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        process.wait()


class Command(BaseCommand):
    help = "Regenerate the demo templates' screenshots from the running sites (headless Chromium)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("slugs", nargs="*", help="Only these templates (default: all demo templates).")

    def handle(self, *args: Any, slugs: list[str], **options: Any) -> None:
        entries = [entry for entry in demo.TEMPLATES if not slugs or entry["slug"] in slugs]
        if slugs and len(entries) != len(set(slugs)):
            known = ", ".join(entry["slug"] for entry in demo.TEMPLATES)
            raise CommandError(f"unknown template; the demo templates are: {known}")
        if not CHROMIUM.exists():
            raise CommandError(f"{CHROMIUM} is missing: apt-get install -y chromium")
        from playwright.sync_api import sync_playwright

        OUTPUT.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            try:
                for entry in entries:
                    self._photograph(browser, entry)
            finally:
                browser.close()

    def _photograph(self, browser: Any, entry: dict[str, Any]) -> None:
        bundle = Path(settings.SITESTORE_BUNDLES_ROOT) / entry["bundle"]
        manifest = json.loads((bundle / "site.json").read_text(encoding="utf-8"))
        port = free_port()
        command = [str(part).replace("{port}", str(port)) for part in manifest["command"]]
        with tempfile.TemporaryDirectory(prefix="site-screenshots-") as scratch:
            workdir = Path(scratch) / entry["bundle"]
            shutil.copytree(bundle, workdir)
            # A fixed argument list from our own bundle, in its own session so stop() ends it all.
            process = subprocess.Popen(  # noqa: S603
                command, cwd=workdir, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
            try:
                wait_until_listening(port, process)
                context = browser.new_context(locale="en-US", viewport=VIEWPORT)
                page = context.new_page()
                for number, path in enumerate(entry["pages"], start=1):
                    page.goto(f"http://127.0.0.1:{port}{path}", wait_until="networkidle")
                    target = (
                        Path(settings.BASE_DIR) / "sitestore" / "static" / demo.screenshot_path(entry["slug"], number)
                    )
                    page.screenshot(path=str(target))
                    self.stdout.write(f"{entry['slug']}: {target.relative_to(settings.BASE_DIR)}")
                context.close()
            finally:
                stop(process)
