"""The participant's own pages: participant profile (and its panel on the public profile), my
projects, my donations, my team roles (withdrawing a pending application) and my promotions."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crowdfunding import services
from crowdfunding.models import FOLLOWER, Application, Donation, ParticipantProfile, Project, Promotion, Role, Topic
from tests.crowdfunding.factories import (
    ActiveProjectFactory,
    ApplicationFactory,
    DonationFactory,
    ParticipantProfileFactory,
    ProjectFactory,
    PromotionFactory,
    RewardTierFactory,
    project_active,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    # The session's device use is noted once, by a first request: the counts below start after it.
    client.get(reverse("crowdfunding:participant-profile"))
    return client


def queries_of(client: Client, url: str) -> list[str]:
    """The SQL a page runs: the same number whatever the data; the section's own tables pinned below
    (the session and the user may come from the cache, depending on the settings)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return [query["sql"] for query in queries]


def ours(queries: list[str]) -> list[str]:
    return [sql for sql in queries if '"crowdfunding_' in sql]


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- Participant profile ------------------------------------------------------------------------


PROFILE_POST = {
    "skills": "Editing and colour grading.",
    "experience": "Three years of wedding videos.",
    "professions": [Role.VIDEOGRAPHER, Role.DIRECTOR],
    "topics": [Topic.TRAVEL],
}


def test_the_profile_page_offers_every_profession_and_topic_and_says_the_first_save_creates_it(signed_in):
    response = signed_in.get(reverse("crowdfunding:participant-profile"))

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="no-profile"' in body
    assert body.count('name="professions"') == len(Role.values) == 11
    assert body.count('name="topics"') == len(Topic.values) == 14
    assert "Monetization specialist" in body and "Crafts" in body


def test_the_first_save_creates_the_profile(signed_in, user):
    response = signed_in.post(reverse("crowdfunding:participant-profile"), PROFILE_POST, follow=True)

    profile = ParticipantProfile.objects.get(user=user)
    assert (profile.skills, profile.experience) == (PROFILE_POST["skills"], PROFILE_POST["experience"])
    assert sorted(profile.professions) == sorted([Role.VIDEOGRAPHER, Role.DIRECTOR])
    assert profile.topics == [Topic.TRAVEL]
    assert messages_of(response) == ["Your participant profile is saved."]
    body = response.content.decode()
    assert 'id="no-profile"' not in body
    assert 'value="videographer" id="id_professions_1" checked' in body


def test_a_later_save_updates_the_profile_and_can_clear_the_choices(signed_in, user):
    ParticipantProfileFactory(user=user)

    signed_in.post(reverse("crowdfunding:participant-profile"), {"skills": "Sound.", "experience": "Radio."})

    profile = ParticipantProfile.objects.get(user=user)
    assert (profile.skills, profile.experience, profile.professions, profile.topics) == ("Sound.", "Radio.", [], [])


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"skills": ""}, "skills"),
        ({"experience": "x" * 1001}, "experience"),
        ({"professions": ["astronaut"]}, "professions"),
        ({"topics": ["cooking"]}, "topics"),
    ],
)
def test_bad_input_re_renders_with_the_error_and_changes_nothing(signed_in, user, change, field):
    profile = ParticipantProfileFactory(user=user)
    before = ParticipantProfile.objects.filter(pk=profile.pk).values().get()

    response = signed_in.post(reverse("crowdfunding:participant-profile"), {**PROFILE_POST, **change})

    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert 'class="invalid-feedback d-block"' in response.content.decode()
    assert ParticipantProfile.objects.filter(pk=profile.pk).values().get() == before


def test_bad_input_on_the_first_save_creates_no_profile(signed_in, user):
    response = signed_in.post(reverse("crowdfunding:participant-profile"), {**PROFILE_POST, "experience": ""})

    assert response.status_code == 200
    assert not ParticipantProfile.objects.filter(user=user).exists()


def test_a_service_refusal_is_shown_beside_its_field(signed_in, user, monkeypatch):
    from django.core.exceptions import ValidationError

    def refuse(**kwargs):
        raise ValidationError({"skills": ["Refused by the service."]})

    monkeypatch.setattr(services, "participant_profile_save", refuse)

    response = signed_in.post(reverse("crowdfunding:participant-profile"), PROFILE_POST)

    assert response.context["form"].errors["skills"] == ["Refused by the service."]


def test_the_public_profile_shows_the_participant_panel(signed_in):
    person = UserFactory()
    ParticipantProfileFactory(
        user=person, skills="Storyboards.", professions=[Role.SCRIPTWRITER], topics=[Topic.BOOKS, Topic.GAMES]
    )
    ActiveProjectFactory(author=person, blog_name="Read aloud")
    ProjectFactory(author=person, blog_name="Secret draft")

    body = signed_in.get(reverse("accounts:public-profile", args=[person.username])).content.decode()

    assert 'id="crowdfunding-panel"' in body
    assert "Scriptwriter" in body and "Books" in body and "Games" in body and "Storyboards." in body
    assert "Read aloud" in body and "Secret draft" not in body


def test_the_public_profile_of_someone_without_a_profile_or_projects_has_no_panel(signed_in):
    person = UserFactory()

    body = signed_in.get(reverse("accounts:public-profile", args=[person.username])).content.decode()

    assert 'id="crowdfunding-panel"' not in body


# --- My projects --------------------------------------------------------------------------------


def test_my_projects_lists_every_status_of_mine_with_progress_and_links(signed_in, user):
    draft = ProjectFactory(author=user, blog_name="My draft")
    active = ActiveProjectFactory(author=user, blog_name="My active")
    funded = ProjectFactory(author=user, blog_name="My funded", status=Project.Status.FUNDED)
    ActiveProjectFactory(blog_name="Someone else's")
    Project.objects.filter(pk=active.pk).update(raised=12_000, goal=48_000)

    response = signed_in.get(reverse("crowdfunding:my-projects"))

    body = response.content.decode()
    assert [project.blog_name for project in response.context["page"]] == ["My funded", "My active", "My draft"]
    assert "Someone else's" not in body
    assert 'class="cf-raised text-nowrap">12,000 ₽</strong>' in body and "of 48,000 ₽" in body and "25%" in body
    for project in (draft, active, funded):
        assert reverse("crowdfunding:manage", args=[project.pk]) in body
    assert reverse("crowdfunding:edit", args=[draft.pk]) in body
    assert reverse("crowdfunding:edit", args=[active.pk]) in body
    # A closed project is read-only: no edit link.
    assert reverse("crowdfunding:edit", args=[funded.pk]) not in body


def test_my_projects_without_any_offers_to_start_one(signed_in):
    body = signed_in.get(reverse("crowdfunding:my-projects")).content.decode()

    assert 'id="no-projects"' in body and reverse("crowdfunding:create") in body


def test_my_projects_is_paginated_in_a_constant_number_of_queries(signed_in, user):
    ProjectFactory(author=user)
    few = queries_of(signed_in, reverse("crowdfunding:my-projects"))
    ProjectFactory.create_batch(24, author=user)

    many = queries_of(signed_in, reverse("crowdfunding:my-projects"))
    assert len(many) == len(few)
    assert len(ours(many)) == 2  # the page's count and rows
    response = signed_in.get(reverse("crowdfunding:my-projects"))
    assert len(response.context["page"]) == 20
    second = signed_in.get(reverse("crowdfunding:my-projects") + "?page=2")
    assert len(second.context["page"]) == 5


# --- My donations -------------------------------------------------------------------------------


def test_my_donations_show_kind_amount_tier_status_and_my_anonymous_flag(signed_in, user):
    project = ActiveProjectFactory(blog_name="Trail runs", product_name="Trail map")
    tier = RewardTierFactory(project=project, title="Signed postcard")
    DonationFactory(project=project, donor=user, amount=700, comment="Go!")
    DonationFactory(
        project=project, donor=user, kind=Donation.Kind.PREORDER, amount=2400, quantity=2, status="collected"
    )
    DonationFactory(
        project=project, donor=user, kind=Donation.Kind.TIER, tier=tier, amount=900, anonymous=True, status="refunded"
    )
    DonationFactory(project=project, amount=123_456)

    response = signed_in.get(reverse("crowdfunding:my-donations"))

    body = response.content.decode()
    assert len(response.context["page"]) == 3
    assert "Trail runs" in body and "Go!" in body
    assert "700 ₽" in body and "2,400 ₽" in body and "900 ₽" in body and "123,456" not in body
    assert "Free donation" in body and "Pre-order" in body and "2 × Trail map" in body
    assert "Reward tier" in body and "Signed postcard" in body
    assert "Pledged" in body and "Collected" in body and "Refunded" in body
    assert body.count('class="badge rounded-pill text-bg-light border donation-anonymous"') == 1


def test_my_donations_through_the_service_appear_at_once(signed_in, user):
    project = project_active()
    services.donation_make(project=project, donor=user, kind=Donation.Kind.FREE, amount=5000, anonymous=True)

    body = signed_in.get(reverse("crowdfunding:my-donations")).content.decode()

    assert project.blog_name in body and "5,000 ₽" in body and "donation-anonymous" in body


def test_my_donations_without_any_point_to_the_projects(signed_in):
    body = signed_in.get(reverse("crowdfunding:my-donations")).content.decode()

    assert 'id="no-donations"' in body and reverse("crowdfunding:list") in body


def test_my_donations_use_a_constant_number_of_queries(signed_in, user):
    DonationFactory(donor=user)
    few = queries_of(signed_in, reverse("crowdfunding:my-donations"))
    tier = RewardTierFactory()
    DonationFactory.create_batch(12, donor=user)
    DonationFactory.create_batch(12, donor=user, project=tier.project, kind=Donation.Kind.TIER, tier=tier)

    many = queries_of(signed_in, reverse("crowdfunding:my-donations"))
    assert len(many) == len(few)
    assert len(ours(many)) == 2  # the page's count and rows (projects and tiers joined)
    assert len(signed_in.get(reverse("crowdfunding:my-donations")).context["page"]) == 20


# --- My team roles ------------------------------------------------------------------------------


def test_my_roles_list_my_applications_with_role_and_status(signed_in, user):
    ApplicationFactory(applicant=user, project=ActiveProjectFactory(blog_name="Camera club"))
    ApplicationFactory(
        applicant=user,
        role=FOLLOWER,
        status=Application.Status.ACCEPTED,
        project=ActiveProjectFactory(blog_name="Garden diary"),
    )
    ApplicationFactory(
        applicant=user,
        role=Role.DIRECTOR,
        status=Application.Status.REJECTED,
        project=ActiveProjectFactory(blog_name="Film nights"),
    )
    ApplicationFactory(project=ActiveProjectFactory(blog_name="Not mine"))

    body = signed_in.get(reverse("crowdfunding:my-roles")).content.decode()

    assert "Camera club" in body and "Garden diary" in body and "Film nights" in body and "Not mine" not in body
    assert "Videographer" in body and "Follower" in body and "Director" in body
    assert "Pending" in body and "Accepted" in body and "Rejected" in body
    # Only the pending one can be withdrawn.
    assert body.count("/withdraw/") == 1


def test_an_accepted_specialist_sees_the_salary(signed_in, user):
    ParticipantProfileFactory(user=user, professions=[Role.VIDEOGRAPHER])
    project = project_active()
    application = services.application_submit(project=project, applicant=user, role=Role.VIDEOGRAPHER)
    services.application_accept(application=application, actor=project.author)

    body = signed_in.get(reverse("crowdfunding:my-roles")).content.decode()

    assert "Accepted" in body and "20,000 ₽ a month" in body


def test_withdrawing_a_pending_application(signed_in, user):
    application = ApplicationFactory(applicant=user)

    response = signed_in.post(reverse("crowdfunding:application-withdraw", args=[application.pk]), follow=True)

    application.refresh_from_db()
    assert application.status == Application.Status.WITHDRAWN
    assert response.redirect_chain[-1][0] == reverse("crowdfunding:my-roles")
    assert messages_of(response) == [f"Your application to “{application.project.blog_name}” is withdrawn."]


def test_withdrawing_a_decided_application_is_refused_and_changes_nothing(signed_in, user):
    application = ApplicationFactory(applicant=user, status=Application.Status.ACCEPTED)

    response = signed_in.post(reverse("crowdfunding:application-withdraw", args=[application.pk]), follow=True)

    application.refresh_from_db()
    assert application.status == Application.Status.ACCEPTED
    assert messages_of(response) == ["This application has already been decided."]


def test_withdrawing_someone_elses_application_is_a_404(signed_in):
    application = ApplicationFactory()

    response = signed_in.post(reverse("crowdfunding:application-withdraw", args=[application.pk]))

    assert response.status_code == 404
    application.refresh_from_db()
    assert application.status == Application.Status.PENDING


def test_withdrawing_needs_a_post(signed_in, user):
    application = ApplicationFactory(applicant=user)

    assert signed_in.get(reverse("crowdfunding:application-withdraw", args=[application.pk])).status_code == 405


def test_my_roles_use_a_constant_number_of_queries(signed_in, user):
    ApplicationFactory(applicant=user)
    few = queries_of(signed_in, reverse("crowdfunding:my-roles"))
    ApplicationFactory.create_batch(24, applicant=user)

    many = queries_of(signed_in, reverse("crowdfunding:my-roles"))
    assert len(many) == len(few)
    assert len(ours(many)) == 2  # the page's count and rows (projects joined)
    assert len(signed_in.get(reverse("crowdfunding:my-roles")).context["rows"]) == 20


# --- My promotions ------------------------------------------------------------------------------


def test_my_promotions_list_status_and_link_to_the_post(signed_in, user):
    PromotionFactory(promoter=user, url="https://vk.com/wall1_1", platform="vk", status=Promotion.Status.APPROVED)
    PromotionFactory(promoter=user, url="https://www.youtube.com/watch?v=mine")
    PromotionFactory(url="https://www.youtube.com/watch?v=theirs")

    body = signed_in.get(reverse("crowdfunding:my-promotions")).content.decode()

    assert 'href="https://vk.com/wall1_1" rel="noopener noreferrer nofollow"' in body
    assert "watch?v=mine" in body and "watch?v=theirs" not in body
    assert "Approved" in body and "Pending" in body and "VK" in body and "YouTube" in body


def test_my_promotions_without_any_explain_how_to_promote(signed_in):
    assert 'id="no-promotions"' in signed_in.get(reverse("crowdfunding:my-promotions")).content.decode()


def test_my_promotions_use_a_constant_number_of_queries(signed_in, user):
    PromotionFactory(promoter=user)
    few = queries_of(signed_in, reverse("crowdfunding:my-promotions"))
    PromotionFactory.create_batch(24, promoter=user)

    many = queries_of(signed_in, reverse("crowdfunding:my-promotions"))
    assert len(many) == len(few)
    assert len(ours(many)) == 2  # the page's count and rows (projects joined)
    assert len(signed_in.get(reverse("crowdfunding:my-promotions")).context["page"]) == 20


@pytest.mark.parametrize("name", ["participant-profile", "my-projects", "my-donations", "my-roles", "my-promotions"])
def test_the_personal_pages_need_an_account(client, name):
    response = client.get(reverse(f"crowdfunding:{name}"))

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("name", ["participant-profile", "my-projects", "my-donations", "my-roles", "my-promotions"])
def test_personal_pages_show_each_link_once_and_mark_my_crowdfunding_in_the_section_nav(signed_in, name):
    body = signed_in.get(reverse(f"crowdfunding:{name}")).content.decode()

    assert body.count(f'href="{reverse(f"crowdfunding:{name}")}"') == 1 + (name == "my-projects")
    assert 'class="nav-link text-nowrap active" href="/crowdfunding/my/projects/" id="my-crowdfunding-link"' in body
