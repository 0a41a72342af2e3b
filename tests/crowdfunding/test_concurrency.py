"""Seats, follower places, limited rewards and the deadline job under real concurrency: threads with
their own database connections, released together by a barrier (PostgreSQL only)."""

import threading
from collections.abc import Callable
from datetime import timedelta
from functools import partial

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from crowdfunding import services
from crowdfunding.models import FOLLOWER, Application, Donation, Project, ProjectRole, Role
from tests.crowdfunding.factories import ParticipantProfileFactory, project_active
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite serialises writers, so only PostgreSQL shows what concurrent requests do",
    ),
]


def all_at_once(calls: list[Callable[[], object]]) -> list[object]:
    """Run every call in its own thread and connection, all released at the same moment; the
    outcome of each (its result or the exception it raised), in the order of ``calls``."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[index] = call()
        except Exception as error:  # noqa: BLE001 - the outcome is what the test checks
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def errors_of(outcomes: list[object]) -> list[str]:
    unexpected = [
        outcome for outcome in outcomes if isinstance(outcome, Exception) and not isinstance(outcome, ValidationError)
    ]
    assert not unexpected, unexpected
    return [message for outcome in outcomes if isinstance(outcome, ValidationError) for message in outcome.messages]


def accept(application: Application, author) -> Callable[[], object]:
    return lambda: services.application_accept(application=application, actor=author)


def test_six_parallel_accepts_for_two_seats_seat_exactly_two():
    project = project_active()  # two videographer seats
    applications = [
        services.application_submit(
            project=project,
            applicant=ParticipantProfileFactory(professions=[Role.VIDEOGRAPHER]).user,
            role=Role.VIDEOGRAPHER,
        )
        for _ in range(6)
    ]

    outcomes = all_at_once([accept(application, project.author) for application in applications])

    assert errors_of(outcomes) == ["There is no open seat for this role any more."] * 4
    assert ProjectRole.objects.get(project=project, role=Role.VIDEOGRAPHER).seats_taken == 2
    statuses = sorted(Application.objects.values_list("status", flat=True))
    assert statuses == [Application.Status.ACCEPTED] * 2 + [Application.Status.PENDING] * 4


def test_five_parallel_accepts_for_the_last_two_follower_places_fill_the_pool_to_100():
    project = project_active()
    applications = [
        services.application_submit(project=project, applicant=UserFactory(), role=FOLLOWER) for _ in range(5)
    ]
    Project.objects.filter(pk=project.pk).update(followers_joined=98)

    outcomes = all_at_once([accept(application, project.author) for application in applications])

    assert errors_of(outcomes) == ["There is no open seat for this role any more."] * 3
    project.refresh_from_db()
    assert project.followers_joined == 100
    assert Application.objects.filter(status=Application.Status.ACCEPTED).count() == 2
    # The stored rating is the full pool's: 0.5 + 0.35 + (1 − 100/100).
    assert project.rating_followers == pytest.approx(0.85)


def test_eight_parallel_donations_on_a_tier_of_three_claim_three():
    project = project_active()
    tier = services.tier_create(
        project=project, actor=project.author, data={"title": "Signed mug", "min_amount": 700, "quantity": 3}
    )
    donors = [UserFactory() for _ in range(8)]

    outcomes = all_at_once(
        [
            lambda donor=donor: services.donation_make(project=project, donor=donor, kind="tier", tier=tier)
            for donor in donors
        ]
    )

    assert errors_of(outcomes) == ["This reward is sold out."] * 5
    tier.refresh_from_db()
    assert tier.claimed == 3
    assert Donation.objects.count() == 3
    project.refresh_from_db()
    assert (project.raised, project.donations_count) == (3 * 700, 3)


def test_two_deadline_runs_at_once_close_each_project_once_and_email_each_donor_once(mailoutbox):
    projects = [project_active() for _ in range(3)]
    donors = [UserFactory() for _ in range(3)]
    for project in projects:
        for donor in donors:
            services.donation_make(project=project, donor=donor, kind="free", amount=100)
    funded = projects[0]
    services.donation_make(project=funded, donor=UserFactory(), kind="free", amount=funded.goal)
    mailoutbox.clear()
    later = timezone.now() + timedelta(days=31)

    outcomes = all_at_once([lambda: services.projects_close_due(now=later)] * 2)

    assert sorted(outcomes) in ([0, 3], [1, 2])  # split between the runs, never closed twice
    assert sum(outcomes) == 3
    statuses = dict(Project.objects.values_list("pk", "status"))
    assert statuses == {
        funded.pk: Project.Status.FUNDED,
        projects[1].pk: Project.Status.FAILED,
        projects[2].pk: Project.Status.FAILED,
    }
    for donor in donors:
        assert sum(message.to == [donor.email] for message in mailoutbox) == 3  # one per project
    for project in projects:
        assert sum(message.to == [project.author.email] for message in mailoutbox) == 1
    assert len(mailoutbox) == 3 * 3 + 3 + 1  # the donors, the authors, the funded project's big donor


def test_pledges_racing_the_deadline_run_are_either_settled_with_the_project_or_refused():
    project = project_active()
    donors = [UserFactory() for _ in range(6)]
    # The job runs as if the deadline had passed while the pledges still see it ahead: both are
    # allowed, and only the order in which they take the project's row decides.
    calls = [partial(services.donation_make, project=project, donor=donor, kind="free", amount=100) for donor in donors]
    calls.insert(3, partial(services.projects_close_due, now=project.deadline))

    outcomes = all_at_once(calls)

    assert outcomes[3] == 1
    refused = errors_of(outcomes)
    assert set(refused) <= {"This project is not open for applications or donations."}
    project.refresh_from_db()
    assert project.status == Project.Status.FAILED
    accepted = Donation.objects.filter(project=project)
    assert accepted.count() + len(refused) == len(donors)
    # Nothing left pledged on a closed project, and its counters hold exactly the settled pledges.
    assert set(accepted.values_list("status", flat=True)) <= {Donation.Status.REFUNDED}
    assert (project.raised, project.donations_count) == (100 * accepted.count(), accepted.count())
