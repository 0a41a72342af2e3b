"""The crowdfunding pages in a real browser: the live budget preview updates as the author types
(static JS under the CSP, no reload), and every page lays out at desktop and phone widths."""

import pytest
from playwright.sync_api import expect

from crowdfunding.models import Project, Role, Topic
from tests.crowdfunding.factories import (
    ParticipantProfileFactory,
    RewardTierFactory,
    project_active,
    project_make,
)
from tests.e2e.helpers import DESKTOP, PHONE
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_budget_preview_follows_the_authors_typing_without_a_reload(page, server_url, log_in, shot, console_errors):
    log_in(UserFactory())
    page.goto(f"{server_url}/crowdfunding/projects/new/")
    page.evaluate("window.notReloaded = true")
    goal = page.locator('#budget-preview [data-budget="goal"]')

    page.fill("#id_author_price", "7")
    page.fill("#id_posts_per_month", "4")
    page.fill("#id_months", "3")
    page.check("#id_sites_0")
    page.fill("#id_copywriter_count", "1")
    page.fill("#id_copywriter_salary", "10000")
    page.fill("#id_director_count", "3")
    page.fill("#id_director_salary", "15000")
    expect(goal).to_have_text("183,522 ₽")
    expect(page.locator('#budget-preview [data-budget="products_to_sell"]')).to_have_text("91,762")
    shot("01-preview")

    # A bad number shows the error instead of a breakdown; fixing it brings the numbers back.
    page.fill("#id_months", "20")
    expect(page.locator("#budget-preview-errors")).to_contain_text("Duration in months")
    page.fill("#id_months", "12")
    expect(goal).not_to_have_text("183,522 ₽")
    expect(goal).to_be_visible()
    assert page.evaluate("window.notReloaded") is True
    assert not Project.objects.exists()
    assert console_errors == []


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_every_page_lays_out_at_desktop_and_phone_widths(page, server_url, log_in, shot, console_errors, viewport):
    page.set_viewport_size(viewport)
    viewer = UserFactory()
    ParticipantProfileFactory(user=viewer, professions=[Role.VIDEOGRAPHER], topics=[Topic.FITNESS])
    projects = [
        project_active(blog_name=f"Morning runs {number}", author_price=1000 * number) for number in range(1, 7)
    ]
    RewardTierFactory(project=projects[0], title="Signed poster", min_amount=1500, quantity=20)
    draft = project_make(author=viewer, blog_name="My own draft")
    published = project_active(author=viewer, blog_name="My own open one")
    log_in(viewer)
    for step, path in [
        ("01-home", "/crowdfunding/"),
        ("02-list", "/crowdfunding/projects/"),
        ("03-detail", f"/crowdfunding/projects/{projects[0].pk}/"),
        ("04-create", "/crowdfunding/projects/new/"),
        ("05-own-draft", f"/crowdfunding/projects/{draft.pk}/"),
        ("06-edit-draft", f"/crowdfunding/projects/{draft.pk}/edit/"),
        ("07-edit-active", f"/crowdfunding/projects/{published.pk}/edit/"),
    ]:
        page.goto(f"{server_url}{path}")
        page.wait_for_load_state("networkidle")
        # Nothing is wider than the screen: no sideways scrolling on a phone.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), path
        shot(step)
    assert console_errors == []
