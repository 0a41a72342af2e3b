"""The author's manage page: the money view, accepting and rejecting applications, approving and
rejecting promotions, reward tiers and cancelling the project. Another author's objects answer 404
and a refused action changes nothing."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crowdfunding import services
from crowdfunding.models import FOLLOWER, Application, Donation, Project, ProjectRole, Promotion, RewardTier, Role
from tests.crowdfunding.factories import (
    ActiveProjectFactory,
    ApplicationFactory,
    DonationFactory,
    FollowerApplicationFactory,
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
    client.get(reverse("crowdfunding:my-projects"))
    return client


@pytest.fixture
def project(user) -> Project:
    """An active project of the signed-in user: two videographers at 20,000 a month for 6 months."""
    return project_active(author=user)


def manage_url(project: Project) -> str:
    return reverse("crowdfunding:manage", args=[project.pk])


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def state(*models) -> dict:
    """Every row of ``models``, to prove a refused action changed nothing."""
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in models}


ALL = (Project, ProjectRole, Application, Promotion, RewardTier, Donation)


def accepted_videographer(project: Project) -> Application:
    applicant = ParticipantProfileFactory(professions=[Role.VIDEOGRAPHER]).user
    application = services.application_submit(project=project, applicant=applicant, role=Role.VIDEOGRAPHER)
    return services.application_accept(application=application, actor=project.author)


def accepted_follower(project: Project) -> Application:
    application = services.application_submit(project=project, applicant=UserFactory(), role=FOLLOWER)
    return services.application_accept(application=application, actor=project.author)


# --- The page -----------------------------------------------------------------------------------


def test_the_money_view_shows_raised_committed_and_a_shortfall(signed_in, project):
    accepted_videographer(project)
    accepted_follower(project)
    services.donation_make(project=project, donor=UserFactory(), kind=Donation.Kind.FREE, amount=50_000)

    response = signed_in.get(manage_url(project))

    # Team: 20,000 × 6 months; followers: 1,050 (1500 × posts 1.0 × sites 0.7) × 1 joined.
    assert response.context["money"] == {
        "raised": 50_000,
        "goal": project.goal,
        "team_pay": 120_000,
        "follower_pay": 1_050,
        "committed": 121_050,
        "remaining": -71_050,
    }
    body = response.content.decode()
    assert 'id="money-raised">50,000 ₽' in body
    assert 'id="money-team">120,000 ₽' in body
    assert 'id="money-followers">1,050 ₽' in body
    assert 'id="money-committed">121,050 ₽' in body
    assert 'id="money-shortfall">71,050 ₽' in body and 'id="money-remaining"' not in body


def test_the_money_view_shows_what_remains_when_raised_covers_the_commitments(signed_in, project):
    accepted_videographer(project)
    services.donation_make(project=project, donor=UserFactory(), kind=Donation.Kind.FREE, amount=200_000)

    body = signed_in.get(manage_url(project)).content.decode()

    assert 'id="money-remaining">80,000 ₽' in body and 'id="money-shortfall"' not in body


def test_the_page_lists_team_pending_applications_promotions_and_tiers(signed_in, project):
    member = accepted_videographer(project)
    pending = ApplicationFactory(project=project, message="I film weddings.")
    FollowerApplicationFactory(project=project, status=Application.Status.REJECTED)
    waiting = PromotionFactory(project=project, url="https://vk.com/wall1_2", platform="vk")
    PromotionFactory(project=project, url="https://x.com/a/status/1", platform="x", status=Promotion.Status.APPROVED)
    tier = RewardTierFactory(project=project, title="Postcard", min_amount=700, quantity=5)

    response = signed_in.get(manage_url(project))

    body = response.content.decode()
    assert [row["application"] for row in response.context["applications"]] == [pending]
    assert "I film weddings." in body
    assert reverse("crowdfunding:application-accept", args=[pending.pk]) in body
    assert reverse("crowdfunding:application-reject", args=[pending.pk]) in body
    assert f"@{member.applicant.username}" in body and "1 / 2" in body
    assert response.context["pending_promotions"] == [waiting]
    assert reverse("crowdfunding:promotion-approve", args=[waiting.pk]) in body
    assert "https://x.com/a/status/1" in body
    assert "Postcard" in body and "700 ₽" in body and "0 / 5" in body
    assert reverse("crowdfunding:tier-edit", args=[project.pk, tier.pk]) in body
    assert reverse("crowdfunding:tier-delete", args=[project.pk, tier.pk]) in body
    assert reverse("crowdfunding:cancel", args=[project.pk]) in body


def test_an_own_draft_can_be_managed(signed_in, user):
    draft = ProjectFactory(author=user)

    response = signed_in.get(manage_url(draft))

    assert response.status_code == 200
    assert 'id="tier-add-form"' in response.content.decode()


def test_a_closed_project_is_read_only_on_the_page(signed_in, user):
    funded = ProjectFactory(author=user, status=Project.Status.FUNDED)
    tier = RewardTierFactory(project=funded)

    body = signed_in.get(manage_url(funded)).content.decode()

    assert 'id="tier-add-form"' not in body and 'id="cancel-link"' not in body
    assert reverse("crowdfunding:tier-edit", args=[funded.pk, tier.pk]) not in body


def test_another_authors_project_is_a_404(signed_in):
    assert signed_in.get(manage_url(ActiveProjectFactory())).status_code == 404


def test_the_page_uses_a_constant_number_of_queries(signed_in, project):
    ApplicationFactory(project=project)
    PromotionFactory(project=project)
    RewardTierFactory(project=project)
    few = queries_of(signed_in, manage_url(project))
    accepted_videographer(project)
    accepted_videographer(project)
    ApplicationFactory.create_batch(5, project=project)
    PromotionFactory.create_batch(5, project=project)
    PromotionFactory.create_batch(5, project=project, status=Promotion.Status.REJECTED)
    RewardTierFactory.create_batch(5, project=project)

    many = queries_of(signed_in, manage_url(project))
    assert len(many) == len(few)
    # The project; money (roles, salaries); team (members, roles); pending applications and their count;
    # pending promotions and their count, decided ones; tiers. The session and the user may come from the cache.
    assert len([sql for sql in many if '"crowdfunding_' in sql]) == 11


def queries_of(client: Client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [query["sql"] for query in queries]


# --- Applications -------------------------------------------------------------------------------


def test_accepting_an_application_seats_the_applicant(signed_in, project):
    applicant = ParticipantProfileFactory(professions=[Role.VIDEOGRAPHER]).user
    application = services.application_submit(project=project, applicant=applicant, role=Role.VIDEOGRAPHER)

    response = signed_in.post(reverse("crowdfunding:application-accept", args=[application.pk]), follow=True)

    application.refresh_from_db()
    assert application.status == Application.Status.ACCEPTED and application.salary == 20_000
    assert ProjectRole.objects.get(project=project, role=Role.VIDEOGRAPHER).seats_taken == 1
    assert response.redirect_chain[-1][0] == manage_url(project) + "#applications"
    assert messages_of(response) == [f"@{applicant.username} joins the team."]


def test_accepting_without_an_open_seat_is_refused_and_changes_nothing(signed_in, user):
    project = ActiveProjectFactory(author=user, roles={Role.VIDEOGRAPHER: (1, 20_000)})
    ProjectRole.objects.filter(project=project).update(seats_taken=1)
    application = ApplicationFactory(project=project)
    before = state(*ALL)

    response = signed_in.post(reverse("crowdfunding:application-accept", args=[application.pk]), follow=True)

    assert messages_of(response) == ["There is no open seat for this role any more."]
    assert state(*ALL) == before


def test_rejecting_an_application(signed_in, project):
    application = ApplicationFactory(project=project)

    response = signed_in.post(reverse("crowdfunding:application-reject", args=[application.pk]), follow=True)

    application.refresh_from_db()
    assert application.status == Application.Status.REJECTED
    assert messages_of(response) == [f"The application of @{application.applicant.username} is rejected."]


@pytest.mark.parametrize("action", ["application-accept", "application-reject"])
def test_deciding_an_already_decided_application_is_refused(signed_in, project, action):
    application = ApplicationFactory(project=project, status=Application.Status.WITHDRAWN)
    before = state(*ALL)

    response = signed_in.post(reverse(f"crowdfunding:{action}", args=[application.pk]), follow=True)

    assert messages_of(response) == ["This application has already been decided."]
    assert state(*ALL) == before


@pytest.mark.parametrize("action", ["application-accept", "application-reject"])
def test_deciding_another_authors_application_is_a_404(signed_in, action):
    application = ApplicationFactory()
    before = state(*ALL)

    assert signed_in.post(reverse(f"crowdfunding:{action}", args=[application.pk])).status_code == 404
    assert state(*ALL) == before


# --- Promotions ---------------------------------------------------------------------------------


def test_approving_a_promotion_feeds_the_promotion_rating(signed_in, project):
    promotion = PromotionFactory(project=project)

    response = signed_in.post(reverse("crowdfunding:promotion-approve", args=[promotion.pk]), follow=True)

    promotion.refresh_from_db()
    project.refresh_from_db()
    assert promotion.status == Promotion.Status.APPROVED
    assert project.approved_posts == 1 and project.rating_promotion == pytest.approx(1.01)
    assert response.redirect_chain[-1][0] == manage_url(project) + "#promotions"
    assert messages_of(response) == ["The promotion is approved."]


def test_rejecting_a_promotion(signed_in, project):
    promotion = PromotionFactory(project=project)

    response = signed_in.post(reverse("crowdfunding:promotion-reject", args=[promotion.pk]), follow=True)

    promotion.refresh_from_db()
    project.refresh_from_db()
    assert promotion.status == Promotion.Status.REJECTED and project.approved_posts == 0
    assert messages_of(response) == ["The promotion is rejected."]


@pytest.mark.parametrize("action", ["promotion-approve", "promotion-reject"])
def test_deciding_an_already_decided_promotion_is_refused(signed_in, project, action):
    promotion = PromotionFactory(project=project, status=Promotion.Status.REJECTED)
    before = state(*ALL)

    response = signed_in.post(reverse(f"crowdfunding:{action}", args=[promotion.pk]), follow=True)

    assert messages_of(response) == ["This promotion has already been decided."]
    assert state(*ALL) == before


@pytest.mark.parametrize("action", ["promotion-approve", "promotion-reject"])
def test_deciding_another_authors_promotion_is_a_404(signed_in, action):
    promotion = PromotionFactory()
    before = state(*ALL)

    assert signed_in.post(reverse(f"crowdfunding:{action}", args=[promotion.pk])).status_code == 404
    assert state(*ALL) == before


# --- Reward tiers -------------------------------------------------------------------------------

TIER = {"title": "Signed postcard", "description": "From the first trip.", "min_amount": "700", "quantity": "25"}


def test_adding_a_tier(signed_in, project):
    response = signed_in.post(reverse("crowdfunding:tier-add", args=[project.pk]), TIER, follow=True)

    tier = RewardTier.objects.get(project=project)
    assert (tier.title, tier.description, tier.min_amount, tier.quantity) == (
        "Signed postcard",
        "From the first trip.",
        700,
        25,
    )
    assert response.redirect_chain[-1][0] == manage_url(project) + "#tiers"
    assert messages_of(response) == ["The reward tier “Signed postcard” is added."]


def test_the_add_tier_page_shows_an_empty_form(signed_in, project):
    response = signed_in.get(reverse("crowdfunding:tier-add", args=[project.pk]))

    assert response.status_code == 200 and 'id="tier-form"' in response.content.decode()


@pytest.mark.parametrize(
    ("change", "field"),
    [({"title": ""}, "title"), ({"min_amount": "0"}, "min_amount"), ({"quantity": "many"}, "quantity")],
)
def test_a_bad_tier_re_renders_with_the_error_and_adds_nothing(signed_in, project, change, field):
    response = signed_in.post(reverse("crowdfunding:tier-add", args=[project.pk]), {**TIER, **change})

    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert not RewardTier.objects.exists()


def test_a_tier_the_service_refuses_shows_its_message(signed_in, project):
    response = signed_in.post(reverse("crowdfunding:tier-add", args=[project.pk]), {**TIER, "min_amount": "10000001"})

    assert response.status_code == 200
    assert response.context["form"].errors["min_amount"] == ["Enter an amount of at most 10,000,000."]
    assert not RewardTier.objects.exists()


def test_a_closed_project_takes_no_new_tier(signed_in, user):
    failed = ProjectFactory(author=user, status=Project.Status.FAILED)

    response = signed_in.post(reverse("crowdfunding:tier-add", args=[failed.pk]), TIER)

    assert response.context["form"].non_field_errors() == ["A closed project cannot be changed."]
    assert not RewardTier.objects.exists()


def test_adding_a_tier_to_another_authors_project_is_a_404(signed_in):
    other = ActiveProjectFactory()

    assert signed_in.post(reverse("crowdfunding:tier-add", args=[other.pk]), TIER).status_code == 404
    assert not RewardTier.objects.exists()


def test_editing_a_tier(signed_in, project):
    tier = RewardTierFactory(project=project, title="Old", quantity=3)
    url = reverse("crowdfunding:tier-edit", args=[project.pk, tier.pk])

    assert 'value="Old"' in signed_in.get(url).content.decode()
    response = signed_in.post(url, TIER, follow=True)

    tier.refresh_from_db()
    assert (tier.title, tier.min_amount, tier.quantity) == ("Signed postcard", 700, 25)
    assert messages_of(response) == ["The reward tier “Signed postcard” is saved."]


def test_a_tier_quantity_below_the_claimed_is_refused_and_changes_nothing(signed_in, project):
    tier = RewardTierFactory(project=project, quantity=10, claimed=4)
    before = state(*ALL)

    response = signed_in.post(reverse("crowdfunding:tier-edit", args=[project.pk, tier.pk]), {**TIER, "quantity": "3"})

    assert response.status_code == 200
    assert response.context["form"].errors
    assert state(*ALL) == before


def test_a_tier_quantity_below_the_claimed_is_explained_beside_the_quantity(signed_in, project):
    tier = RewardTierFactory(project=project, quantity=10, claimed=4)

    response = signed_in.post(reverse("crowdfunding:tier-edit", args=[project.pk, tier.pk]), {**TIER, "quantity": "3"})

    assert response.context["form"].errors["quantity"] == ["4 of this reward are already claimed."]


def test_deleting_an_unclaimed_tier(signed_in, project):
    tier = RewardTierFactory(project=project, title="Spare")

    response = signed_in.post(reverse("crowdfunding:tier-delete", args=[project.pk, tier.pk]), follow=True)

    assert not RewardTier.objects.exists()
    assert messages_of(response) == ["The reward tier “Spare” is deleted."]


def test_deleting_a_claimed_tier_is_refused_and_changes_nothing(signed_in, project):
    tier = RewardTierFactory(project=project)
    services.donation_make(project=project, donor=UserFactory(), kind=Donation.Kind.TIER, tier=tier)
    before = state(*ALL)

    response = signed_in.post(reverse("crowdfunding:tier-delete", args=[project.pk, tier.pk]), follow=True)

    assert messages_of(response) == ["A reward that donors have claimed cannot be deleted."]
    assert state(*ALL) == before


@pytest.mark.parametrize(("name", "method"), [("tier-edit", "get"), ("tier-edit", "post"), ("tier-delete", "post")])
def test_another_authors_tier_is_a_404_even_through_an_own_project(signed_in, project, name, method):
    tier = RewardTierFactory()
    before = state(*ALL)

    for project_id in (tier.project_id, project.pk):
        url = reverse(f"crowdfunding:{name}", args=[project_id, tier.pk])
        assert getattr(signed_in, method)(url, TIER).status_code == 404
    assert state(*ALL) == before


# --- Cancelling ---------------------------------------------------------------------------------


def test_cancelling_asks_for_a_confirmation_first(signed_in, project):
    services.donation_make(project=project, donor=UserFactory(), kind=Donation.Kind.FREE, amount=3_000)

    response = signed_in.get(reverse("crowdfunding:cancel", args=[project.pk]))

    body = response.content.decode()
    assert 'id="cancel-form"' in body
    assert "3,000 ₽ from 1 donation will be refunded" in body
    project.refresh_from_db()
    assert project.status == Project.Status.ACTIVE


def test_cancelling_refunds_every_pledge_and_tells_the_donors(
    signed_in, project, mailoutbox, django_capture_on_commit_callbacks
):
    donor = UserFactory()
    donation = services.donation_make(project=project, donor=donor, kind=Donation.Kind.FREE, amount=3_000)

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(
            reverse("crowdfunding:cancel", args=[project.pk]), {"reason": "Moving abroad."}, follow=True
        )

    project.refresh_from_db()
    donation.refresh_from_db()
    assert project.status == Project.Status.CANCELLED
    assert donation.status == Donation.Status.REFUNDED
    assert messages_of(response) == [f"“{project.blog_name}” is cancelled; every pledge is refunded."]
    assert response.redirect_chain[-1][0] == manage_url(project)
    assert donor.email in [address for message in mailoutbox for address in message.to]


def test_cancelling_a_closed_project_is_refused_and_changes_nothing(signed_in, user):
    funded = ProjectFactory(author=user, status=Project.Status.FUNDED)
    DonationFactory(project=funded, status=Donation.Status.COLLECTED)
    before = state(*ALL)

    page = signed_in.get(reverse("crowdfunding:cancel", args=[funded.pk])).content.decode()
    response = signed_in.post(reverse("crowdfunding:cancel", args=[funded.pk]), follow=True)

    assert 'id="not-cancellable"' in page and 'id="cancel-form"' not in page
    assert messages_of(response) == ["Only a draft or an active project can be cancelled."]
    assert state(*ALL) == before


@pytest.mark.parametrize("method", ["get", "post"])
def test_cancelling_another_authors_project_is_a_404(signed_in, method):
    other = ActiveProjectFactory()
    before = state(*ALL)

    assert getattr(signed_in, method)(reverse("crowdfunding:cancel", args=[other.pk])).status_code == 404
    assert state(*ALL) == before


@pytest.mark.parametrize("name", ["application-accept", "application-reject", "promotion-approve", "promotion-reject"])
def test_decisions_need_a_post(signed_in, name):
    assert signed_in.get(reverse(f"crowdfunding:{name}", args=[1])).status_code == 405


def test_pending_applications_and_posts_are_shown_oldest_first_fifty_at_a_time(signed_in, project):
    applications = ApplicationFactory.create_batch(52, project=project, role=FOLLOWER)
    posts = PromotionFactory.create_batch(51, project=project, promoter=UserFactory())

    response = signed_in.get(manage_url(project))

    shown = [row["application"] for row in response.context["applications"]]
    assert shown == applications[:50]
    assert response.context["pending_promotions"] == posts[:50]
    body = response.content.decode()
    assert "The 50 oldest of 52 are shown" in body and "The 50 oldest of 51 are shown" in body
