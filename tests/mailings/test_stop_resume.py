"""A real ``stopped`` status: stop, resume (next send from now), delete; the sender stops between
recipients; web, API and admin (issue #12, point 6a), and the confirm step before "send now" (6b)."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from core.models import AuditEvent
from mailings import sending, services
from mailings.models import Attempt, Mailing, MailingRun
from tests.mailings.factories import MailingFactory


def _state(mailing: Mailing) -> tuple:
    mailing.refresh_from_db()
    return (mailing.status, mailing.is_active, mailing.disabled_by_id, mailing.next_send_at)


def _ran_once(mailing: Mailing) -> MailingRun:
    return MailingRun.objects.create(mailing=mailing, scheduled_for=mailing.start_at, status=MailingRun.Status.FINISHED)


# --- Services ------------------------------------------------------------------------------


def test_stop_makes_the_mailing_stopped_and_the_scheduler_leaves_it_alone(user, smtp_sink):
    mailing = MailingFactory(owner=user, recipients=2, status=Mailing.Status.RUNNING)

    services.mailing_stop(mailing=mailing, actor=user)

    assert _state(mailing) == (Mailing.Status.STOPPED, False, user.pk, None)
    assert AuditEvent.objects.filter(action="mailings.stopped", target_id=str(mailing.pk)).count() == 1
    assert sending.send_due_mailings()["runs"] == 0
    assert smtp_sink.arrivals == []
    assert _state(mailing)[0] == Mailing.Status.STOPPED  # not completed by the job either
    # A second stop changes nothing (no second audit row).
    services.mailing_stop(mailing=mailing, actor=user)
    assert AuditEvent.objects.filter(action="mailings.stopped").count() == 1


def test_resume_goes_back_to_running_with_the_next_send_computed_from_now(user):
    start = timezone.now() - timedelta(days=3, hours=1)
    mailing = MailingFactory(owner=user, recipients=1, start_at=start, status=Mailing.Status.RUNNING)
    _ran_once(mailing)
    services.mailing_stop(mailing=mailing, actor=user)

    services.mailing_resume(mailing=mailing, actor=user)

    status, active, disabled_by, next_send_at = _state(mailing)
    assert (status, active, disabled_by) == (Mailing.Status.RUNNING, True, None)
    # Daily from three days ago: the next slot is tomorrow's, not one of those missed while stopped.
    assert next_send_at == start + timedelta(days=4)
    assert next_send_at > timezone.now()
    assert AuditEvent.objects.filter(action="mailings.resumed", target_id=str(mailing.pk)).exists()


def test_resume_of_a_mailing_never_sent_goes_back_to_created_and_stays_editable(user):
    start = timezone.now() + timedelta(days=1)
    mailing = MailingFactory(owner=user, recipients=1, start_at=start, status=Mailing.Status.CREATED)
    services.mailing_stop(mailing=mailing, actor=user)
    services.mailing_update(mailing=mailing, actor=user, is_active=False, periodicity="weekly")  # still editable

    services.mailing_resume(mailing=mailing, actor=user)

    assert _state(mailing) == (Mailing.Status.CREATED, True, None, start)
    assert mailing.periodicity == "weekly"


def test_resume_when_no_send_time_is_left_completes_the_mailing(user):
    mailing = MailingFactory(
        owner=user,
        recipients=1,
        periodicity=Mailing.Periodicity.ONCE,
        start_at=timezone.now() - timedelta(days=2),
        end_at=timezone.now() + timedelta(days=2),
    )
    _ran_once(mailing)
    services.mailing_stop(mailing=mailing, actor=user)

    services.mailing_resume(mailing=mailing, actor=user)

    assert _state(mailing)[:2] == (Mailing.Status.COMPLETED, True)


def test_a_manager_disabled_mailing_is_resumed_by_a_manager_only(user, manager):
    mailing = MailingFactory(owner=user, recipients=1, status=Mailing.Status.RUNNING)
    _ran_once(mailing)
    services.mailing_stop(mailing=mailing, actor=manager)
    before = _state(mailing)

    with pytest.raises(ValidationError, match="only a manager"):
        services.mailing_resume(mailing=mailing, actor=user)
    assert _state(mailing) == before

    services.mailing_resume(mailing=mailing, actor=manager)
    assert _state(mailing)[:2] == (Mailing.Status.RUNNING, True)


def test_strangers_cannot_stop_or_resume_and_nothing_changes(user, other_user):
    running = MailingFactory(owner=user, recipients=1, status=Mailing.Status.RUNNING)
    stopped = MailingFactory(owner=user, recipients=1, status=Mailing.Status.RUNNING)
    services.mailing_stop(mailing=stopped, actor=user)
    before = (_state(running), _state(stopped))

    with pytest.raises(PermissionDenied):
        services.mailing_stop(mailing=running, actor=other_user)
    with pytest.raises(PermissionDenied):
        services.mailing_resume(mailing=stopped, actor=other_user)

    assert (_state(running), _state(stopped)) == before


def test_only_a_live_mailing_is_stopped_and_only_a_stopped_one_resumed(user):
    completed = MailingFactory(owner=user, recipients=1, status=Mailing.Status.COMPLETED)
    running = MailingFactory(owner=user, recipients=1, status=Mailing.Status.RUNNING)
    before = (_state(completed), _state(running))

    with pytest.raises(ValidationError, match="nothing to stop"):
        services.mailing_stop(mailing=completed, actor=user)
    with pytest.raises(ValidationError, match="Only a stopped mailing"):
        services.mailing_resume(mailing=running, actor=user)

    assert (_state(completed), _state(running)) == before


def test_a_stopped_mailing_is_deleted_a_running_one_is_not(user):
    mailing = MailingFactory(owner=user, recipients=1, status=Mailing.Status.RUNNING)
    with pytest.raises(ValidationError, match="stop it first"):
        services.mailing_delete(mailing=mailing, actor=user)
    assert Mailing.objects.filter(pk=mailing.pk).exists()

    services.mailing_stop(mailing=mailing, actor=user)
    mailing.refresh_from_db()
    services.mailing_delete(mailing=mailing, actor=user)

    assert not Mailing.objects.exists()


def test_a_mailing_created_switched_off_is_stopped_and_switching_it_on_makes_it_created(user):
    active = MailingFactory(owner=user, recipients=1)
    mailing = services.mailing_create(
        owner=user,
        message=active.message,
        clients=list(active.clients.all()),
        start_at=timezone.now() + timedelta(hours=1),
        end_at=timezone.now() + timedelta(days=1),
        periodicity=Mailing.Periodicity.ONCE,
        is_active=False,
    )
    assert _state(mailing)[:3] == (Mailing.Status.STOPPED, False, None)

    services.mailing_update(mailing=mailing, actor=user, is_active=True)

    assert _state(mailing)[:2] == (Mailing.Status.CREATED, True)
    assert mailing.next_send_at == mailing.start_at


def test_stop_ends_a_run_nobody_is_sending_so_resuming_does_not_finish_that_old_slot(user, smtp_sink):
    mailing = MailingFactory(owner=user, recipients=2, status=Mailing.Status.CREATED)
    queued = sending.claim_due_run(mailing_id=mailing.pk, now=timezone.now())  # its task not started yet
    assert queued is not None

    services.mailing_stop(mailing=mailing, actor=user)
    queued.refresh_from_db()
    assert queued.status == MailingRun.Status.STOPPED

    run = sending.run_execute(run_id=queued.pk)  # the queued task arrives after all
    assert run.status == MailingRun.Status.STOPPED
    assert smtp_sink.arrivals == [] and not Attempt.objects.exists()


# --- The sender between recipients ---------------------------------------------------------


def test_the_sender_stops_between_recipients_leaving_no_attempt_in_between(user, smtp_sink, monkeypatch):
    """Stopped while the run sends: the recipient being sent is settled, nobody after gets anything,
    no attempt is left in "sending", and the run says it was stopped (not finished)."""
    mailing = MailingFactory(owner=user, recipients=3, status=Mailing.Status.RUNNING)
    first, second, _third = mailing.clients.order_by("id")
    real_build = sending.build_email

    def build_then_stop(**kwargs):
        email = real_build(**kwargs)
        if kwargs["client"] == second:
            # The owner presses "Stop" while the second email is being prepared.
            services.mailing_stop(mailing=Mailing.objects.get(pk=mailing.pk), actor=user)
        return email

    monkeypatch.setattr(sending, "build_email", build_then_stop)
    run = sending.claim_due_run(mailing_id=mailing.pk, now=timezone.now())
    assert run is not None

    run = sending.run_execute(run_id=run.pk)

    assert run.status == MailingRun.Status.STOPPED and run.finished_at is not None
    assert list(Attempt.objects.values_list("email", "status")) == [(first.email, Attempt.Status.SUCCESS)]
    assert smtp_sink.recipients() == [first.email]
    # The next job neither resumes the run nor marks it finished.
    sending.send_due_mailings()
    run.refresh_from_db()
    assert run.status == MailingRun.Status.STOPPED
    assert Attempt.objects.count() == 1


# --- Pages ---------------------------------------------------------------------------------


@pytest.fixture
def owner_client(client, user):
    client.force_login(user)
    return client


def test_stop_resume_and_delete_from_the_detail_page(owner_client, user):
    mailing = MailingFactory(owner=user, recipients=1, status=Mailing.Status.RUNNING)
    _ran_once(mailing)
    url = reverse("mailings:mailing", args=[mailing.pk])

    running = owner_client.get(url).content.decode()
    assert 'id="stop-mailing"' in running and 'id="resume-mailing"' not in running
    assert 'id="delete-mailing"' not in running

    stopped = owner_client.post(reverse("mailings:mailing-stop", args=[mailing.pk]), follow=True).content.decode()
    assert 'id="mailing-status">Stopped<' in stopped and 'id="resume-mailing"' in stopped

    resumed = owner_client.post(reverse("mailings:mailing-resume", args=[mailing.pk]), follow=True)
    assert [str(message) for message in resumed.context["messages"]] == ["The mailing is resumed."]
    assert 'id="mailing-status">Running<' in resumed.content.decode()

    owner_client.post(reverse("mailings:mailing-stop", args=[mailing.pk]))
    deleted = owner_client.post(reverse("mailings:mailing-delete", args=[mailing.pk]))
    assert deleted["Location"] == reverse("mailings:mailings")
    assert not Mailing.objects.exists()


def test_an_owner_sees_no_resume_for_a_mailing_a_manager_disabled_and_cannot_post_it(owner_client, user, manager):
    mailing = MailingFactory(owner=user, recipients=1, status=Mailing.Status.RUNNING)
    services.mailing_stop(mailing=mailing, actor=manager)
    before = _state(mailing)

    page = owner_client.get(reverse("mailings:mailing", args=[mailing.pk])).content.decode()
    response = owner_client.post(reverse("mailings:mailing-resume", args=[mailing.pk]), follow=True)

    assert 'id="resume-mailing"' not in page and 'id="mailing-disabled-by"' in page
    assert [str(message) for message in response.context["messages"]] == [
        "A manager disabled this mailing; only a manager can undo that."
    ]
    assert _state(mailing) == before


def test_resume_of_someone_elses_mailing_is_404_and_changes_nothing(client, user, other_user):
    mailing = MailingFactory(owner=user, recipients=1, status=Mailing.Status.RUNNING)
    services.mailing_stop(mailing=mailing, actor=user)
    before = _state(mailing)
    client.force_login(other_user)

    assert client.post(reverse("mailings:mailing-resume", args=[mailing.pk])).status_code == 404
    assert _state(mailing) == before


def test_send_now_asks_first_and_only_the_confirm_button_sends(owner_client, user, django_capture_on_commit_callbacks):
    mailing = MailingFactory(owner=user, recipients=2, start_at=timezone.now() + timedelta(days=1))
    url = reverse("mailings:mailing-send-now", args=[mailing.pk])

    detail = owner_client.get(reverse("mailings:mailing", args=[mailing.pk])).content.decode()
    confirm = owner_client.get(url)

    assert f'href="{url}" id="send-now"' in detail  # a link to the confirm page, no form that sends at once
    assert confirm.status_code == 200
    content = confirm.content.decode()
    assert "goes to 2 clients right now" in content and 'id="send-now-yes"' in content
    assert not MailingRun.objects.exists()

    with django_capture_on_commit_callbacks(execute=False):
        response = owner_client.post(url)
    run = MailingRun.objects.get()
    assert response["Location"] == reverse("mailings:run", args=[run.pk])


def test_the_send_now_confirm_page_is_the_owners_only(client, user, manager):
    mailing = MailingFactory(owner=user, recipients=1)
    client.force_login(manager)

    assert client.get(reverse("mailings:mailing-send-now", args=[mailing.pk])).status_code == 404
    assert not MailingRun.objects.exists()


# --- API and admin -------------------------------------------------------------------------


def _api(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_api_stop_and_resume(user, other_user):
    mailing = MailingFactory(owner=user, recipients=1, status=Mailing.Status.RUNNING)
    _ran_once(mailing)
    url = f"/api/mailings/{mailing.pk}/"

    assert _api(other_user).post(f"{url}stop/").status_code == 404
    stopped = _api(user).post(f"{url}stop/")
    assert stopped.status_code == 200
    assert (stopped.json()["status"], stopped.json()["is_active"]) == ("stopped", False)
    again = _api(user).post(f"{url}resume/")
    assert again.status_code == 200 and again.json()["status"] == "running"
    refused = _api(user).post(f"{url}resume/")
    assert refused.status_code == 400 and refused.json()["code"] == 400
    assert _state(mailing)[0] == Mailing.Status.RUNNING


def test_api_manager_stops_anyones_mailing_and_resumes_it(user, manager):
    mailing = MailingFactory(owner=user, recipients=1, status=Mailing.Status.RUNNING)
    _ran_once(mailing)
    url = f"/api/mailings/{mailing.pk}/"

    assert _api(manager).post(f"{url}stop/").json()["status"] == "stopped"
    assert _api(user).post(f"{url}resume/").status_code == 400
    assert _api(manager).post(f"{url}resume/").json()["status"] == "running"


def test_admin_resume_action_goes_through_the_service(client, superuser, user):
    stopped = MailingFactory(owner=user, recipients=1, status=Mailing.Status.RUNNING)
    _ran_once(stopped)
    services.mailing_stop(mailing=stopped, actor=user)
    running = MailingFactory(owner=user, recipients=1, status=Mailing.Status.RUNNING)
    client.force_login(superuser)

    response = client.post(
        reverse("admin:mailings_mailing_changelist"),
        {"action": "resume", "_selected_action": [stopped.pk, running.pk]},
    )

    assert response.status_code == 302
    assert _state(stopped)[:2] == (Mailing.Status.RUNNING, True)
    events = AuditEvent.objects.filter(action="mailings.resumed")
    assert list(events.values_list("actor", "target_id")) == [(superuser.pk, str(stopped.pk))]


def test_a_stopped_run_stays_stopped_when_its_lost_delivery_is_found_unknown(user):
    """Settling a run after a dead sender's delivery turns unknown must not call a stopped run finished."""
    mailing = MailingFactory(owner=user, recipients=1, status=Mailing.Status.RUNNING)
    run = MailingRun.objects.create(mailing=mailing, scheduled_for=mailing.start_at, status=MailingRun.Status.STOPPED)
    attempt = Attempt.objects.create(
        run=run, mailing=mailing, client=mailing.clients.get(), email="x@example.org", status=Attempt.Status.SENDING
    )
    Attempt.objects.filter(pk=attempt.pk).update(attempted_at=timezone.now() - timedelta(days=1))

    assert sending.stalled_attempts_recover() == 1

    run.refresh_from_db()
    assert run.status == MailingRun.Status.STOPPED
    assert Attempt.objects.get().status == Attempt.Status.UNKNOWN


def test_the_migration_calls_mailings_switched_off_before_stopped(user):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("mailings.migrations.0003_stopped_status")
    off = MailingFactory(owner=user, recipients=1, is_active=False, status=Mailing.Status.RUNNING)
    on = MailingFactory(owner=user, recipients=1, status=Mailing.Status.RUNNING)
    done = MailingFactory(owner=user, recipients=1, is_active=False, status=Mailing.Status.COMPLETED)

    migration.inactive_mailings_stop(apps, None)

    assert [_state(mailing)[0] for mailing in (off, on, done)] == ["stopped", "running", "completed"]
