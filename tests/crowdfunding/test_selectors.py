"""The section's reads: who sees which project, the rankings and their query counts, team, backers, money."""

from datetime import timedelta

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crowdfunding import selectors
from crowdfunding.models import FOLLOWER, Application, Donation, Project, ProjectRole, Role, Topic
from tests.crowdfunding.factories import (
    ActiveProjectFactory,
    ApplicationFactory,
    DonationFactory,
    ParticipantProfileFactory,
    ProjectFactory,
    RewardTierFactory,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _ranked(count: int, **fields) -> list[Project]:
    projects: list[Project] = [ActiveProjectFactory(**fields) for _ in range(count)]
    for place, project in enumerate(projects):
        Project.objects.filter(pk=project.pk).update(
            rating_overall=100 - place, rating_followers=place, rating_specialists=place * 2
        )
    return projects


def test_drafts_and_hidden_projects_are_not_public():
    draft = ProjectFactory()
    hidden = ActiveProjectFactory(is_hidden=True)
    active = ActiveProjectFactory()
    funded = ActiveProjectFactory(status=Project.Status.FUNDED)

    assert set(selectors.projects_public()) == {active, funded}
    assert draft not in selectors.projects_public()
    assert hidden not in selectors.projects_public()


def test_a_draft_cancelled_before_publishing_stays_private():
    project = ProjectFactory(status=Project.Status.CANCELLED)

    assert project not in selectors.projects_public()
    with pytest.raises(Http404):
        selectors.project_visible_or_404(viewer=UserFactory(), project_id=project.pk)
    assert selectors.project_visible_or_404(viewer=project.author, project_id=project.pk) == project


def test_author_sees_own_draft_and_hidden_project_others_get_404():
    draft = ProjectFactory()
    hidden = ActiveProjectFactory(is_hidden=True)

    assert selectors.project_visible_or_404(viewer=draft.author, project_id=draft.pk) == draft
    assert selectors.project_visible_or_404(viewer=hidden.author, project_id=str(hidden.pk)) == hidden
    for project in (draft, hidden):
        with pytest.raises(Http404):
            selectors.project_visible_or_404(viewer=UserFactory(), project_id=project.pk)
    with pytest.raises(Http404):
        selectors.project_visible_or_404(viewer=UserFactory(), project_id="1; drop")


def test_only_the_author_owns_a_project():
    project = ActiveProjectFactory()

    assert selectors.project_own_or_404(author=project.author, project_id=project.pk) == project
    with pytest.raises(Http404):
        selectors.project_own_or_404(author=UserFactory(), project_id=project.pk)


def test_project_list_filters_by_topic_and_status_and_sorts():
    now = timezone.now()
    soon = ActiveProjectFactory(topic=Topic.TRAVEL, deadline=now + timedelta(days=2), raised=10, rating_overall=1)
    later = ActiveProjectFactory(topic=Topic.TRAVEL, deadline=now + timedelta(days=9), raised=500)
    closed = ActiveProjectFactory(topic=Topic.BOOKS, status=Project.Status.FAILED, deadline=now - timedelta(days=1))
    Project.objects.filter(pk=soon.pk).update(rating_overall=50, published_at=now - timedelta(days=3))
    Project.objects.filter(pk=later.pk).update(rating_overall=5, published_at=now - timedelta(days=1))

    assert list(selectors.project_list(topic=Topic.TRAVEL)) == [later, soon]
    assert list(selectors.project_list(status=Project.Status.FAILED)) == [closed]
    assert list(selectors.project_list(sort="ending")) == [soon, later, closed]
    assert list(selectors.project_list(sort="funded"))[:2] == [later, soon]
    assert list(selectors.project_list(sort="rating"))[:2] == [soon, later]


def test_top_lists_rank_open_projects_by_their_stored_ratings():
    projects = _ranked(7)
    ActiveProjectFactory(status=Project.Status.FUNDED, rating_overall=1000, rating_followers=1000)
    ActiveProjectFactory(is_hidden=True, rating_overall=1000, rating_followers=1000)

    top = selectors.top_projects()

    assert top["overall"] == projects[:5]
    assert top["followers"] == list(reversed(projects))[:5]


def test_top_three_per_topic_of_the_viewers_topics():
    travel = _ranked(4, topic=Topic.TRAVEL)
    books = _ranked(2, topic=Topic.BOOKS)
    _ranked(3, topic=Topic.GAMES)
    profile = ParticipantProfileFactory(topics=[Topic.BOOKS, Topic.TRAVEL, Topic.ARTS])

    home = selectors.section_home(viewer=profile.user)

    by_topic = {topic: projects for topic, _label, projects in home["by_topic"]}
    assert list(by_topic) == [Topic.TRAVEL, Topic.BOOKS, Topic.ARTS]
    assert by_topic[Topic.TRAVEL] == travel[:3]
    assert by_topic[Topic.BOOKS] == books
    assert by_topic[Topic.ARTS] == []


def test_top_for_professions_needs_an_open_seat_in_one_of_them():
    open_seat, full, other_role, best_but_full = _ranked(4)
    Project.objects.filter(pk=best_but_full.pk).update(rating_specialists=1000)
    ProjectRole.objects.filter(project=full).update(seats_taken=2)
    ProjectRole.objects.filter(project=best_but_full).update(seats_taken=2)
    ProjectRole.objects.filter(project=other_role).update(role=Role.PRODUCER)
    profile = ParticipantProfileFactory(professions=[Role.VIDEOGRAPHER])

    assert selectors.section_home(viewer=profile.user)["for_professions"] == [open_seat]


def test_section_home_costs_the_same_queries_whatever_the_data_size(django_assert_num_queries):
    profile = ParticipantProfileFactory(topics=list(Topic.values), professions=list(Role.values))
    _ranked(3)

    with CaptureQueriesContext(connection) as small:
        selectors.section_home(viewer=profile.user)
    for topic in Topic.values:
        _ranked(4, topic=topic)

    with django_assert_num_queries(len(small.captured_queries)):
        home = selectors.section_home(viewer=profile.user)
    assert len(home["by_topic"]) == len(Topic.values)
    assert all(len(projects) == 3 for _topic, _label, projects in home["by_topic"])
    assert len(small.captured_queries) <= 5


def test_anonymous_visitor_gets_only_the_two_public_top_lists(django_assert_num_queries):
    from django.contrib.auth.models import AnonymousUser

    _ranked(6)
    with django_assert_num_queries(2):
        home = selectors.section_home(viewer=AnonymousUser())
    assert home["by_topic"] == [] and home["for_professions"] == [] and home["profile"] is None


def test_team_lists_accepted_specialists_by_role_with_open_seats():
    project = ActiveProjectFactory(roles={Role.DIRECTOR: (1, 50_000), Role.VIDEOGRAPHER: (2, 20_000)})
    member = ApplicationFactory(project=project, status=Application.Status.ACCEPTED, salary=20_000)
    ProjectRole.objects.filter(project=project, role=Role.VIDEOGRAPHER).update(seats_taken=1)
    ApplicationFactory(project=project, role=Role.VIDEOGRAPHER)  # pending: not in the team
    ApplicationFactory(project=project, role=FOLLOWER, status=Application.Status.ACCEPTED)

    team = selectors.project_team(project=project)

    assert [row["role"] for row in team] == [Role.VIDEOGRAPHER, Role.DIRECTOR]
    videographers = team[0]
    assert videographers["members"] == [member.applicant]
    assert (videographers["seats_taken"], videographers["open_seats"], videographers["salary"]) == (1, 1, 20_000)
    assert team[1]["members"] == [] and team[1]["open_seats"] == 1


def test_anonymous_donor_is_never_named_among_the_backers_even_in_the_team():
    project = ActiveProjectFactory()
    donor = UserFactory(username="secretdonor")
    DonationFactory(project=project, donor=donor, anonymous=True, amount=700)
    ApplicationFactory(project=project, applicant=donor, status=Application.Status.ACCEPTED)
    DonationFactory(project=project, donor=UserFactory(username="opendonor"), amount=300)
    DonationFactory(project=project, status=Donation.Status.REFUNDED)

    backers = selectors.project_backers(project=project)

    assert [backer["name"] for backer in backers] == ["opendonor", "Anonymous"]
    assert "secretdonor" not in repr(backers)
    team_member = selectors.project_team(project=project)[0]["members"][0]
    assert not hasattr(team_member, "donated")


def test_money_view_counts_accepted_salaries_and_joined_followers_pay():
    project = ActiveProjectFactory(raised=100_000, followers_joined=3)
    ApplicationFactory(project=project, status=Application.Status.ACCEPTED, salary=20_000)
    ApplicationFactory(project=project, status=Application.Status.PENDING, salary=None)
    ApplicationFactory(project=project, role=FOLLOWER, status=Application.Status.ACCEPTED)

    money = selectors.project_money(project=project)

    # Six months of one videographer at 20,000; follower pay with 2 sites and 10 posts: int(1500 × 1 × 0.7).
    assert money["team_pay"] == 120_000
    assert money["follower_pay"] == 1050 * 3
    assert money["committed"] == 123_150
    assert money["remaining"] == 100_000 - 123_150


def test_applicant_roles_offer_open_matching_roles_and_the_follower_pool():
    project = ActiveProjectFactory(roles={Role.VIDEOGRAPHER: (1, 20_000), Role.DIRECTOR: (1, 20_000)})
    profile = ParticipantProfileFactory(professions=[Role.VIDEOGRAPHER, Role.PRODUCER])

    assert selectors.applicant_roles(project=project, user=profile.user) == [Role.VIDEOGRAPHER, FOLLOWER]
    ApplicationFactory(project=project, applicant=profile.user)
    assert selectors.applicant_roles(project=project, user=profile.user) == [FOLLOWER]
    assert selectors.applicant_roles(project=project, user=project.author) == []
    Project.objects.filter(pk=project.pk).update(followers_joined=100)
    project.refresh_from_db()
    assert selectors.applicant_roles(project=project, user=profile.user) == []


def test_applications_and_promotions_resolve_only_for_the_projects_author():
    application = ApplicationFactory()
    author = application.project.author

    assert selectors.application_for_author_or_404(author=author, application_id=application.pk) == application
    assert selectors.application_own_or_404(applicant=application.applicant, application_id=application.pk)
    with pytest.raises(Http404):
        selectors.application_for_author_or_404(author=application.applicant, application_id=application.pk)
    with pytest.raises(Http404):
        selectors.application_own_or_404(applicant=author, application_id=application.pk)


def test_home_stats_count_open_and_funded_projects_and_money_raised():
    ActiveProjectFactory(raised=300)
    ActiveProjectFactory(status=Project.Status.FUNDED, raised=1000)
    ActiveProjectFactory(status=Project.Status.FAILED, raised=50)
    ActiveProjectFactory(is_hidden=True, raised=99)
    ProjectFactory()

    assert [number for _label, number in selectors.home_stats()] == [1, 1, 1300]


def test_profile_panel_shows_profile_and_public_projects():
    profile = ParticipantProfileFactory(professions=[Role.SEO_SPECIALIST], topics=[Topic.GARDEN])
    project = ActiveProjectFactory(author=profile.user)
    ProjectFactory(author=profile.user)

    panel = selectors.profile_panel(viewer=UserFactory(), person=profile.user)

    assert panel is not None
    assert panel.context["professions"] == ["SEO specialist"]
    assert panel.context["topics"] == ["Garden"]
    assert panel.context["projects"] == [project]
    assert selectors.profile_panel(viewer=UserFactory(), person=UserFactory()) is None


def test_personal_lists_hold_only_the_users_rows():
    user = UserFactory()
    tier = RewardTierFactory()
    mine = DonationFactory(donor=user, project=tier.project)
    DonationFactory()

    assert list(selectors.my_donations(user=user)) == [mine]
    assert list(selectors.my_projects(user=tier.project.author)) == [tier.project]
