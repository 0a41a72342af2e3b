"""Joining a team: applications for roles and the follower pool, the author's decisions, seats and
the followers rating; promotions by accepted followers and the promotion rating."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from crowdfunding import services
from crowdfunding.models import FOLLOWER, Application, Project, ProjectRole, Promotion, Role
from tests.crowdfunding.factories import ParticipantProfileFactory, project_active, project_make
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def videographer():
    return ParticipantProfileFactory(professions=[Role.VIDEOGRAPHER]).user


def seats(project: Project, role: str = Role.VIDEOGRAPHER) -> int:
    return ProjectRole.objects.get(project=project, role=role).seats_taken


def accepted_follower(project: Project):
    person = UserFactory()
    application = services.application_submit(project=project, applicant=person, role=FOLLOWER)
    services.application_accept(application=application, actor=project.author)
    return person


def test_a_specialist_with_the_profession_applies_and_takes_a_seat_when_accepted(mailoutbox):
    project = project_active()
    person = videographer()
    application = services.application_submit(project=project, applicant=person, role=Role.VIDEOGRAPHER)
    assert application.status == Application.Status.PENDING
    services.application_accept(application=application, actor=project.author)
    assert application.status == Application.Status.ACCEPTED
    assert application.salary == 20_000
    assert application.decided_at is not None
    assert seats(project) == 1


@pytest.mark.parametrize(
    "professions, role, message",
    [
        ([], Role.VIDEOGRAPHER, "Add this profession to your participant profile to apply for this role."),
        ([Role.DIRECTOR], Role.VIDEOGRAPHER, "Add this profession to your participant profile to apply for this role."),
        ([Role.DIRECTOR], Role.DIRECTOR, "This project has no open seat for this role."),
        ([Role.VIDEOGRAPHER], "juggler", "Choose a role of the project or the follower pool."),
    ],
)
def test_an_application_without_the_profession_or_an_open_role_is_refused(professions, role, message):
    project = project_active()
    person = ParticipantProfileFactory(professions=professions).user
    with pytest.raises(ValidationError) as refused:
        services.application_submit(project=project, applicant=person, role=role)
    assert refused.value.message_dict == {"role": [message]}
    assert not Application.objects.exists()


def test_an_application_without_a_profile_is_refused():
    with pytest.raises(ValidationError) as refused:
        services.application_submit(project=project_active(), applicant=UserFactory(), role=Role.VIDEOGRAPHER)
    assert list(refused.value.message_dict) == ["role"]


def test_the_author_cannot_join_their_own_team():
    project = project_active()
    ParticipantProfileFactory(user=project.author)
    for role in (Role.VIDEOGRAPHER, FOLLOWER):
        with pytest.raises(ValidationError):
            services.application_submit(project=project, applicant=project.author, role=role)


def test_a_second_open_application_for_the_same_role_is_refused():
    project = project_active()
    person = videographer()
    services.application_submit(project=project, applicant=person, role=Role.VIDEOGRAPHER)
    with pytest.raises(ValidationError):
        services.application_submit(project=project, applicant=person, role=Role.VIDEOGRAPHER)
    assert Application.objects.count() == 1


def test_applications_only_while_active_and_before_the_deadline():
    draft = project_make()
    with pytest.raises(ValidationError):
        services.application_submit(project=draft, applicant=UserFactory(), role=FOLLOWER)
    project = project_active()
    Project.objects.filter(pk=project.pk).update(deadline=timezone.now() - timedelta(minutes=1))
    project.refresh_from_db()
    with pytest.raises(ValidationError):
        services.application_submit(project=project, applicant=UserFactory(), role=FOLLOWER)


def test_a_full_role_refuses_new_applications_and_acceptances():
    project = project_active()  # two videographer seats
    first, second, third = (
        services.application_submit(project=project, applicant=videographer(), role=Role.VIDEOGRAPHER) for _ in range(3)
    )
    services.application_accept(application=first, actor=project.author)
    services.application_accept(application=second, actor=project.author)
    with pytest.raises(ValidationError) as refused:
        services.application_accept(application=third, actor=project.author)
    assert refused.value.messages == ["There is no open seat for this role any more."]
    third.refresh_from_db()
    assert third.status == Application.Status.PENDING
    assert seats(project) == 2
    with pytest.raises(ValidationError):
        services.application_submit(project=project, applicant=videographer(), role=Role.VIDEOGRAPHER)


def test_only_the_author_decides_and_only_once():
    project = project_active()
    application = services.application_submit(project=project, applicant=videographer(), role=Role.VIDEOGRAPHER)
    with pytest.raises(PermissionDenied):
        services.application_accept(application=application, actor=UserFactory())
    with pytest.raises(PermissionDenied):
        services.application_reject(application=application, actor=application.applicant)
    services.application_reject(application=application, actor=project.author)
    assert application.status == Application.Status.REJECTED
    with pytest.raises(ValidationError):
        services.application_accept(application=application, actor=project.author)
    assert seats(project) == 0


def test_the_applicant_withdraws_a_pending_application_only():
    project = project_active()
    application = services.application_submit(project=project, applicant=videographer(), role=Role.VIDEOGRAPHER)
    with pytest.raises(PermissionDenied):
        services.application_withdraw(application=application, actor=project.author)
    services.application_withdraw(application=application, actor=application.applicant)
    assert application.status == Application.Status.WITHDRAWN
    with pytest.raises(ValidationError):
        services.application_withdraw(application=application, actor=application.applicant)
    # A withdrawn application does not block a new one.
    services.application_submit(project=project, applicant=application.applicant, role=Role.VIDEOGRAPHER)


def test_accepted_followers_raise_the_followers_rating_in_the_same_transaction():
    project = project_active()  # follower pay 1050, 6 months: rating 0.5 + 0.35 + (1 − joined/100)
    accepted_follower(project)
    accepted_follower(project)
    project.refresh_from_db()
    assert project.followers_joined == 2
    assert project.rating_followers == pytest.approx(1.83)
    assert project.rating_overall == pytest.approx(1.83 + 0.125 + 1.0)


def test_the_follower_pool_stops_at_100():
    project = project_active()
    Project.objects.filter(pk=project.pk).update(followers_joined=99)
    project.refresh_from_db()
    late = services.application_submit(project=project, applicant=UserFactory(), role=FOLLOWER)
    accepted_follower(project)
    project.refresh_from_db()
    assert project.followers_joined == 100
    with pytest.raises(ValidationError):
        services.application_accept(application=late, actor=project.author)
    with pytest.raises(ValidationError) as refused:
        services.application_submit(project=project, applicant=UserFactory(), role=FOLLOWER)
    assert list(refused.value.message_dict) == ["role"]
    project.refresh_from_db()
    assert project.followers_joined == 100
    assert project.rating_followers == pytest.approx(0.85)


def test_the_author_and_the_applicant_are_emailed(mailoutbox, django_capture_on_commit_callbacks):
    project = project_active()
    person = videographer()
    with django_capture_on_commit_callbacks(execute=True):
        application = services.application_submit(
            project=project, applicant=person, role=Role.VIDEOGRAPHER, message="I shoot 4K."
        )
        services.application_accept(application=application, actor=project.author)
    assert [message.to for message in mailoutbox] == [[project.author.email], [person.email]]
    assert "I shoot 4K." in mailoutbox[0].body
    assert "Videographer" in mailoutbox[1].body


# --- Promotions ------------------------------------------------------------------------------


def test_an_accepted_follower_submits_promotions_and_approved_ones_raise_the_promotion_rating():
    project = project_active()
    promoter = accepted_follower(project)
    first = services.promotion_submit(
        project=project, promoter=promoter, platform="youtube", url="https://youtube.com/watch?v=1"
    )
    second = services.promotion_submit(
        project=project, promoter=promoter, platform="youtube", url="https://youtube.com/watch?v=2"
    )
    third = services.promotion_submit(project=project, promoter=promoter, platform="vk", url="https://vk.com/post1")
    services.promotion_approve(promotion=first, actor=project.author)
    project.refresh_from_db()
    assert (project.approved_posts, project.rating_promotion) == (1, pytest.approx(1.01))
    # A second post on the same platform by the same promoter is not a new (promoter, platform).
    services.promotion_approve(promotion=second, actor=project.author)
    services.promotion_reject(promotion=third, actor=project.author)
    project.refresh_from_db()
    assert project.approved_posts == 1
    assert project.rating_overall == pytest.approx(project.rating_followers + 0.125 + 1.01)
    assert third.status == Promotion.Status.REJECTED
    with pytest.raises(ValidationError):
        services.promotion_approve(promotion=third, actor=project.author)


def test_only_accepted_followers_submit_promotions():
    project = project_active()
    pending = UserFactory()
    services.application_submit(project=project, applicant=pending, role=FOLLOWER)
    for person in (UserFactory(), pending, project.author):
        with pytest.raises(PermissionDenied):
            services.promotion_submit(project=project, promoter=person, platform="vk", url="https://vk.com/p")
    assert not Promotion.objects.exists()


@pytest.mark.parametrize(
    "platform, url, field",
    [
        ("myspace", "https://myspace.com/p", "platform"),
        ("vk", "not a link", "url"),
        ("vk", "ftp://vk.com/p", "url"),
        ("vk", "https://vk.com/" + "p" * 500, "url"),
    ],
)
def test_a_bad_promotion_names_the_field(platform, url, field):
    project = project_active()
    promoter = accepted_follower(project)
    with pytest.raises(ValidationError) as refused:
        services.promotion_submit(project=project, promoter=promoter, platform=platform, url=url)
    assert list(refused.value.message_dict) == [field]


def test_the_same_link_is_submitted_once():
    project = project_active()
    promoter = accepted_follower(project)
    services.promotion_submit(project=project, promoter=promoter, platform="vk", url="https://vk.com/p")
    with pytest.raises(ValidationError) as refused:
        services.promotion_submit(project=project, promoter=promoter, platform="vk", url="https://vk.com/p")
    assert list(refused.value.message_dict) == ["url"]


def test_only_the_author_decides_promotions():
    project = project_active()
    promoter = accepted_follower(project)
    promotion = services.promotion_submit(project=project, promoter=promoter, platform="vk", url="https://vk.com/p")
    with pytest.raises(PermissionDenied):
        services.promotion_approve(promotion=promotion, actor=promoter)
    promotion.refresh_from_db()
    assert promotion.status == Promotion.Status.PENDING


def test_a_promoter_has_at_most_twenty_posts_waiting_on_one_project():
    project = project_active()
    promoter = accepted_follower(project)
    for number in range(20):
        services.promotion_submit(project=project, promoter=promoter, platform="vk", url=f"https://vk.com/p{number}")

    with pytest.raises(ValidationError, match="20 of your posts are waiting"):
        services.promotion_submit(project=project, promoter=promoter, platform="vk", url="https://vk.com/p20")
    assert Promotion.objects.count() == 20
    Promotion.objects.filter(url="https://vk.com/p0").update(status=Promotion.Status.APPROVED)
    services.promotion_submit(project=project, promoter=promoter, platform="vk", url="https://vk.com/p20")
