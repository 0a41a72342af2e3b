"""Crowdfunding in a real browser, with three people: the author creates a project and watches the
live budget follow their typing, saves and publishes it and adds a reward tier; a videographer
applies and the author accepts them; a backer takes the tier and pre-orders the product; the
project page shows the progress and the section home ranks the project."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from crowdfunding.budget import budget_compute
from crowdfunding.models import Application, Donation, Project, Role, Topic
from tests.crowdfunding.factories import ParticipantProfileFactory, project_active
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AUTHOR_PRICE = 1000


def goal_of(*, months: int, salary: int) -> str:
    """The goal the preview should show for the journey's plan, as the page writes it (1,234)."""
    result = budget_compute(
        months=months,
        sites=2,
        posts_per_month=10,
        author_price=AUTHOR_PRICE,
        specialists={Role.VIDEOGRAPHER: (1, salary)},
    )
    return f"{result.goal:,} ₽"


def test_create_publish_join_back_and_rank_a_project(page, other_page, server_url, log_in, shot, console_errors):
    author = UserFactory(username="anna.author")
    videographer = UserFactory(username="victor.video")
    ParticipantProfileFactory(user=videographer, professions=[Role.VIDEOGRAPHER], topics=[Topic.TRAVEL])
    backer = UserFactory(username="boris.backer")
    # Two other open projects, so the rankings rank something.
    for number in (1, 2):
        project_active(blog_name=f"Other blog {number}", topic=Topic.BOOKS)

    # The author fills in the form; the budget appears and follows their typing without a reload.
    log_in(author)
    page.goto(f"{server_url}/crowdfunding/projects/new/")
    page.evaluate("window.notReloaded = true")
    page.fill("#id_blog_name", "Slow Trains")
    page.fill("#id_idea", "Crossing Eurasia by train and meeting people on the way.")
    page.select_option("#id_topic", Topic.TRAVEL.value)
    page.fill("#id_product_name", "Photo book")
    page.fill("#id_author_price", str(AUTHOR_PRICE))
    page.fill("#id_posts_per_month", "10")
    page.fill("#id_months", "6")
    deadline = timezone.localtime(timezone.now() + timedelta(days=30))
    page.fill("#id_deadline", deadline.strftime("%Y-%m-%dT%H:%M"))
    page.check("#id_sites_0")
    page.check("#id_sites_1")
    page.fill("#id_videographer_count", "1")
    page.fill("#id_videographer_salary", "30000")
    goal = page.locator('#budget-preview [data-budget="goal"]')
    expect(goal).to_have_text(goal_of(months=6, salary=30_000))
    shot("01-live-budget")

    page.fill("#id_months", "9")
    expect(goal).to_have_text(goal_of(months=9, salary=30_000))
    page.fill("#id_videographer_salary", "45000")
    expect(goal).to_have_text(goal_of(months=9, salary=45_000))
    expect(page.locator('#budget-preview [data-budget="months_ratio"]')).to_have_text("1.30")
    assert page.evaluate("window.notReloaded") is True
    assert not Project.objects.filter(author=author).exists()
    shot("02-live-budget-changed")

    # Saved as a draft (only the author sees it), then published.
    page.locator("#project-save").click()
    project = Project.objects.get(author=author)
    expect(page).to_have_url(f"{server_url}/crowdfunding/projects/{project.pk}/")
    expect(page.locator("#project-status")).to_have_text("Draft")
    expect(page.locator('#budget-breakdown [data-budget="goal"]')).to_have_text(goal_of(months=9, salary=45_000))
    shot("03-draft-saved")
    page.locator("#publish-button").click()
    expect(page.locator("#project-status")).to_have_text("Active")
    expect(page.locator(".alert-success")).to_contain_text("The project is published")
    shot("04-published")

    # A reward tier, added on the manage page.
    page.locator("#manage-link").click()
    expect(page).to_have_url(f"{server_url}/crowdfunding/projects/{project.pk}/manage/")
    page.fill("#tier-add-form #id_title", "Signed photo book")
    page.fill("#tier-add-form #id_min_amount", "5000")
    page.fill("#tier-add-form #id_quantity", "10")
    page.fill("#tier-add-form #id_description", "The first copy off the press, signed.")
    page.locator("#tier-add-form button[type=submit]").click()
    expect(page.locator("#tiers .tier")).to_have_count(1)
    expect(page.locator("#tiers .tier")).to_contain_text("0 / 10")
    shot("05-tier-added")

    # The videographer applies for the open seat.
    applicant = other_page(videographer, "videographer")
    applicant.goto(f"{server_url}/crowdfunding/projects/{project.pk}/")
    expect(applicant.locator("#team tr[data-role=videographer]")).to_contain_text("1 open")
    applicant.select_option("#apply-form select[name=role]", Role.VIDEOGRAPHER.value)
    applicant.fill("#apply-form textarea[name=message]", "I filmed two train journeys last year.")
    applicant.locator("#apply-form button[type=submit]").click()
    expect(applicant.locator(".alert-success")).to_contain_text("Your application is sent")
    shot("06-applied", of=applicant)

    # The author accepts them: the seat is taken and the team pay is committed.
    page.reload()
    application = Application.objects.get(project=project, applicant=videographer)
    row = page.locator(f".pending-application[data-application='{application.pk}']")
    expect(row).to_contain_text("@victor.video")
    expect(row).to_contain_text("Videographer")
    row.get_by_role("button", name="Accept").click()
    expect(page.locator(".alert-success")).to_contain_text("@victor.video joins the team")
    expect(page.locator("#team [data-role=videographer]")).to_contain_text("1 / 1")
    expect(page.locator("#money-team")).to_have_text(f"{45_000 * 9:,} ₽")
    shot("07-accepted")

    # The backer takes the tier, then pre-orders two photo books.
    giver = other_page(backer, "backer")
    giver.goto(f"{server_url}/crowdfunding/projects/{project.pk}/")
    tier = project.tiers.get()
    tier_card = giver.locator(f"#tier-{tier.pk}")
    expect(tier_card).to_contain_text("10 of 10 left")
    # More than the tier's minimum: a generous backer.
    tier_card.locator("input[name=amount]").fill("150000")
    tier_card.locator("input[name=comment]").fill("Can't wait for the book!")
    tier_card.get_by_role("button", name="Choose").click()
    expect(giver.locator(".alert-success")).to_contain_text("You pledged 150,000 ₽")
    expect(giver.locator(f"#tier-{tier.pk}")).to_contain_text("9 of 10 left")
    preorder = giver.locator("#donate-preorder")
    preorder.locator("input[name=quantity]").fill("2")
    preorder.locator("input[name=anonymous]").check()
    preorder.get_by_role("button", name="Pre-order").click()
    expect(giver.locator(".alert-success")).to_contain_text("You pledged")
    shot("08-backed", of=giver)

    # The project page shows the money raised, the progress, the backers (the pre-order anonymous) and the team.
    project.refresh_from_db()
    raised = 150_000 + 2 * project.product_price
    assert (project.raised, project.donations_count, project.products_preordered) == (raised, 2, 2)
    assert set(project.donations.values_list("kind", flat=True)) == {Donation.Kind.TIER, Donation.Kind.PREORDER}
    giver.goto(f"{server_url}/crowdfunding/projects/{project.pk}/")
    header = giver.locator("#project-header")
    expect(header.locator(".cf-raised")).to_have_text(f"{raised:,} ₽")
    expect(header.locator(".cf-percent")).to_have_text(f"{project.progress_percent}%")
    expect(header.locator(".progress")).to_have_attribute("aria-valuenow", str(project.progress_percent))
    backers = giver.locator("#backers .cf-backer")
    expect(backers).to_have_count(2)
    expect(backers.nth(0)).to_contain_text("Anonymous")
    expect(backers.nth(1)).to_contain_text("boris.backer")
    expect(backers.nth(1)).to_contain_text("Signed photo book")
    expect(giver.locator("#team tr[data-role=videographer]")).to_contain_text("victor.video")
    shot("09-project-progress", of=giver)

    # The section home ranks the open projects, this one among them, with its progress.
    giver.goto(f"{server_url}/crowdfunding/")
    for ranking in ("#top-overall", "#top-followers"):
        card = giver.locator(f"{ranking} [data-project='{project.pk}']")
        expect(card).to_contain_text("Slow Trains")
        expect(card.locator(".cf-raised")).to_have_text(f"{raised:,} ₽")
    # Its longer plan (nine months against six) rates it above the two others.
    expect(giver.locator("#top-overall .cf-card")).to_have_count(3)
    expect(giver.locator("#top-overall .cf-card").first).to_have_attribute("data-project", str(project.pk))
    shot("10-section-home", of=giver)

    # On a phone, the project page and the home still fit the screen.
    giver.set_viewport_size({"width": 390, "height": 844})
    for step, path in [
        ("11-phone-project", f"/crowdfunding/projects/{project.pk}/"),
        ("12-phone-home", "/crowdfunding/"),
    ]:
        giver.goto(f"{server_url}{path}")
        assert giver.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), path
        shot(step, of=giver)
    assert console_errors == []
