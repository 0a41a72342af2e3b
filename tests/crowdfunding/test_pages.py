"""The crowdfunding pages: section home, project list, project page and its forms, create/edit,
the live budget preview and the home page widget."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crowdfunding.models import (
    FOLLOWER,
    Application,
    Donation,
    Project,
    ProjectRole,
    Promotion,
    RewardTier,
    Role,
    Topic,
)
from tests.crowdfunding.factories import (
    ActiveProjectFactory,
    FollowerApplicationFactory,
    ParticipantProfileFactory,
    ProjectFactory,
    RewardTierFactory,
    project_active,
    project_make,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HOME = reverse("crowdfunding:home")
LIST = reverse("crowdfunding:list")
CREATE = reverse("crowdfunding:create")
PREVIEW = reverse("crowdfunding:budget-preview")


def detail(project: Project) -> str:
    return reverse("crowdfunding:detail", args=[project.pk])


@pytest.fixture
def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def form_data(**overrides: object) -> dict[str, object]:
    """What the create form posts: every field, the team as one headcount and salary per role."""
    data: dict[str, object] = {
        "blog_name": "Garden diaries",
        "idea": "Weekly videos about a small city garden.",
        "topic": Topic.GARDEN,
        "product_name": "Seed calendar",
        "author_price": 7,
        "posts_per_month": 4,
        "sites": ["youtube"],
        "months": 3,
        "deadline": (timezone.localtime() + timedelta(days=20)).strftime("%Y-%m-%dT%H:%M"),
    }
    for role in Role.values:
        data[f"{role}_count"] = 0
        data[f"{role}_salary"] = 0
    data.update(copywriter_count=1, copywriter_salary=10_000, director_count=3, director_salary=15_000)
    data.update(overrides)
    return data


# --- Section home ------------------------------------------------------------------------------


def test_the_section_home_is_public_and_shows_the_top_open_projects(client):
    ActiveProjectFactory(blog_name="Open blog")
    ProjectFactory(blog_name="Secret draft")
    ActiveProjectFactory(blog_name="Hidden blog", is_hidden=True)

    response = client.get(HOME)

    assert response.status_code == 200
    body = response.content.decode()
    assert "Open blog" in body and "Secret draft" not in body and "Hidden blog" not in body
    assert 'id="top-overall"' in body and 'id="top-followers"' in body
    assert 'class="progress-bar' in body and "cf-cover-empty" in body


def test_the_section_home_shows_a_participant_the_projects_of_their_topics_and_professions(client, user):
    ParticipantProfileFactory(user=user, professions=[Role.VIDEOGRAPHER], topics=[Topic.TRAVEL])
    ActiveProjectFactory(blog_name="Road trips", topic=Topic.TRAVEL)
    ActiveProjectFactory(blog_name="Needs a videographer", topic=Topic.FITNESS)
    client.force_login(user)

    response = client.get(HOME)

    body = response.content.decode()
    assert 'id="topic-travel"' in body and "Road trips" in body
    assert 'id="for-professions"' in body
    # Both have an open videographer seat (the factories' default team).
    assert {project.blog_name for project in response.context["for_professions"]} == {
        "Needs a videographer",
        "Road trips",
    }


def test_a_user_without_a_profile_is_invited_to_fill_it_in(signed_in):
    body = signed_in.get(HOME).content.decode()
    assert 'id="profile-hint"' in body and reverse("crowdfunding:participant-profile") in body


@pytest.mark.parametrize("with_profile", [False, True])
def test_the_section_home_costs_the_same_queries_for_5_or_60_projects(
    client, user, with_profile, django_assert_max_num_queries
):
    if with_profile:
        ParticipantProfileFactory(user=user, professions=[Role.VIDEOGRAPHER], topics=[Topic.FITNESS, Topic.TRAVEL])
    client.force_login(user)
    topics = [Topic.FITNESS, Topic.TRAVEL, Topic.GAMES]
    for number in range(5):
        ActiveProjectFactory(topic=topics[number % 3])
    # The first request of a session also records the device: not the page's cost.
    count_queries(client, HOME)
    few = count_queries(client, HOME)
    for number in range(55):
        ActiveProjectFactory(topic=topics[number % 3])
    with django_assert_max_num_queries(few):
        assert client.get(HOME).status_code == 200
    assert count_queries(client, HOME) == few


# --- Project list ------------------------------------------------------------------------------


def names(response) -> list[str]:
    return [project.blog_name for project in response.context["projects"]]


def test_the_list_is_public_filters_by_topic_and_status_and_hides_drafts(client):
    ActiveProjectFactory(blog_name="Runner", topic=Topic.FITNESS)
    ActiveProjectFactory(blog_name="Traveller", topic=Topic.TRAVEL)
    ActiveProjectFactory(blog_name="Done", topic=Topic.FITNESS, status=Project.Status.FUNDED)
    ProjectFactory(blog_name="Draft", topic=Topic.FITNESS)

    assert sorted(names(client.get(LIST))) == ["Done", "Runner", "Traveller"]
    assert sorted(names(client.get(LIST, {"topic": "fitness"}))) == ["Done", "Runner"]
    assert names(client.get(LIST, {"topic": "fitness", "status": "funded"})) == ["Done"]
    # Unknown values are ignored, and nobody lists drafts by asking for them.
    assert len(names(client.get(LIST, {"topic": "cooking", "status": "draft"}))) == 3


def test_the_list_sorts_by_funding_deadline_and_rating(client):
    now = timezone.now()
    first = ActiveProjectFactory(blog_name="Rich", deadline=now + timedelta(days=40))
    Project.objects.filter(pk=first.pk).update(raised=900, rating_overall=1.0)
    second = ActiveProjectFactory(blog_name="Soon", deadline=now + timedelta(days=2))
    Project.objects.filter(pk=second.pk).update(raised=10, rating_overall=5.0)

    assert names(client.get(LIST, {"sort": "funded"})) == ["Rich", "Soon"]
    assert names(client.get(LIST, {"sort": "ending"})) == ["Soon", "Rich"]
    assert names(client.get(LIST, {"sort": "rating"})) == ["Soon", "Rich"]
    body = client.get(LIST, {"sort": "rating"}).content.decode()
    assert '<option value="rating" selected>' in body


def test_the_list_is_paginated_and_refuses_bad_page_numbers(client):
    for _number in range(14):
        ActiveProjectFactory(topic=Topic.BOOKS)

    first = client.get(LIST, {"topic": "books"})
    assert len(names(first)) == 12
    assert 'href="?topic=books&amp;page=2"' in first.content.decode()
    assert len(names(client.get(LIST, {"topic": "books", "page": 2}))) == 2
    assert client.get(LIST, {"page": "abc"}).status_code == 400
    assert client.get(LIST, {"page": 3}).status_code == 404
    assert client.get(LIST, {"page": 0}).status_code == 404


def test_an_empty_list_says_so(client):
    response = client.get(LIST)
    assert response.status_code == 200
    assert 'id="no-projects"' in response.content.decode()


# --- Project page ------------------------------------------------------------------------------


def test_the_project_page_is_public_and_shows_the_budget_team_and_tiers(client):
    project = project_active(
        months=3,
        sites=["youtube"],
        posts_per_month=4,
        author_price=7,
        specialists={"copywriter": {"count": 1, "salary": 10_000}, "director": {"count": 3, "salary": 15_000}},
    )
    RewardTierFactory(project=project, title="Postcard", min_amount=500, quantity=10, claimed=3)

    response = client.get(detail(project))

    assert response.status_code == 200
    body = response.content.decode()
    # Worked by hand in test_the_budget_preview_answers_the_breakdown_of_a_known_input.
    assert 'data-budget="goal">183,522 ₽<' in body
    assert 'data-budget="products_to_sell">91,762<' in body
    assert 'data-role="director"' in body and "0 / 3" in body
    assert "Postcard" in body and "7 of 10 left" in body
    # Anonymous visitors are asked to sign in instead of donating or applying.
    assert 'id="give-closed"' in body and 'data-reason="anonymous"' in body
    assert 'id="donate-free"' not in body


def test_a_free_product_shows_a_dash_and_no_pre_order_form(signed_in):
    project = project_active(author_price=0)
    body = signed_in.get(detail(project)).content.decode()
    assert 'data-budget="products_to_sell">—<' in body
    assert 'id="donate-free"' in body and 'id="donate-preorder"' not in body


def test_the_author_sees_manage_edit_and_publish_on_a_draft_and_no_one_else_sees_it(client, user):
    project = project_make(author=user)

    client.force_login(UserFactory())
    assert client.get(detail(project)).status_code == 404
    client.logout()
    assert client.get(detail(project)).status_code == 404

    client.force_login(user)
    body = client.get(detail(project)).content.decode()
    assert reverse("crowdfunding:manage", args=[project.pk]) in body
    assert 'id="edit-link"' in body and 'id="publish-button"' in body
    assert 'data-reason="own"' in body and "You cannot donate to your own project." in body


def test_a_hidden_project_answers_404_to_everyone_but_its_author(client, user):
    project = ActiveProjectFactory(author=user, is_hidden=True)
    client.force_login(UserFactory())
    assert client.get(detail(project)).status_code == 404
    client.force_login(user)
    assert client.get(detail(project)).status_code == 200


def test_the_apply_form_offers_open_roles_of_the_viewers_professions_and_the_follower_pool(client, user):
    project = ActiveProjectFactory(roles={Role.VIDEOGRAPHER: (2, 20_000), Role.DIRECTOR: (1, 30_000)})
    ParticipantProfileFactory(user=user, professions=[Role.VIDEOGRAPHER, Role.COPYWRITER])
    client.force_login(user)

    form = client.get(detail(project)).context["application_form"]

    assert [value for value, _label in form.fields["role"].choices] == [Role.VIDEOGRAPHER, FOLLOWER]


def test_the_apply_form_explains_why_it_is_missing(client, user):
    project = ActiveProjectFactory(roles={Role.DIRECTOR: (1, 30_000)})
    client.force_login(user)
    # Without a profile one can still join the follower pool, and is told how to join as a specialist.
    body = client.get(detail(project)).content.decode()
    assert 'id="apply-form"' in body and reverse("crowdfunding:participant-profile") in body

    Project.objects.filter(pk=project.pk).update(followers_joined=100)
    body = client.get(detail(project)).content.decode()
    assert 'data-reason="no-profile"' in body and reverse("crowdfunding:participant-profile") in body

    ParticipantProfileFactory(user=user, professions=[Role.VIDEOGRAPHER])
    assert 'data-reason="no-seat"' in client.get(detail(project)).content.decode()

    Project.objects.filter(pk=project.pk).update(status=Project.Status.FUNDED)
    assert 'data-reason="closed"' in client.get(detail(project)).content.decode()


def test_backers_of_an_anonymous_donation_are_never_named(client):
    project = ActiveProjectFactory()
    donor = UserFactory(username="secret_donor")
    Donation.objects.create(project=project, donor=donor, kind="free", amount=300, anonymous=True)
    Donation.objects.create(project=project, donor=UserFactory(username="open_donor"), kind="free", amount=200)

    body = client.get(detail(project)).content.decode()

    assert "secret_donor" not in body and "Anonymous" in body and "open_donor" in body


def test_approved_promotions_are_listed_and_pending_ones_are_not(client):
    project = ActiveProjectFactory()
    Promotion.objects.create(
        project=project, promoter=UserFactory(), platform="vk", url="https://vk.com/ok", status="approved"
    )
    Promotion.objects.create(project=project, promoter=UserFactory(), platform="vk", url="https://vk.com/wait")
    body = client.get(detail(project)).content.decode()
    assert "https://vk.com/ok" in body and "https://vk.com/wait" not in body


# --- Donations ---------------------------------------------------------------------------------


def donate(client: Client, project: Project, **data: object):
    return client.post(reverse("crowdfunding:donate", args=[project.pk]), data)


def test_a_free_donation_pledges_the_amount_and_redirects_with_thanks(signed_in, user):
    project = project_active()

    response = donate(signed_in, project, kind="free", amount=2500, comment="Good luck", anonymous="on")

    assert response.status_code == 302 and response.url == detail(project)
    project.refresh_from_db()
    assert project.raised == 2500 and project.donations_count == 1
    donation = Donation.objects.get(project=project)
    assert donation.donor == user and donation.anonymous and donation.comment == "Good luck"
    assert "Thank you" in signed_in.get(detail(project)).content.decode()


def test_a_pre_order_and_a_tier_donation(signed_in):
    project = project_active(author_price=1000)
    tier = RewardTier.objects.create(project=project, title="Poster", min_amount=700, quantity=2)

    assert donate(signed_in, project, kind="preorder", quantity=2).status_code == 302
    assert donate(signed_in, project, kind="tier", tier=tier.pk, amount=800).status_code == 302

    project.refresh_from_db()
    tier.refresh_from_db()
    assert project.raised == 2 * project.product_price + 800
    assert project.products_preordered == 2 and tier.claimed == 1


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "free", "amount": 0},
        {"kind": "free"},
        {"kind": "free", "amount": 10_000_001},
        {"kind": "preorder", "quantity": 101},
        {"kind": "tier", "amount": 800},
        {"kind": "gift", "amount": 800},
    ],
)
def test_a_bad_donation_is_refused_and_changes_nothing(signed_in, data):
    project = project_active()

    response = donate(signed_in, project, **data)

    assert response.status_code == 400
    assert "Nothing was changed" in response.content.decode()
    project.refresh_from_db()
    assert project.raised == 0 and not Donation.objects.exists()


def test_the_author_cannot_donate_and_a_tier_below_its_minimum_is_refused(client, user):
    project = project_active(author=user)
    tier = RewardTier.objects.create(project=project, title="Poster", min_amount=700, quantity=2)
    client.force_login(user)
    response = donate(client, project, kind="free", amount=100)
    assert response.status_code == 400 and 'class="alert alert-danger py-2 small cf-form-errors"' in (
        response.content.decode()
    )

    client.force_login(UserFactory())
    assert donate(client, project, kind="tier", tier=tier.pk, amount=100).status_code == 400
    project.refresh_from_db()
    tier.refresh_from_db()
    assert project.raised == 0 and tier.claimed == 0 and not Donation.objects.exists()


def test_a_tier_of_another_project_is_refused(signed_in):
    project = project_active()
    other = RewardTierFactory()
    assert donate(signed_in, project, kind="tier", tier=other.pk, amount=900).status_code == 400
    assert not Donation.objects.exists()


def test_nobody_donates_to_a_draft_they_cannot_see(signed_in):
    project = project_make()
    assert donate(signed_in, project, kind="free", amount=100).status_code == 404


# --- Applications and promotions ---------------------------------------------------------------


def test_a_specialist_applies_for_an_open_role(signed_in, user):
    project = project_active()
    ParticipantProfileFactory(user=user, professions=[Role.VIDEOGRAPHER])

    response = signed_in.post(
        reverse("crowdfunding:apply", args=[project.pk]), {"role": Role.VIDEOGRAPHER, "message": "Hi"}
    )

    assert response.status_code == 302
    application = Application.objects.get(project=project)
    assert (application.applicant, application.role, application.status) == (user, Role.VIDEOGRAPHER, "pending")


@pytest.mark.parametrize("role", [Role.DIRECTOR, "pilot", ""])
def test_an_application_for_a_role_one_cannot_take_is_refused(signed_in, user, role):
    project = project_active()
    ParticipantProfileFactory(user=user, professions=[Role.VIDEOGRAPHER])

    response = signed_in.post(reverse("crowdfunding:apply", args=[project.pk]), {"role": role})

    assert response.status_code == 400
    assert not Application.objects.exists()
    # Offered again with only the roles the viewer may choose.
    offered = [value for value, _label in response.context["application_form"].fields["role"].choices]
    assert offered == [Role.VIDEOGRAPHER, FOLLOWER]


def test_an_accepted_follower_submits_a_promotion_and_others_cannot(client, user):
    project = project_active()
    FollowerApplicationFactory(project=project, applicant=user, status=Application.Status.ACCEPTED)
    client.force_login(user)
    assert 'id="promotion-form"' in client.get(detail(project)).content.decode()
    url = reverse("crowdfunding:promotion-submit", args=[project.pk])

    response = client.post(url, {"platform": "youtube", "url": "https://youtube.com/watch?v=abc"})

    assert response.status_code == 302
    assert Promotion.objects.get().promoter == user

    client.force_login(UserFactory())
    response = client.post(url, {"platform": "youtube", "url": "https://youtube.com/watch?v=other"})
    assert response.status_code == 400 and Promotion.objects.count() == 1
    assert client.post(url, {"platform": "myspace", "url": "nope"}).status_code == 400


# --- Create, edit, publish ---------------------------------------------------------------------


def test_the_create_form_renders_every_field_with_its_range(signed_in):
    body = signed_in.get(CREATE).content.decode()
    assert 'name="months"' in body and 'min="3"' in body and 'max="12"' in body
    assert 'max="1000000"' in body and 'type="checkbox" name="sites"' in body
    assert body.count('_count"') >= 11 and 'name="monetization_specialist_salary"' in body
    assert 'type="datetime-local"' in body and 'name="cover"' in body
    assert "crowdfunding/budget-preview.js" in body and reverse("crowdfunding:budget-preview") in body


def test_creating_a_project_saves_a_draft_with_its_team_and_budget(signed_in, user):
    response = signed_in.post(CREATE, form_data())

    project = Project.objects.get()
    assert response.status_code == 302 and response.url == detail(project)
    assert project.author == user and project.status == Project.Status.DRAFT
    assert project.goal == 183_522
    assert dict(ProjectRole.objects.values_list("role", "headcount")) == {"copywriter": 1, "director": 3}


@pytest.mark.parametrize(
    "overrides",
    [
        {"months": 13},
        {"sites": []},
        {"director_salary": 5000},
        {"copywriter_count": 11},
        {"blog_name": "x"},
        {"deadline": (timezone.localtime() + timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M")},
    ],
)
def test_a_bad_project_is_refused_beside_its_field_and_nothing_is_saved(signed_in, overrides):
    response = signed_in.post(CREATE, form_data(**overrides))

    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Project.objects.exists() and not ProjectRole.objects.exists()


def test_editing_a_draft_changes_its_numbers(client, user):
    project = project_make(author=user)
    client.force_login(user)
    form = client.get(reverse("crowdfunding:edit", args=[project.pk])).context["form"]
    assert form["months"].value() == project.months

    response = client.post(reverse("crowdfunding:edit", args=[project.pk]), form_data(blog_name="Renamed"))

    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.blog_name, project.months, project.goal) == ("Renamed", 3, 183_522)


def test_an_active_project_keeps_its_locked_fields_while_the_free_ones_change(client, user):
    project = project_active(author=user)
    goal, months = project.goal, project.months
    client.force_login(user)
    body = client.get(reverse("crowdfunding:edit", args=[project.pk])).content.decode()
    assert 'id="locked-note"' in body and "data-preview-url" not in body

    response = client.post(reverse("crowdfunding:edit", args=[project.pk]), form_data(blog_name="Renamed", months=12))

    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.blog_name, project.months, project.goal) == ("Renamed", months, goal)


def test_a_closed_project_cannot_be_edited(client, user):
    project = ActiveProjectFactory(author=user, status=Project.Status.FUNDED)
    client.force_login(user)
    response = client.post(reverse("crowdfunding:edit", args=[project.pk]), form_data(blog_name="Renamed"))
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.blog_name != "Renamed"


def test_another_users_project_cannot_be_edited_or_published(signed_in):
    project = project_make()
    assert signed_in.get(reverse("crowdfunding:edit", args=[project.pk])).status_code == 404
    assert signed_in.post(reverse("crowdfunding:edit", args=[project.pk]), form_data()).status_code == 404
    assert signed_in.post(reverse("crowdfunding:publish", args=[project.pk])).status_code == 404
    project.refresh_from_db()
    assert project.status == Project.Status.DRAFT


def test_the_author_publishes_a_draft(client, user):
    project = project_make(author=user)
    client.force_login(user)

    response = client.post(reverse("crowdfunding:publish", args=[project.pk]), follow=True)

    assert response.redirect_chain == [(detail(project), 302)]
    project.refresh_from_db()
    assert project.status == Project.Status.ACTIVE
    # A second publish is refused with a message, and the project stays as it is.
    response = client.post(reverse("crowdfunding:publish", args=[project.pk]), follow=True)
    assert [message.level_tag for message in response.context["messages"]] == ["error"]
    project.refresh_from_db()
    assert project.status == Project.Status.ACTIVE


# --- Live budget preview -----------------------------------------------------------------------


def test_the_budget_preview_answers_the_breakdown_of_a_known_input(signed_in):
    """months 3, one site, 4 posts a month, price 7; a copywriter at 10,000 and three directors at 15,000.

    months ratio 1 − 3/10 = 0.7; sites ratio 1 − 4/10 = 0.6; posts ratio 1 − 6/20 = 0.7;
    follower pay int(1500 × 0.7 × 0.6) = 630; total int(630 × 100 × 0.7 × 0.7 × 0.6) = 18,522;
    specialists 1 × 10,000 × 3 + 3 × 15,000 × 3 = 165,000; goal 183,522;
    product price ceil(7 / 5) + 7 = 9; products to sell 183,522 // 2 + 1 = 91,762.
    """
    projects, roles = Project.objects.count(), ProjectRole.objects.count()

    response = signed_in.post(PREVIEW, form_data(blog_name="", idea="", deadline=""))

    assert response.status_code == 200
    assert response.json()["budget"] == {
        "months_ratio": 0.7,
        "sites_ratio": 0.6,
        "posts_ratio": 0.7,
        "follower_pay": 630,
        "total_follower_pay": 18_522,
        "specialists_pay": 165_000,
        "specialists_count": 4,
        "goal": 183_522,
        "product_price": 9,
        "products_to_sell": 91_762,
    }
    assert 'data-budget="goal">183,522 ₽<' in response.json()["html"]
    # It saves nothing.
    assert (Project.objects.count(), ProjectRole.objects.count()) == (projects, roles)


def test_the_budget_preview_of_a_free_product_has_no_products_to_sell(signed_in):
    body = signed_in.post(PREVIEW, form_data(author_price=0)).json()
    assert body["budget"]["products_to_sell"] is None and body["budget"]["product_price"] == 0
    assert 'data-budget="products_to_sell">—<' in body["html"]


def test_the_budget_preview_names_the_bad_fields(signed_in):
    response = signed_in.post(PREVIEW, form_data(months=2, sites=[], director_salary=5000))
    assert response.status_code == 200
    assert set(response.json()["errors"]) == {"months", "sites", "director_salary"}
    assert "html" not in response.json()


def test_the_budget_preview_needs_an_account_and_a_post(client, signed_in):
    assert client.post(PREVIEW, form_data()).status_code == 302
    assert signed_in.get(PREVIEW).status_code == 405


# --- Platform home widget ----------------------------------------------------------------------


def test_the_platform_home_shows_the_crowdfunding_numbers(client):
    project = ActiveProjectFactory()
    Project.objects.filter(pk=project.pk).update(raised=4321)

    response = client.get(reverse("core:home"))

    body = response.content.decode()
    assert reverse("crowdfunding:home") in body
    assert "Open projects" in body and "4321" in body.replace(",", "").replace("\xa0", "")


def test_the_project_page_costs_the_same_queries_whatever_its_team_backers_tiers_and_promotions(client, user):
    project = project_active(
        specialists={"copywriter": {"count": 3, "salary": 10_000}, "director": {"count": 2, "salary": 15_000}}
    )
    client.force_login(user)
    count_queries(client, detail(project))
    few = count_queries(client, detail(project))
    for number in range(8):
        Donation.objects.create(project=project, donor=UserFactory(), kind="free", amount=100 + number)
        RewardTier.objects.create(project=project, title=f"Tier {number}", min_amount=100, quantity=5)
        Promotion.objects.create(
            project=project, promoter=UserFactory(), platform="vk", url=f"https://vk.com/p{number}", status="approved"
        )
    for role in ("copywriter", "director"):
        Application.objects.create(project=project, applicant=UserFactory(), role=role, status="accepted")
    assert count_queries(client, detail(project)) == few


def test_the_list_costs_the_same_queries_for_a_few_or_a_full_page_of_projects(client):
    for _number in range(2):
        ActiveProjectFactory()
    few = count_queries(client, LIST)
    for _number in range(20):
        ActiveProjectFactory()
    assert count_queries(client, LIST) == few
