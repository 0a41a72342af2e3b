"""Deleting an account (ACCOUNTS_DELETE_HOOKS): the person's open projects are cancelled with refunds
and their donors told, then go; their seats and follower places are freed and the ratings follow;
their donations to other projects stay, without the donor."""

import pytest

from accounts import services as accounts_services
from crowdfunding import services
from crowdfunding.models import FOLLOWER, Application, Donation, Project, ProjectRole, Promotion, RewardTier, Role
from tests.crowdfunding.factories import ParticipantProfileFactory, project_active, project_make
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def delete(django_capture_on_commit_callbacks):
    def run(user) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            accounts_services.user_delete(user=user, password=PASSWORD)

    return run


def joined(project: Project, person, role: str) -> Application:
    application = services.application_submit(project=project, applicant=person, role=role)
    return services.application_accept(application=application, actor=project.author)


def test_an_authors_open_projects_are_cancelled_with_refunds_then_deleted(delete, mailoutbox):
    author = UserFactory()
    active = project_active(author=author)
    project_make(author=author)  # a draft: nothing to refund, deleted too
    tier = services.tier_create(project=active, actor=author, data={"title": "Mug", "min_amount": 10, "quantity": 5})
    donors = [UserFactory(), UserFactory()]
    services.donation_make(project=active, donor=donors[0], kind="tier", tier=tier)
    services.donation_make(project=active, donor=donors[1], kind="free", amount=50, anonymous=True)
    member = ParticipantProfileFactory(professions=[Role.VIDEOGRAPHER]).user
    joined(active, member, Role.VIDEOGRAPHER)
    mailoutbox.clear()

    delete(author)

    assert not Project.objects.exists()
    assert not RewardTier.objects.exists()
    assert not Donation.objects.exists()
    # Donors learn their pledges are refunded; the team that the project is cancelled.
    assert sorted(message.to[0] for message in mailoutbox) == sorted(person.email for person in [*donors, member])
    for message in mailoutbox:
        assert "was cancelled" in message.body
        assert "The author deleted their account." in message.body
        assert "/crowdfunding/projects/" not in message.body  # the project's page goes with it
    for donor in donors:
        (email,) = [message for message in mailoutbox if message.to == [donor.email]]
        assert "are refunded" in email.body


def test_a_members_seat_and_a_followers_place_are_freed_and_the_ratings_follow(delete):
    project = project_active()
    specialist = ParticipantProfileFactory(professions=[Role.VIDEOGRAPHER]).user
    follower = UserFactory()
    other_follower = UserFactory()
    joined(project, specialist, Role.VIDEOGRAPHER)
    joined(project, follower, FOLLOWER)
    joined(project, other_follower, FOLLOWER)
    promotion = services.promotion_submit(project=project, promoter=follower, platform="vk", url="https://vk.com/p")
    services.promotion_approve(promotion=promotion, actor=project.author)
    project.refresh_from_db()
    assert (project.followers_joined, project.approved_posts) == (2, 1)

    delete(specialist)
    delete(follower)

    project.refresh_from_db()
    assert ProjectRole.objects.get(project=project, role=Role.VIDEOGRAPHER).seats_taken == 0
    assert project.followers_joined == 1
    assert project.approved_posts == 0
    # 0.5 + 0.35 + (1 − 1/100); promotion back to 1.0.
    assert project.rating_followers == pytest.approx(1.84)
    assert project.rating_promotion == 1.0
    assert project.rating_overall == pytest.approx(1.84 + 0.125 + 1.0)
    assert not Promotion.objects.exists()
    assert list(Application.objects.values_list("applicant", flat=True)) == [other_follower.pk]


def test_a_pending_application_goes_without_touching_the_counters(delete):
    project = project_active()
    person = ParticipantProfileFactory(professions=[Role.VIDEOGRAPHER]).user
    services.application_submit(project=project, applicant=person, role=Role.VIDEOGRAPHER)
    services.application_submit(project=project, applicant=person, role=FOLLOWER)
    delete(person)
    project.refresh_from_db()
    assert project.followers_joined == 0
    assert ProjectRole.objects.get(project=project).seats_taken == 0
    assert not Application.objects.exists()


def test_a_donors_donations_stay_without_the_donor(delete):
    project = project_active()
    donor = UserFactory()
    services.donation_make(project=project, donor=donor, kind="free", amount=500)
    delete(donor)
    donation = Donation.objects.get()
    assert (donation.donor, donation.amount, donation.status) == (None, 500, Donation.Status.PLEDGED)
    project.refresh_from_db()
    assert (project.raised, project.donations_count, project.status) == (500, 1, Project.Status.ACTIVE)
