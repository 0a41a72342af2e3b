"""The deadline job: active projects past their deadline become funded (pledges collected) or failed
(all or nothing: pledges refunded); author, team and every donor are emailed, once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import AuditEvent
from core.schedule import job_by_name
from crowdfunding import jobs, services
from crowdfunding.models import FOLLOWER, Donation, Project, Role
from tests.crowdfunding.factories import ParticipantProfileFactory, project_active, project_make
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

GOAL = 313_500  # the factories' default project (see test_budget.py, "typical")


@pytest.fixture
def run_job(django_capture_on_commit_callbacks):
    """Run the job as the scheduler would, past every deadline, sending its emails."""

    def run(now=None) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return services.projects_close_due(now=now or timezone.now() + timedelta(days=31))

    return run


def team_of(project: Project):
    specialist = ParticipantProfileFactory(professions=[Role.VIDEOGRAPHER], user__username="teamvideo").user
    follower = UserFactory(username="teamfollower")
    for person, role in ((specialist, Role.VIDEOGRAPHER), (follower, FOLLOWER)):
        application = services.application_submit(project=project, applicant=person, role=role)
        services.application_accept(application=application, actor=project.author)
    return specialist, follower


def donors_of(project: Project, amounts: tuple[int, int, int]):
    """Three donors: one named, one anonymous, one giving twice (the second gift anonymous)."""
    named = UserFactory(username="nameddonor", first_name="Namedina")
    hidden = UserFactory(username="hiddendonor", first_name="Hiddenia")
    twice = UserFactory(username="twicedonor", first_name="Twicia")
    services.donation_make(project=project, donor=named, kind="free", amount=amounts[0])
    services.donation_make(project=project, donor=hidden, kind="free", amount=amounts[1], anonymous=True)
    services.donation_make(project=project, donor=twice, kind="free", amount=amounts[2])
    services.donation_make(project=project, donor=twice, kind="preorder", quantity=1, anonymous=True)
    return named, hidden, twice


def mail_to(mailoutbox, user):
    return [message for message in mailoutbox if message.to == [user.email]]


@pytest.mark.parametrize(
    "amounts, status, pledges",
    [
        # 300,000 + 12,000 + 300 + a pre-order at 1200 = 313,500: exactly the goal is enough.
        ((300_000, 12_000, 300), Project.Status.FUNDED, Donation.Status.COLLECTED),
        # One less than the goal: all or nothing.
        ((300_000, 12_000, 299), Project.Status.FAILED, Donation.Status.REFUNDED),
    ],
    ids=["funded-at-exactly-the-goal", "failed-one-short"],
)
def test_a_project_past_its_deadline_is_funded_or_failed_and_everyone_is_told(
    run_job, mailoutbox, amounts, status, pledges
):
    project = project_active()
    specialist, follower = team_of(project)
    named, hidden, twice = donors_of(project, amounts)
    mailoutbox.clear()

    assert run_job() == 1

    project.refresh_from_db()
    assert project.status == status
    assert project.closed_at is not None
    assert set(Donation.objects.filter(project=project).values_list("status", flat=True)) == {pledges}
    assert AuditEvent.objects.filter(action=f"crowdfunding.project_{status}", target_id=str(project.pk)).count() == 1
    # One email each: the author, two team members, three donors (two donations → one email).
    assert sorted(message.to[0] for message in mailoutbox) == sorted(
        person.email for person in (project.author, specialist, follower, named, hidden, twice)
    )
    outcome = "reached its goal" if status == Project.Status.FUNDED else "did not reach its goal"
    for person in (specialist, follower, named, hidden, twice):
        assert outcome in mail_to(mailoutbox, person)[0].body
    donors = {named: amounts[0], hidden: amounts[1], twice: amounts[2] + 1200}
    for donor, total in donors.items():
        (email,) = mail_to(mailoutbox, donor)
        assert f"{total:,} ₽ in all" in email.body
        for other in donors:
            if other != donor:
                for part in (email.subject, email.body, email.alternatives[0][0]):
                    assert other.username not in part
                    assert other.first_name not in part
    (author_email,) = mail_to(mailoutbox, project.author)
    for donor in donors:
        assert donor.username not in author_email.body
        assert donor.first_name not in author_email.body


def test_a_second_run_changes_nothing(run_job, mailoutbox):
    project = project_active()
    services.donation_make(project=project, donor=UserFactory(), kind="free", amount=GOAL)
    assert run_job() == 1
    project.refresh_from_db()
    before = Project.objects.values().get(pk=project.pk)
    emails, events = len(mailoutbox), AuditEvent.objects.count()

    assert run_job() == 0

    assert Project.objects.values().get(pk=project.pk) == before
    assert len(mailoutbox) == emails
    assert AuditEvent.objects.count() == events
    assert Donation.objects.get().status == Donation.Status.COLLECTED


def test_only_active_projects_past_their_deadline_are_closed(run_job):
    due = project_active()
    later = project_active(deadline=timezone.now() + timedelta(days=60))
    draft = project_make()
    cancelled = project_active()
    services.project_cancel(project=cancelled, actor=cancelled.author)

    assert run_job() == 1  # 31 days from now: only the 30-day deadlines have passed

    statuses = dict(Project.objects.values_list("pk", "status"))
    assert statuses == {
        due.pk: Project.Status.FAILED,
        later.pk: Project.Status.ACTIVE,
        # A draft past its deadline stays a draft: it took no money, and it cannot be published
        # until its author moves the deadline (test_services_projects.py).
        draft.pk: Project.Status.DRAFT,
        cancelled.pk: Project.Status.CANCELLED,
    }


def test_a_project_whose_deadline_has_not_come_is_left_open(run_job):
    project = project_active()
    assert run_job(now=project.deadline - timedelta(seconds=1)) == 0
    assert run_job(now=project.deadline) == 1
    project.refresh_from_db()
    assert project.status == Project.Status.FAILED


def test_the_scheduled_job_closes_projects_whose_deadline_has_passed():
    project = project_active()
    Project.objects.filter(pk=project.pk).update(deadline=timezone.now() - timedelta(minutes=1))
    job = job_by_name("crowdfunding.close_due_projects")
    assert job.function == "crowdfunding.jobs.close_due_projects"
    assert not job.atomic  # each project commits (and emails) on its own
    assert jobs.close_due_projects() == 1
    project.refresh_from_db()
    assert project.status == Project.Status.FAILED


def test_a_donor_without_an_account_any_more_is_skipped(run_job, mailoutbox):
    project = project_active()
    gone = UserFactory()
    services.donation_make(project=project, donor=gone, kind="free", amount=100)
    Donation.objects.update(donor=None)
    mailoutbox.clear()
    assert run_job() == 1
    assert [message.to for message in mailoutbox] == [[project.author.email]]
