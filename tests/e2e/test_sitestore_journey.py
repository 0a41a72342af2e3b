"""The site store in a real browser: browse the catalogue, open a template, add it to the cart,
buy it, find it on My sites, open its page and download its files as a zip."""

import io
import re
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from sitestore import services
from sitestore.models import Preview, SiteTemplate, TemplateCartItem, UserSite
from tests.factories import UserFactory
from tests.sitestore.factories import SiteTemplateFactory
from tests.sitestore.previews_support import PORTS, assert_nothing_left

pytestmark = pytest.mark.e2e


@pytest.fixture
def store(settings):
    """Two real demo sites (the bundles shipped in sitestore/bundles/) with their screenshots."""
    settings.SITESTORE_BUNDLES_ROOT = str(settings.BASE_DIR / "sitestore" / "bundles")
    forum = SiteTemplateFactory(
        name="Campfire Forum",
        slug="campfire-forum",
        kind=SiteTemplate.Kind.FORUM,
        bundle="forum",
        price=29900,
        purchases=4,
        about="A friendly discussion forum with topics, replies and avatars.",
        features=["Topic list ordered by the latest activity", "Replies with author initials as avatars"],
        screenshots=["sitestore/screenshots/campfire-forum-1.png", "sitestore/screenshots/campfire-forum-2.png"],
    )
    landing = SiteTemplateFactory(
        name="Nimbus Landing",
        slug="nimbus-landing",
        kind=SiteTemplate.Kind.LANDING,
        bundle="landing",
        price=9900,
        about="A bright product landing page.",
        screenshots=["sitestore/screenshots/nimbus-landing-1.png"],
    )
    SiteTemplateFactory(name="Unreleased Shop", kind=SiteTemplate.Kind.SHOP, is_published=False)
    return {"forum": forum, "landing": landing}


def test_browse_add_to_cart_buy_see_my_site_and_download_it(page, server_url, shot, console_errors, log_in, store):
    user = UserFactory(first_name="Olga", last_name="Smirnova")
    forum = store["forum"]

    # The store front and the catalogue are open to visitors: cards per kind, unpublished ones hidden.
    page.goto(f"{server_url}/sites/")
    expect(page.locator("#featured .template-card")).to_have_count(2)
    shot("01-store-front")
    page.locator("#browse-templates").click()
    expect(page).to_have_url(f"{server_url}/sites/templates/")
    expect(page.locator(".kind-group h2")).to_have_text([re.compile("^Forum"), re.compile("^Landing")])
    expect(page.locator("main")).not_to_contain_text("Unreleased Shop")
    card = page.locator(".template-card[data-slug=campfire-forum]")
    expect(card).to_contain_text("29,900 ₽")
    expect(card).to_contain_text("4 purchases")
    expect(card.locator("img.template-shot")).to_have_js_property("complete", True)
    assert card.locator("img.template-shot").evaluate("image => image.naturalWidth") > 0
    shot("02-catalogue")

    # The template page: screenshots, features, price; a visitor is asked to log in to buy.
    card.locator(".template-link").click()
    expect(page).to_have_url(f"{server_url}/sites/templates/campfire-forum/")
    expect(page.locator(".template-screenshot")).to_have_count(2)
    expect(page.locator("#template-features li")).to_have_count(2)
    expect(page.locator("#login-to-buy")).to_be_visible()
    log_in(user)
    page.reload()
    shot("03-template-page")

    # Into the cart, and bought.
    page.locator("#add-to-cart").click()
    expect(page).to_have_url(f"{server_url}/sites/cart/")
    expect(page.locator("#template-cart .cart-item")).to_have_count(1)
    expect(page.locator("#cart-total")).to_have_text("29,900 ₽")
    shot("04-cart")
    page.locator("#checkout").click()
    expect(page).to_have_url(f"{server_url}/sites/my/")
    expect(page.locator(".alert-success")).to_contain_text("Forum (1)")
    site = UserSite.objects.get(owner=user)
    assert not TemplateCartItem.objects.filter(user=user).exists()
    forum.refresh_from_db()
    assert forum.purchases == 5

    # My sites: the new site, queued; its page shows the stages and the history.
    row = page.locator(f".my-site[data-site='{site.pk}']")
    expect(row.locator(".stage-badge")).to_have_text("Queued")
    shot("05-my-sites")
    row.locator(".site-link").click()
    expect(page).to_have_url(f"{server_url}/sites/my/{site.pk}/")
    expect(page.locator("#stage-steps .current")).to_have_text("Queued")
    expect(page.locator("#stage-history li")).to_have_count(1)
    shot("06-site-page")

    # Download: a zip of the site's own copy of the forum, named by id.
    with page.expect_download() as download_info:
        page.locator("#download").click()
    download = download_info.value
    assert download.suggested_filename == f"site-{site.pk}.zip"
    archive = zipfile.ZipFile(io.BytesIO(open(download.path(), "rb").read()))  # noqa: SIM115
    assert {"app.py", "site.json", "style.css"} <= set(archive.namelist())
    assert b"Campfire" in archive.read("app.py")
    assert not any(name.startswith("/") or ".." in name for name in archive.namelist())

    # Narrow phone screen: the pages still fit.
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"{server_url}/sites/templates/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot("07-catalogue-phone")
    assert console_errors == []
    assert settings.SITESTORE_BUNDLES_ROOT.endswith("bundles")


@pytest.mark.django_db(transaction=True)
def test_run_the_bought_forum_post_a_topic_inside_the_page_and_stop_it(
    page, server_url, shot, log_in, settings, tmp_path
):
    settings.SITESTORE_BUNDLES_ROOT = str(settings.BASE_DIR / "sitestore" / "bundles")
    settings.SITE_PREVIEW_PORTS = f"{PORTS[0]}-{PORTS[1]}"
    settings.SITE_PREVIEW_WORK_ROOT = str(tmp_path / "previews")
    settings.SITE_PREVIEW_START_TIMEOUT = 15
    user = UserFactory(username="forum-owner")
    site = services.template_buy(
        user=user, template=SiteTemplateFactory(name="Campfire Forum", kind=SiteTemplate.Kind.FORUM, bundle="forum")
    )
    log_in(user)
    page.goto(f"{server_url}/sites/my/{site.pk}/")

    # Run: the forum starts and shows inside the page, with the countdown to its automatic stop.
    page.locator("#preview-run").click()
    expect(page.locator("#preview-status")).to_have_text("Running")
    expect(page.locator("#preview-countdown")).to_contain_text("Stops by itself in")
    forum = page.frame_locator("#preview-frame")
    expect(forum.locator("body")).to_contain_text("Campfire")
    shot("08-forum-running")

    # A visitor's post goes through the owner-only proxy into the preview's own copy of the forum.
    forum.get_by_role("link", name="New topic").first.click()
    forum.locator("input[name=subject]").fill("Opening hours in winter")
    forum.locator("input[name=author]").fill("Olga")
    forum.locator("textarea[name=text]").fill("Is the club open on Sundays in December?")
    forum.get_by_role("button", name="Start the topic").click()
    expect(forum.locator("body")).to_contain_text("Opening hours in winter")
    shot("09-forum-topic-posted")
    preview = Preview.objects.get(site=site)
    purchased = Path(settings.PRIVATE_MEDIA_ROOT) / site.directory
    assert not any(path.suffix in {".sqlite3", ".db"} for path in purchased.iterdir())  # the purchase is untouched

    # Stop: the process and its port are gone, the page offers Run again.
    page.locator("#preview-stop").click()
    expect(page.locator("#preview-run")).to_be_visible()
    expect(page.locator("#preview-frame")).to_have_count(0)
    shot("10-forum-stopped")
    preview.refresh_from_db()
    assert preview.status == Preview.Status.STOPPED
    assert_nothing_left(preview)
