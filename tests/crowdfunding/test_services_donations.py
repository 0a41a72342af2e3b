"""Donations (free, pre-order, reward tier), the raised counters, anonymity towards the author, and
the author's reward tiers."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from crowdfunding import services
from crowdfunding.models import Donation, Project, RewardTier
from tests.crowdfunding.factories import project_active, project_make
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def project():
    return project_active()  # author's price 1000: product price 1200


@pytest.fixture
def tier(project):
    return services.tier_create(
        project=project, actor=project.author, data={"title": "Signed mug", "min_amount": 500, "quantity": 2}
    )


def totals(project: Project) -> tuple[int, int, int]:
    project.refresh_from_db()
    return project.raised, project.donations_count, project.products_preordered


@pytest.mark.parametrize("amount", [1, 10_000_000])
def test_a_free_donation_takes_the_range_ends(project, amount):
    donation = services.donation_make(project=project, donor=UserFactory(), kind="free", amount=amount)
    assert (donation.amount, donation.status, donation.tier) == (amount, Donation.Status.PLEDGED, None)
    assert totals(project) == (amount, 1, 0)


@pytest.mark.parametrize("amount", [0, -5, 10_000_001, None, "ten"])
def test_a_free_donation_outside_the_range_is_refused_naming_the_amount(project, amount):
    with pytest.raises(ValidationError) as refused:
        services.donation_make(project=project, donor=UserFactory(), kind="free", amount=amount)
    assert list(refused.value.message_dict) == ["amount"]
    assert totals(project) == (0, 0, 0)


@pytest.mark.parametrize("quantity", [1, 100])
def test_a_preorder_costs_the_product_price_per_product(project, quantity):
    donation = services.donation_make(project=project, donor=UserFactory(), kind="preorder", quantity=quantity)
    assert donation.amount == 1200 * quantity
    assert totals(project) == (1200 * quantity, 1, quantity)


@pytest.mark.parametrize("quantity", [0, 101])
def test_a_preorder_quantity_outside_1_to_100_is_refused(project, quantity):
    with pytest.raises(ValidationError) as refused:
        services.donation_make(project=project, donor=UserFactory(), kind="preorder", quantity=quantity)
    assert list(refused.value.message_dict) == ["quantity"]


def test_a_free_product_cannot_be_preordered():
    project = project_active(author_price=0)
    with pytest.raises(ValidationError) as refused:
        services.donation_make(project=project, donor=UserFactory(), kind="preorder", quantity=1)
    assert list(refused.value.message_dict) == ["kind"]


def test_a_tier_donation_claims_one_reward_and_defaults_to_the_minimum(project, tier):
    donation = services.donation_make(project=project, donor=UserFactory(), kind="tier", tier=tier)
    assert (donation.amount, donation.tier) == (500, tier)
    services.donation_make(project=project, donor=UserFactory(), kind="tier", tier=tier, amount=700)
    tier.refresh_from_db()
    assert tier.claimed == 2
    assert totals(project) == (1200, 2, 0)
    with pytest.raises(ValidationError) as refused:
        services.donation_make(project=project, donor=UserFactory(), kind="tier", tier=tier)
    assert refused.value.message_dict == {"tier": ["This reward is sold out."]}
    assert totals(project) == (1200, 2, 0)


def test_a_tier_donation_below_the_minimum_or_of_another_project_is_refused(project, tier):
    with pytest.raises(ValidationError) as refused:
        services.donation_make(project=project, donor=UserFactory(), kind="tier", tier=tier, amount=499)
    assert list(refused.value.message_dict) == ["amount"]
    other = project_active()
    with pytest.raises(ValidationError) as refused:
        services.donation_make(project=other, donor=UserFactory(), kind="tier", tier=tier)
    assert list(refused.value.message_dict) == ["tier"]
    tier.refresh_from_db()
    assert tier.claimed == 0


def test_an_unknown_kind_is_refused(project):
    with pytest.raises(ValidationError) as refused:
        services.donation_make(project=project, donor=UserFactory(), kind="bitcoin", amount=5)
    assert list(refused.value.message_dict) == ["kind"]


def test_the_author_cannot_donate_to_their_own_project(project):
    with pytest.raises(ValidationError):
        services.donation_make(project=project, donor=project.author, kind="free", amount=5)


def test_donations_only_while_active_and_before_the_deadline(project):
    with pytest.raises(ValidationError):
        services.donation_make(project=project_make(), donor=UserFactory(), kind="free", amount=5)
    Project.objects.filter(pk=project.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    project.refresh_from_db()
    with pytest.raises(ValidationError):
        services.donation_make(project=project, donor=UserFactory(), kind="free", amount=5)
    assert not Donation.objects.exists()


def test_a_stale_active_copy_of_a_closed_project_takes_no_money(project):
    stale = Project.objects.get(pk=project.pk)
    services.project_cancel(project=project, actor=project.author)
    with pytest.raises(ValidationError):
        services.donation_make(project=stale, donor=UserFactory(), kind="free", amount=5)
    assert totals(project) == (0, 0, 0)


def test_a_project_hidden_by_moderators_takes_no_money_even_from_a_stale_copy(project):
    stale = Project.objects.get(pk=project.pk)
    services.project_hide(project=project, actor=UserFactory(is_staff=True), hidden=True)
    for copy in (project, stale):
        with pytest.raises(ValidationError):
            services.donation_make(project=copy, donor=UserFactory(), kind="free", amount=5)
    assert totals(project) == (0, 0, 0)


def test_a_comment_longer_than_500_characters_is_refused(project):
    with pytest.raises(ValidationError) as refused:
        services.donation_make(project=project, donor=UserFactory(), kind="free", amount=5, comment="c" * 501)
    assert list(refused.value.message_dict) == ["comment"]


def test_the_authors_email_never_names_an_anonymous_donor(project, mailoutbox, django_capture_on_commit_callbacks):
    hidden = UserFactory(username="secretdonor", first_name="Secretia", last_name="Hiddenova")
    shown = UserFactory(username="opendonor")
    with django_capture_on_commit_callbacks(execute=True):
        services.donation_make(project=project, donor=hidden, kind="free", amount=70, anonymous=True)
        services.donation_make(project=project, donor=shown, kind="free", amount=30)
    anonymous, named = mailoutbox
    assert anonymous.to == named.to == [project.author.email]
    for part in (anonymous.subject, anonymous.body, anonymous.alternatives[0][0]):
        assert "secretdonor" not in part
        assert "Secretia" not in part
        assert hidden.email not in part
    assert "Anonymous pledged 70 ₽" in anonymous.body
    assert "opendonor pledged 30 ₽" in named.body


# --- Reward tiers ----------------------------------------------------------------------------


def test_tiers_are_the_authors(project):
    with pytest.raises(PermissionDenied):
        services.tier_create(
            project=project, actor=UserFactory(), data={"title": "Mug", "min_amount": 1, "quantity": 1}
        )
    assert not RewardTier.objects.exists()


@pytest.mark.parametrize(
    "data, field",
    [
        ({"title": "M", "min_amount": 1, "quantity": 1}, "title"),
        ({"title": "Mug", "min_amount": 0, "quantity": 1}, "min_amount"),
        ({"title": "Mug", "min_amount": 10_000_001, "quantity": 1}, "min_amount"),
        ({"title": "Mug", "min_amount": 1, "quantity": 0}, "quantity"),
        ({"title": "Mug", "min_amount": 1, "quantity": 1, "description": "d" * 1001}, "description"),
    ],
)
def test_a_bad_tier_field_is_named(project, data, field):
    with pytest.raises(ValidationError) as refused:
        services.tier_create(project=project, actor=project.author, data=data)
    assert list(refused.value.message_dict) == [field]


def test_a_tier_quantity_never_goes_below_its_claims_and_a_claimed_tier_stays(project, tier):
    services.donation_make(project=project, donor=UserFactory(), kind="tier", tier=tier)
    services.donation_make(project=project, donor=UserFactory(), kind="tier", tier=tier)
    for quantity in (0, 1):
        with pytest.raises(ValidationError) as refused:
            services.tier_update(tier=tier, actor=project.author, data={"quantity": quantity})
        assert refused.value.message_dict == {"quantity": ["2 of this reward are already claimed."]}
    services.tier_update(tier=tier, actor=project.author, data={"quantity": 2, "title": "Last mugs"})
    assert (tier.quantity, tier.title) == (2, "Last mugs")
    with pytest.raises(ValidationError):
        services.tier_delete(tier=tier, actor=project.author)
    assert RewardTier.objects.filter(pk=tier.pk).exists()


def test_an_unclaimed_tier_is_deleted_by_its_author_only(project, tier):
    with pytest.raises(PermissionDenied):
        services.tier_delete(tier=tier, actor=UserFactory())
    services.tier_delete(tier=tier, actor=project.author)
    assert not RewardTier.objects.exists()


def test_a_project_offers_at_most_twenty_tiers(project):
    data = {"title": "Sticker", "description": "", "min_amount": 100, "quantity": 5}
    for _ in range(services.TIERS_MAX):
        services.tier_create(project=project, actor=project.author, data=data)

    with pytest.raises(ValidationError, match="at most 20 reward tiers"):
        services.tier_create(project=project, actor=project.author, data=data)
    assert RewardTier.objects.filter(project=project).count() == 20
