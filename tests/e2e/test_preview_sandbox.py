"""A running preview in Chromium: its scripts run, but cannot act as the signed-in user.

The test site's page (tests/sitestore/bundles/sandbox) fetches ``/api/users/me/`` with credentials,
reads the parent page and ``document.cookie``, and writes what it got into its own DOM.
"""

import pytest
from playwright.sync_api import expect

from sitestore import previews
from sitestore.models import Preview
from tests.factories import UserFactory
from tests.sitestore.previews_support import (  # noqa: F401  # preview_settings is an autouse fixture
    assert_nothing_left,
    bought_site,
    preview_settings,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_script_in_a_preview_cannot_read_the_platform_page_or_call_its_api_as_the_user(
    page, server_url, log_in, shot
):
    user = UserFactory(username="sandboxed-owner", email="sandboxed-owner@example.org")
    site = bought_site(owner=user, bundle="sandbox")
    log_in(user)
    page.goto(f"{server_url}/sites/my/{site.pk}/")

    page.click("#preview-run")

    expect(page.locator("#preview-countdown")).to_contain_text("Stops by itself in")
    frame = page.frame_locator("#preview-frame")
    expect(frame.locator("h1")).to_have_text("Sandbox probe")
    # The probe's script ran (it came through the proxy like the page) and every attempt failed.
    expect(frame.locator("#api")).not_to_have_text("pending")
    expect(frame.locator("#parent")).to_have_text("blocked: SecurityError")
    expect(frame.locator("#cookie")).to_have_text("blocked: SecurityError")
    api_result = frame.locator("#api").inner_text()
    assert "sandboxed-owner" not in api_result
    assert api_result.startswith(("blocked:", "status 401"))
    shot("01-sandboxed-preview")

    page.click("#preview-stop")

    expect(page.locator("#preview-run")).to_be_visible()
    preview = Preview.objects.get(site=site)
    assert preview.status == Preview.Status.STOPPED
    assert_nothing_left(preview)
    assert previews.process_start_time(preview.pid) is None
