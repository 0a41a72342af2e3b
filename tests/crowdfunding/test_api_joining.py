"""The crowdfunding API around a project: donations (anonymity everywhere), reward tiers,
applications and their decisions, promotions, and my lists."""

import json

import pytest
from rest_framework.test import APIClient

from crowdfunding import services
from crowdfunding.models import Application, Donation, Project, Promotion, RewardTier, Role
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

UNAUTHORIZED = {"code": 401, "message": "Unauthorized"}


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def project(db) -> Project:
    """Active, two videographer seats at 20,000, author's price 1000 (product price 1200)."""
    return project_active()


# --- Donations ----------------------------------------------------------------------------------


def test_a_free_donation_answers_201_and_raises_the_project(user, user_api_client, project):
    response = user_api_client.post(
        f"/api/projects/{project.pk}/donate/", {"kind": "free", "amount": 2500, "comment": "Good luck"}
    )

    assert response.status_code == 201, response.content
    data = response.json()
    assert {key: data[key] for key in ("project", "kind", "amount", "quantity", "tier", "anonymous", "status")} == {
        "project": project.pk,
        "kind": "free",
        "amount": 2500,
        "quantity": 1,
        "tier": None,
        "anonymous": False,
        "status": "pledged",
    }
    assert user_api_client.get(f"/api/projects/{project.pk}/").json()["raised"] == 2500
    assert Donation.objects.get().donor == user


def test_a_preorder_costs_quantity_times_the_product_price(user_api_client, project):
    response = user_api_client.post(f"/api/projects/{project.pk}/donate/", {"kind": "preorder", "quantity": 3})

    assert response.status_code == 201, response.content
    # ceil(0.2 × 1000) + 1000 = 1200 a product.
    assert (response.json()["amount"], response.json()["quantity"]) == (3600, 3)
    project.refresh_from_db()
    assert (project.raised, project.products_preordered) == (3600, 3)


def test_a_tier_donation_claims_one_reward_at_its_minimum_by_default(user_api_client, project):
    tier = RewardTierFactory(project=project, min_amount=700, quantity=2)

    response = user_api_client.post(f"/api/projects/{project.pk}/donate/", {"kind": "tier", "tier": tier.pk})

    assert response.status_code == 201, response.content
    assert (response.json()["amount"], response.json()["tier"], response.json()["tier_title"]) == (
        700,
        tier.pk,
        tier.title,
    )
    tier.refresh_from_db()
    assert tier.claimed == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "gift", "amount": 10}, "kind"),
        ({"kind": "free", "amount": 0}, "amount"),
        ({"kind": "free", "amount": 10_000_001}, "amount"),
        ({"kind": "free"}, "amount"),
        ({"kind": "preorder", "quantity": 101}, "quantity"),
        ({"kind": "tier", "tier": 999_999}, "tier"),
        ({"kind": "tier"}, "tier"),
        ({"kind": "free", "amount": 10, "comment": "x" * 501}, "comment"),
        ({"kind": "free", "amount": 10, "anonymous": "perhaps"}, "anonymous"),
    ],
)
def test_bad_donations_answer_400_naming_the_field_and_change_nothing(user_api_client, project, data, field):
    response = user_api_client.post(f"/api/projects/{project.pk}/donate/", data)

    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == [field]
    assert not Donation.objects.exists()
    project.refresh_from_db()
    assert project.raised == 0


def test_a_tier_below_its_minimum_or_of_another_project_is_refused(user_api_client, project):
    tier = RewardTierFactory(project=project, min_amount=700)
    elsewhere = RewardTierFactory()

    below = user_api_client.post(f"/api/projects/{project.pk}/donate/", {"kind": "tier", "tier": tier.pk, "amount": 5})
    foreign = user_api_client.post(f"/api/projects/{project.pk}/donate/", {"kind": "tier", "tier": elsewhere.pk})

    assert below.status_code == 400 and list(below.json()["errors"]) == ["amount"]
    assert foreign.status_code == 400 and list(foreign.json()["errors"]) == ["tier"]
    assert not Donation.objects.exists()


def test_a_sold_out_tier_is_refused(user_api_client, project):
    tier = RewardTierFactory(project=project, quantity=1, claimed=1)

    response = user_api_client.post(f"/api/projects/{project.pk}/donate/", {"kind": "tier", "tier": tier.pk})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["tier"]


def test_the_author_cannot_donate_to_their_own_project_nor_anyone_to_a_closed_one(project):
    closed = ActiveProjectFactory(status=Project.Status.FUNDED)

    own = client_for(project.author).post(f"/api/projects/{project.pk}/donate/", {"kind": "free", "amount": 10})
    late = client_for(UserFactory()).post(f"/api/projects/{closed.pk}/donate/", {"kind": "free", "amount": 10})

    assert own.status_code == 400
    assert late.status_code == 400
    assert not Donation.objects.exists()


def test_a_draft_of_someone_else_cannot_be_donated_to_or_applied_to(user_api_client):
    draft = ProjectFactory()

    assert user_api_client.post(f"/api/projects/{draft.pk}/donate/", {"kind": "free", "amount": 10}).status_code == 404
    assert user_api_client.post(f"/api/projects/{draft.pk}/apply/", {"role": "follower"}).status_code == 404


@pytest.mark.parametrize("action", ["donate", "apply", "publish", "cancel"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_project_actions_need_credentials(api_client, project, action, method):
    response = getattr(api_client, method)(f"/api/projects/{project.pk}/{action}/", {})

    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


# --- Anonymity ------------------------------------------------------------------------------------


def _everything_public(client: APIClient, project: Project) -> str:
    answers = [
        client.get(f"/api/projects/{project.pk}/"),
        client.get(f"/api/projects/{project.pk}/donations/"),
        client.get(f"/api/projects/{project.pk}/tiers/"),
        client.get("/api/projects/"),
        client.get("/api/projects/top/"),
    ]
    assert all(answer.status_code == 200 for answer in answers)
    return json.dumps([answer.json() for answer in answers])


def test_an_anonymous_donor_is_never_named_in_any_public_answer_even_in_the_team(project):
    donor = ParticipantProfileFactory(professions=[Role.VIDEOGRAPHER]).user
    named = UserFactory()
    tier = RewardTierFactory(project=project)
    donor_client = client_for(donor)
    assert (
        donor_client.post(
            f"/api/projects/{project.pk}/donate/",
            {"kind": "tier", "tier": tier.pk, "anonymous": True, "comment": "From me"},
        ).status_code
        == 201
    )
    client_for(named).post(f"/api/projects/{project.pk}/donate/", {"kind": "free", "amount": 10})
    application = donor_client.post(f"/api/projects/{project.pk}/apply/", {"role": "videographer"}).json()
    client_for(project.author).post(f"/api/applications/{application['id']}/accept/")

    for viewer in (APIClient(), client_for(UserFactory()), client_for(project.author)):
        public = _everything_public(viewer, project)
        assert donor.username not in public
        assert '"donor"' not in public
        assert named.username in public

    donations = APIClient().get(f"/api/projects/{project.pk}/donations/").json()["results"]
    assert [(item["name"], item["comment"]) for item in donations] == [(named.username, ""), ("Anonymous", "From me")]
    # The author's list of applications names the applicant, but nothing there says who donated.
    incoming = client_for(project.author).get("/api/applications/?incoming=1").json()["results"]
    assert [item["applicant"] for item in incoming] == [donor.username]
    assert "anonymous" not in json.dumps(incoming).lower()


def test_only_the_donor_sees_their_anonymous_donation_in_my_donations(user, user_api_client, project):
    DonationFactory(project=project, donor=user, anonymous=True, amount=300)
    DonationFactory(project=project, amount=400)

    mine = user_api_client.get("/api/donations/")
    theirs = client_for(UserFactory()).get("/api/donations/")

    assert [(item["amount"], item["anonymous"], item["project_name"]) for item in mine.json()["results"]] == [
        (300, True, project.blog_name)
    ]
    assert theirs.json()["count"] == 0


def test_a_deleted_donor_is_anonymous_and_refunds_are_not_listed(project):
    DonationFactory(project=project, donor=None)
    DonationFactory(project=project, status=Donation.Status.REFUNDED)

    donations = APIClient().get(f"/api/projects/{project.pk}/donations/").json()

    assert [item["name"] for item in donations["results"]] == ["Anonymous"]


def test_the_donation_lists_cost_the_same_queries_at_any_size(user, project, django_assert_max_num_queries):
    client = client_for(user)
    tier = RewardTierFactory(project=project)
    DonationFactory(project=project, donor=user, kind="tier", tier=tier)
    with django_assert_max_num_queries(10) as public:
        APIClient().get(f"/api/projects/{project.pk}/donations/")
    with django_assert_max_num_queries(10) as mine:
        client.get("/api/donations/")
    for _ in range(10):
        DonationFactory(project=project, donor=user, kind="tier", tier=tier)
        DonationFactory(project=project, anonymous=True)

    with django_assert_max_num_queries(len(public.captured_queries)):
        assert APIClient().get(f"/api/projects/{project.pk}/donations/").json()["count"] == 21
    with django_assert_max_num_queries(len(mine.captured_queries)):
        assert client.get("/api/donations/").json()["count"] == 11


# --- Reward tiers -------------------------------------------------------------------------------


def test_anyone_lists_a_public_projects_tiers(api_client, project):
    tier = RewardTierFactory(project=project, min_amount=500, quantity=10, claimed=4)

    response = api_client.get(f"/api/projects/{project.pk}/tiers/")
    one = api_client.get(f"/api/projects/{project.pk}/tiers/{tier.pk}/")

    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "id": tier.pk,
            "title": tier.title,
            "description": tier.description,
            "min_amount": 500,
            "quantity": 10,
            "claimed": 4,
            "remaining": 6,
        }
    ]
    assert one.json() == response.json()["results"][0]


def test_the_author_adds_changes_and_deletes_tiers(project):
    client = client_for(project.author)

    created = client.post(
        f"/api/projects/{project.pk}/tiers/", {"title": "Postcard", "min_amount": 800, "quantity": 20}
    )
    tier_id = created.json()["id"]
    changed = client.patch(f"/api/projects/{project.pk}/tiers/{tier_id}/", {"quantity": 5})
    replaced = client.put(
        f"/api/projects/{project.pk}/tiers/{tier_id}/",
        {"title": "Signed postcard", "description": "By hand", "min_amount": 900, "quantity": 6},
    )
    deleted = client.delete(f"/api/projects/{project.pk}/tiers/{tier_id}/")

    assert created.status_code == 201, created.content
    assert created.json()["remaining"] == 20
    assert changed.status_code == 200 and changed.json()["quantity"] == 5
    assert replaced.status_code == 200, replaced.content
    assert (replaced.json()["title"], replaced.json()["min_amount"]) == ("Signed postcard", 900)
    assert deleted.status_code == 204
    assert not RewardTier.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": "x", "min_amount": 800, "quantity": 1}, "title"),
        ({"title": "Postcard", "min_amount": 0, "quantity": 1}, "min_amount"),
        ({"title": "Postcard", "min_amount": 10_000_001, "quantity": 1}, "min_amount"),
        ({"title": "Postcard", "min_amount": 800, "quantity": 0}, "quantity"),
        ({"title": "Postcard", "min_amount": 800}, "quantity"),
    ],
)
def test_bad_tiers_answer_400_naming_the_field(project, data, field):
    response = client_for(project.author).post(f"/api/projects/{project.pk}/tiers/", data)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert not RewardTier.objects.exists()


def test_a_claimed_tier_keeps_its_claims_and_cannot_be_deleted(project):
    tier = RewardTierFactory(project=project, quantity=5)
    DonationFactory(project=project, kind="tier", tier=tier)
    RewardTier.objects.filter(pk=tier.pk).update(claimed=3)
    client = client_for(project.author)

    shrunk = client.patch(f"/api/projects/{project.pk}/tiers/{tier.pk}/", {"quantity": 2})
    deleted = client.delete(f"/api/projects/{project.pk}/tiers/{tier.pk}/")

    assert shrunk.status_code == 400
    assert deleted.status_code == 400
    tier.refresh_from_db()
    assert tier.quantity == 5
    assert RewardTier.objects.filter(pk=tier.pk).exists()


def test_a_quantity_below_the_claims_is_refused_naming_the_quantity(project):
    tier = RewardTierFactory(project=project, quantity=5, claimed=3)

    response = client_for(project.author).patch(f"/api/projects/{project.pk}/tiers/{tier.pk}/", {"quantity": 2})

    assert list(response.json()["errors"]) == ["quantity"]


def test_only_the_author_writes_tiers(user_api_client, project):
    tier = RewardTierFactory(project=project)
    draft_tier = RewardTierFactory(project=ProjectFactory())

    assert user_api_client.post(f"/api/projects/{project.pk}/tiers/", {"title": "Mine"}).status_code == 403
    assert user_api_client.patch(f"/api/projects/{project.pk}/tiers/{tier.pk}/", {"quantity": 1}).status_code == 403
    assert user_api_client.delete(f"/api/projects/{project.pk}/tiers/{tier.pk}/").status_code == 403
    assert user_api_client.get(f"/api/projects/{draft_tier.project_id}/tiers/").status_code == 404
    path = f"/api/projects/{draft_tier.project_id}/tiers/{draft_tier.pk}/"
    assert user_api_client.delete(path).status_code == 404
    # A tier is reached only through its own project.
    assert user_api_client.get(f"/api/projects/{project.pk}/tiers/{draft_tier.pk}/").status_code == 404
    assert APIClient().post(f"/api/projects/{project.pk}/tiers/", {}).json() == UNAUTHORIZED
    assert RewardTier.objects.count() == 2


# --- Applications -------------------------------------------------------------------------------


def test_a_specialist_and_a_follower_apply(project):
    applicant = ParticipantProfileFactory(professions=[Role.VIDEOGRAPHER]).user
    client = client_for(applicant)

    specialist = client.post(f"/api/projects/{project.pk}/apply/", {"role": "videographer", "message": "Hi"})
    follower = client.post(f"/api/projects/{project.pk}/apply/", {"role": "follower"})

    assert specialist.status_code == 201, specialist.content
    assert {key: specialist.json()[key] for key in ("project", "applicant", "role", "message", "status")} == {
        "project": project.pk,
        "applicant": applicant.username,
        "role": "videographer",
        "message": "Hi",
        "status": "pending",
    }
    assert follower.status_code == 201 and follower.json()["role"] == "follower"


@pytest.mark.parametrize(
    ("professions", "role"),
    [
        ([], "videographer"),  # not among my professions
        ([Role.DIRECTOR], "director"),  # the project has no director
        ([Role.VIDEOGRAPHER], "astronaut"),
        ([Role.VIDEOGRAPHER], ""),
    ],
)
def test_a_refused_application_answers_400_naming_the_role(project, professions, role):
    applicant = ParticipantProfileFactory(professions=professions).user

    response = client_for(applicant).post(f"/api/projects/{project.pk}/apply/", {"role": role})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["role"]
    assert not Application.objects.exists()


def test_the_author_cannot_apply_to_their_own_project(project):
    response = client_for(project.author).post(f"/api/projects/{project.pk}/apply/", {"role": "follower"})

    assert response.status_code == 400
    assert not Application.objects.exists()


def test_the_author_accepts_and_the_seat_is_taken(project):
    application = ApplicationFactory(project=project, role=Role.VIDEOGRAPHER)

    response = client_for(project.author).post(f"/api/applications/{application.pk}/accept/")

    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["salary"]) == ("accepted", 20_000)
    seats = client_for(project.author).get(f"/api/projects/{project.pk}/").json()["specialists"]["videographer"]
    assert (seats["seats_taken"], seats["open_seats"]) == (1, 1)


def test_accepting_without_an_open_seat_answers_400(project):
    first, second, third = ApplicationFactory.create_batch(3, project=project, role=Role.VIDEOGRAPHER)
    client = client_for(project.author)
    client.post(f"/api/applications/{first.pk}/accept/")
    client.post(f"/api/applications/{second.pk}/accept/")

    response = client.post(f"/api/applications/{third.pk}/accept/")

    assert response.status_code == 400
    third.refresh_from_db()
    assert third.status == "pending"


def test_accepting_a_follower_raises_the_followers_joined(project):
    application = FollowerApplicationFactory(project=project)

    response = client_for(project.author).post(f"/api/applications/{application.pk}/accept/")

    assert response.status_code == 200
    project.refresh_from_db()
    assert project.followers_joined == 1


def test_the_author_rejects_and_the_applicant_withdraws(project):
    rejected = ApplicationFactory(project=project)
    withdrawn = ApplicationFactory(project=project)

    reject = client_for(project.author).post(f"/api/applications/{rejected.pk}/reject/")
    withdraw = client_for(withdrawn.applicant).post(f"/api/applications/{withdrawn.pk}/withdraw/")
    again = client_for(withdrawn.applicant).post(f"/api/applications/{withdrawn.pk}/withdraw/")

    assert reject.json()["status"] == "rejected"
    assert withdraw.json()["status"] == "withdrawn"
    assert again.status_code == 400


def test_only_the_author_decides_and_only_the_applicant_withdraws(project):
    application = ApplicationFactory(project=project)
    applicant = client_for(application.applicant)
    stranger = client_for(UserFactory())

    assert applicant.post(f"/api/applications/{application.pk}/accept/").status_code == 404
    assert stranger.post(f"/api/applications/{application.pk}/accept/").status_code == 404
    assert stranger.post(f"/api/applications/{application.pk}/reject/").status_code == 404
    assert stranger.post(f"/api/applications/{application.pk}/withdraw/").status_code == 404
    assert client_for(project.author).post(f"/api/applications/{application.pk}/withdraw/").status_code == 404
    application.refresh_from_db()
    assert application.status == "pending"


def test_my_applications_and_the_incoming_ones(project, django_assert_max_num_queries):
    mine = ApplicationFactory(project=project)
    ApplicationFactory()
    author = client_for(project.author)

    with django_assert_max_num_queries(10) as one:
        incoming = author.get("/api/applications/?incoming=1")
    ApplicationFactory.create_batch(5, project=project)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert author.get("/api/applications/?incoming=1").json()["count"] == 6

    assert [item["id"] for item in incoming.json()["results"]] == [mine.pk]
    assert [item["id"] for item in client_for(mine.applicant).get("/api/applications/").json()["results"]] == [mine.pk]
    assert author.get("/api/applications/").json()["count"] == 0
    assert author.get("/api/applications/?incoming=maybe").status_code == 400


@pytest.mark.parametrize("path", ["/api/applications/", "/api/promotions/", "/api/donations/"])
def test_my_lists_need_credentials(api_client, path):
    response = api_client.get(path)

    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


# --- Promotions ---------------------------------------------------------------------------------


@pytest.fixture
def follower(project):
    application = FollowerApplicationFactory(project=project)
    services.application_accept(application=application, actor=project.author)
    return application.applicant


def test_an_accepted_follower_submits_a_promotion_and_the_author_approves_it(project, follower):
    submitted = client_for(follower).post(
        "/api/promotions/", {"project": project.pk, "platform": "youtube", "url": "https://youtube.com/watch?v=1"}
    )
    promotion_id = submitted.json()["id"]
    approved = client_for(project.author).post(f"/api/promotions/{promotion_id}/approve/")

    assert submitted.status_code == 201, submitted.content
    assert {key: submitted.json()[key] for key in ("project", "promoter", "platform", "status")} == {
        "project": project.pk,
        "promoter": follower.username,
        "platform": "youtube",
        "status": "pending",
    }
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    # One approved post of the 100 wanted: the promotion rating is 1 + 1/100.
    assert APIClient().get(f"/api/projects/{project.pk}/").json()["ratings"]["promotion"] == pytest.approx(1.01)


def test_the_author_rejects_a_promotion(project, follower):
    promotion = PromotionFactory(project=project, promoter=follower)

    response = client_for(project.author).post(f"/api/promotions/{promotion.pk}/reject/")

    assert response.json()["status"] == "rejected"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"project": 999_999, "platform": "youtube", "url": "https://youtube.com/1"}, "project"),
        ({"platform": "youtube", "url": "https://youtube.com/1"}, "project"),
        ({"project": "{project}", "platform": "myspace", "url": "https://youtube.com/1"}, "platform"),
        ({"project": "{project}", "platform": "youtube", "url": "not a link"}, "url"),
    ],
)
def test_bad_promotions_answer_400_naming_the_field(project, follower, data, field):
    data = {**data, "project": project.pk} if data.get("project") == "{project}" else data

    response = client_for(follower).post("/api/promotions/", data)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert not Promotion.objects.exists()


def test_a_draft_of_someone_else_is_no_project_to_promote(follower):
    draft = ProjectFactory()

    response = client_for(follower).post(
        "/api/promotions/", {"project": draft.pk, "platform": "youtube", "url": "https://youtube.com/1"}
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["project"]


def test_someone_who_is_not_a_follower_cannot_submit(user_api_client, project):
    response = user_api_client.post(
        "/api/promotions/", {"project": project.pk, "platform": "youtube", "url": "https://youtube.com/1"}
    )

    assert response.status_code == 403
    assert not Promotion.objects.exists()


def test_only_the_author_decides_on_a_promotion(project, follower):
    promotion = PromotionFactory(project=project, promoter=follower)

    assert client_for(follower).post(f"/api/promotions/{promotion.pk}/approve/").status_code == 404
    assert client_for(UserFactory()).post(f"/api/promotions/{promotion.pk}/reject/").status_code == 404
    promotion.refresh_from_db()
    assert promotion.status == "pending"


def test_my_promotions_and_the_incoming_ones(project, follower, django_assert_max_num_queries):
    promotion = PromotionFactory(project=project, promoter=follower)
    PromotionFactory()
    author = client_for(project.author)

    with django_assert_max_num_queries(10) as one:
        author.get("/api/promotions/?incoming=1")
    PromotionFactory.create_batch(5, project=project)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert author.get("/api/promotions/?incoming=1").json()["count"] == 6

    assert [item["id"] for item in client_for(follower).get("/api/promotions/").json()["results"]] == [promotion.pk]
    assert author.get("/api/promotions/").json()["count"] == 0
