"""Deliveries cut off by a dead sender: the lease that finds them, how they are shown, and the
owner's "retry unknown" (page and API). The end-to-end crash is in ``test_crash_recovery.py``."""

from datetime import timedelta

import pytest
from django.test import Client as BrowserClient
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from core.models import AuditEvent
from mailings import selectors, sending, tasks
from mailings.models import Attempt, Mailing, MailingRun
from tests.mailings.factories import ClientFactory, MailingFactory

pytestmark = pytest.mark.django_db


def run_with(mailing: Mailing, status: str = MailingRun.Status.FINISHED_WITH_UNKNOWN, **statuses: int) -> MailingRun:
    """A run of ``mailing`` with N attempts per status, each to a new client of the owner."""
    run = MailingRun.objects.create(mailing=mailing, scheduled_for=timezone.now(), status=status)
    for attempt_status, count in statuses.items():
        for _ in range(count):
            client = ClientFactory(owner=mailing.owner)
            mailing.clients.add(client)
            Attempt.objects.create(
                run=run, mailing=mailing, client=client, email=client.email, status=attempt_status, tries=1
            )
    MailingRun.objects.filter(pk=run.pk).update(total=run.attempts.count())
    run.refresh_from_db()
    return run


def browser(user) -> BrowserClient:
    client = BrowserClient()
    client.force_login(user)
    return client


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def retry_unknown_path(run: MailingRun) -> str:
    return f"/api/mailings/{run.mailing_id}/runs/{run.pk}/retry-unknown/"


# --- The lease -----------------------------------------------------------------------------


def test_a_second_sender_leaves_a_run_alone_while_the_first_ones_lease_is_alive(mailoutbox):
    mailing = MailingFactory(recipients=3)
    run = sending.claim_due_run(mailing_id=mailing.pk, now=timezone.now())
    MailingRun.objects.filter(pk=run.pk).update(claimed_by="worker-1", heartbeat_at=timezone.now())

    sending.run_execute(run_id=run.pk)
    resumed = sending.unfinished_runs_resume()

    assert mailoutbox == []
    assert resumed == 0
    assert not run.attempts.exists()
    assert MailingRun.objects.get(pk=run.pk).claimed_by == "worker-1"


def test_a_sender_whose_run_was_taken_over_stops_before_the_next_recipient(mailoutbox, monkeypatch):
    mailing = MailingFactory(recipients=3)
    run = sending.claim_due_run(mailing_id=mailing.pk, now=timezone.now())
    real_build = sending.build_email
    built = []

    def build_then_lose_the_lease(**kwargs):
        built.append(kwargs["client"].email)
        if len(built) == 2:  # our lease expired meanwhile and another sender took the run
            MailingRun.objects.filter(pk=run.pk).update(claimed_by="worker-2")
        return real_build(**kwargs)

    monkeypatch.setattr(sending, "build_email", build_then_lose_the_lease)
    result = sending.run_execute(run_id=run.pk)

    assert len(mailoutbox) == 1
    assert run.attempts.count() == 1  # the second recipient's attempt was rolled back with the lease
    assert (result.status, result.claimed_by) == (MailingRun.Status.RUNNING, "worker-2")


def test_the_lease_is_renewed_with_every_attempt(mailoutbox):
    mailing = MailingFactory(recipients=2)
    run = sending.claim_due_run(mailing_id=mailing.pk, now=timezone.now())

    sending.run_execute(run_id=run.pk)

    run.refresh_from_db()
    last = run.attempts.order_by("-id").first()
    assert run.claimed_by
    assert run.heartbeat_at >= last.attempted_at - timedelta(seconds=1)
    assert run.status == MailingRun.Status.FINISHED


def test_a_retry_cut_off_by_a_dead_worker_becomes_unknown_and_the_run_shows_it(mailoutbox, settings):
    settings.MAILINGS_SENDER_LEASE_SECONDS = 60
    mailing = MailingFactory(start_at=timezone.now() + timedelta(days=1))  # not due: the job sends nothing new
    run = run_with(mailing, status=MailingRun.Status.FINISHED, success=2, sending=1)
    cut_off = run.attempts.get(status=Attempt.Status.SENDING)
    Attempt.objects.filter(pk=cut_off.pk).update(attempted_at=timezone.now() - timedelta(seconds=30))

    assert sending.stalled_attempts_recover() == 0  # its worker may still be talking to the server
    Attempt.objects.filter(pk=cut_off.pk).update(attempted_at=timezone.now() - timedelta(seconds=61))
    assert sending.stalled_attempts_recover() == 1

    cut_off.refresh_from_db()
    run.refresh_from_db()
    assert (cut_off.status, cut_off.tries) == (Attempt.Status.UNKNOWN, 2)
    assert run.status == MailingRun.Status.FINISHED_WITH_UNKNOWN
    assert AuditEvent.objects.filter(action="mailings.deliveries_unknown").count() == 1
    assert sending.send_due_mailings()["retried"] == 0
    assert mailoutbox == []  # never re-sent by itself


# --- The run page --------------------------------------------------------------------------


def test_the_run_page_counts_every_state_and_warns_about_unknown_deliveries(user):
    run = run_with(MailingFactory(owner=user), success=3, failure=1, skipped=1, unknown=2)

    page = browser(user).get(reverse("mailings:run", args=[run.pk])).content.decode()

    progress = selectors.run_progress(run)
    assert {key: progress[key] for key in ("sent", "failed", "skipped", "unknown", "pending")} == {
        "sent": 3,
        "failed": 1,
        "skipped": 1,
        "unknown": 2,
        "pending": 0,
    }
    assert (progress["finished"], progress["needs_attention"]) == (True, True)
    assert '<strong data-count="unknown">2</strong>' in page
    assert '<strong data-count="pending">0</strong>' in page
    assert 'id="run-unknown"' in page
    assert 'id="retry-unknown"' in page
    assert "Finished, some deliveries unknown" in page


def test_a_clean_run_shows_no_warning(user):
    run = run_with(MailingFactory(owner=user), status=MailingRun.Status.FINISHED, success=2)

    page = browser(user).get(reverse("mailings:run", args=[run.pk])).content.decode()

    assert 'id="run-unknown"' not in page
    assert not selectors.run_progress(run)["needs_attention"]


def test_pending_counts_the_recipients_not_sent_yet(user):
    run = run_with(MailingFactory(owner=user), status=MailingRun.Status.RUNNING, success=1, sending=1)
    MailingRun.objects.filter(pk=run.pk).update(total=5)
    run.refresh_from_db()

    progress = selectors.run_progress(run)

    assert (progress["sent"], progress["pending"], progress["finished"]) == (1, 4, False)


def test_the_owner_sends_the_unknown_deliveries_again_from_the_run_page(
    user, mailoutbox, django_capture_on_commit_callbacks
):
    run = run_with(MailingFactory(owner=user), success=1, failure=1, unknown=2)
    unknown = sorted(run.attempts.filter(status="unknown").values_list("email", flat=True))

    with django_capture_on_commit_callbacks(execute=True):
        response = browser(user).post(reverse("mailings:run-retry-unknown", args=[run.pk]), follow=True)

    run.refresh_from_db()
    assert response.status_code == 200
    assert "2 deliveries with an unknown outcome will be sent again." in response.content.decode()
    assert sorted(email.to[0] for email in mailoutbox) == unknown
    assert set(run.attempts.filter(email__in=unknown).values_list("status", flat=True)) == {"success"}
    assert run.attempts.get(status="failure")  # "retry unknown" is not "retry failed"
    assert run.status == MailingRun.Status.FINISHED
    assert AuditEvent.objects.filter(action="mailings.run_unknown_retried", actor=user).exists()


def test_a_manager_sees_someone_elses_warning_but_cannot_retry_unknown(
    user, manager, mailoutbox, django_capture_on_commit_callbacks
):
    run = run_with(MailingFactory(owner=user), unknown=1)
    client = browser(manager)

    page = client.get(reverse("mailings:run", args=[run.pk])).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mailings:run-retry-unknown", args=[run.pk]))

    assert 'id="run-unknown"' in page
    assert 'id="retry-unknown"' not in page
    assert response.status_code == 404
    assert mailoutbox == []
    assert list(run.attempts.values_list("status", flat=True)) == ["unknown"]


def test_retry_unknown_of_a_stopped_mailing_is_refused_and_changes_nothing(
    user, mailoutbox, django_capture_on_commit_callbacks
):
    run = run_with(MailingFactory(owner=user, is_active=False), unknown=1)

    with django_capture_on_commit_callbacks(execute=True):
        response = browser(user).post(reverse("mailings:run-retry-unknown", args=[run.pk]), follow=True)

    assert "This mailing is stopped." in response.content.decode()
    assert mailoutbox == []
    assert list(run.attempts.values_list("status", flat=True)) == ["unknown"]


# --- The API -------------------------------------------------------------------------------


def test_the_api_lists_runs_with_every_count(user):
    mailing = MailingFactory(owner=user)
    run = run_with(mailing, success=2, unknown=1)

    data = api(user).get(f"/api/mailings/{mailing.pk}/runs/").json()

    assert [entry["id"] for entry in data["results"]] == [run.pk]
    entry = data["results"][0]
    assert {key: entry[key] for key in ("status", "total", "sent", "failed", "skipped", "unknown", "pending")} == {
        "status": "finished_with_unknown",
        "total": 3,
        "sent": 2,
        "failed": 0,
        "skipped": 0,
        "unknown": 1,
        "pending": 0,
    }
    assert entry["needs_attention"] is True


def test_the_api_filters_attempts_by_the_unknown_status(user):
    mailing = MailingFactory(owner=user)
    run = run_with(mailing, success=2, unknown=1)

    data = api(user).get(f"/api/mailings/{mailing.pk}/attempts/?status=unknown").json()

    assert [entry["email"] for entry in data["results"]] == [run.attempts.get(status="unknown").email]


def test_the_owner_retries_unknown_deliveries_through_the_api(user, mailoutbox, django_capture_on_commit_callbacks):
    run = run_with(MailingFactory(owner=user), success=1, unknown=1)

    with django_capture_on_commit_callbacks(execute=True):
        response = api(user).post(retry_unknown_path(run))

    assert (response.status_code, response.json()) == (202, {"resending": 1})
    assert [email.to[0] for email in mailoutbox] == [run.attempts.get(tries=2).email]


@pytest.mark.parametrize("who", ["manager", "other_user"])
def test_retry_unknown_of_someone_elses_run_answers_404_through_the_api(
    request, user, who, mailoutbox, django_capture_on_commit_callbacks
):
    run = run_with(MailingFactory(owner=user), unknown=1)

    with django_capture_on_commit_callbacks(execute=True):
        response = api(request.getfixturevalue(who)).post(retry_unknown_path(run))

    assert response.status_code == 404
    assert mailoutbox == []
    assert list(run.attempts.values_list("status", flat=True)) == ["unknown"]


def test_a_run_of_another_mailing_answers_404_through_the_api(user, mailoutbox):
    mine = MailingFactory(owner=user)
    run = run_with(MailingFactory(owner=user), unknown=1)

    response = api(user).post(f"/api/mailings/{mine.pk}/runs/{run.pk}/retry-unknown/")

    assert response.status_code == 404
    assert list(run.attempts.values_list("status", flat=True)) == ["unknown"]


def test_a_message_that_cannot_be_built_does_not_hold_back_the_other_retries(mailoutbox, monkeypatch):
    broken, healthy = MailingFactory(), MailingFactory()
    for mailing in (broken, healthy):
        run = run_with(mailing, status=MailingRun.Status.FINISHED, failure=1)
        run.attempts.update(next_try_at=timezone.now() - timedelta(seconds=1))
    real_build = sending.build_email

    def build(*, mailing, client, connection):
        if mailing.pk == broken.pk:
            raise RuntimeError("template exploded")
        return real_build(mailing=mailing, client=client, connection=connection)

    monkeypatch.setattr(sending, "build_email", build)

    assert sending.failed_attempts_retry() == 1
    assert [email.to[0] for email in mailoutbox] == [healthy.attempts.get().email]
    assert broken.attempts.get().status == Attempt.Status.FAILURE  # not stuck in "sending"


def test_a_run_id_too_large_for_the_database_answers_404(user):
    mailing = MailingFactory(owner=user)

    response = api(user).post(f"/api/mailings/{mailing.pk}/runs/{'9' * 30}/retry-unknown/")

    assert (response.status_code, response.json()["code"]) == (404, 404)


def test_the_mailing_page_shows_unknown_deliveries_per_run(user):
    mailing = MailingFactory(owner=user)
    run_with(mailing, success=2, unknown=1)

    page = browser(user).get(reverse("mailings:mailing", args=[mailing.pk])).content.decode()

    assert 'id="mailing-unknown"' in page
    assert "1 delivery has an unknown outcome" in page
    assert '<td class="text-warning fw-semibold">1</td>' in page


def test_an_unknown_delivery_whose_client_was_deleted_is_skipped_not_sent(mailoutbox):
    run = run_with(MailingFactory(), unknown=1)
    attempt = run.attempts.get()
    attempt.client.delete()

    resent = sending.unknown_attempts_resend(run_id=run.pk)

    attempt.refresh_from_db()
    assert resent == 0
    assert mailoutbox == []
    assert (attempt.client, attempt.status) == (None, Attempt.Status.SKIPPED)


def test_a_queued_send_task_whose_run_was_deleted_meanwhile_sends_nothing_and_does_not_fail(mailoutbox):
    mailing = MailingFactory(recipients=2)
    run = sending.claim_due_run(mailing_id=mailing.pk, now=timezone.now())
    run_id = run.pk
    run.delete()

    assert tasks.send_run(run_id) == 0
    assert mailoutbox == []
