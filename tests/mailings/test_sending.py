"""Delivery through a real local SMTP server: what arrives, what is recorded, and exactly once."""

import re
import socket
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import signing
from django.db import connection
from django.test import Client as BrowserClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.schedule import job_by_name
from mailings import sending
from mailings.models import Attempt, Mailing, MailingRun, Unsubscribe
from tests.factories import UserFactory
from tests.mailings.factories import ClientFactory, MailingFactory, MailMessageFactory
from tests.smtp_sink import free_port

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+/mailings/unsubscribe/[^/\s\"<>]+/")


def statuses(mailing: Mailing) -> list[str]:
    return sorted(mailing.attempts.values_list("status", flat=True))


def backdate_retries(**filters) -> None:
    Attempt.objects.filter(**filters).update(next_try_at=timezone.now() - timedelta(seconds=1))


# --- The scheduled job ---------------------------------------------------------------------


def test_due_mailing_sends_one_email_per_client_and_records_each_attempt(smtp_sink):
    mailing = MailingFactory(recipients=3)
    slot = mailing.next_send_at

    result = sending.send_due_mailings()

    addresses = sorted(mailing.clients.values_list("email", flat=True))
    assert smtp_sink.recipients() == addresses
    assert all(len(arrival.recipients) == 1 for arrival in smtp_sink.arrivals)
    assert result["runs"] == 1
    assert statuses(mailing) == ["success"] * 3
    assert all(response.startswith("250") for response in mailing.attempts.values_list("response", flat=True))
    run = MailingRun.objects.get(mailing=mailing)
    assert (run.scheduled_for, run.status, run.total) == (slot, MailingRun.Status.FINISHED, 3)
    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.RUNNING
    assert mailing.next_send_at == slot + timedelta(days=1)


@pytest.mark.parametrize(
    ("periodicity", "step"),
    [(Mailing.Periodicity.WEEKLY, timedelta(weeks=1)), (Mailing.Periodicity.MONTHLY, None)],
)
def test_next_send_moves_on_by_the_periodicity(smtp_sink, periodicity, step):
    mailing = MailingFactory(recipients=1, periodicity=periodicity, end_at=timezone.now() + timedelta(days=90))
    slot = mailing.next_send_at

    sending.send_due_mailings()

    mailing.refresh_from_db()
    assert mailing.next_send_at == (slot + step if step else sending.occurrence(mailing, 1))
    assert mailing.next_send_at >= slot + timedelta(days=7)


def test_a_once_mailing_is_completed_by_its_only_run(smtp_sink):
    mailing = MailingFactory(recipients=2, periodicity=Mailing.Periodicity.ONCE)

    sending.send_due_mailings()
    sending.send_due_mailings()

    mailing.refresh_from_db()
    assert (mailing.status, mailing.next_send_at) == (Mailing.Status.COMPLETED, None)
    assert len(smtp_sink.arrivals) == 2


def test_a_mailing_past_its_end_is_completed_and_sends_nothing(smtp_sink):
    start = timezone.now() - timedelta(days=3)
    mailing = MailingFactory(
        recipients=1, start_at=start, end_at=start + timedelta(days=1), next_send_at=start + timedelta(days=1)
    )
    mailing.next_send_at = None
    mailing.status = Mailing.Status.RUNNING
    mailing.save()

    assert sending.send_due_mailings()["completed"] == 1

    mailing.refresh_from_db()
    assert mailing.status == Mailing.Status.COMPLETED
    assert smtp_sink.arrivals == []


def test_mailings_not_due_or_stopped_send_nothing(smtp_sink):
    MailingFactory(recipients=1, start_at=timezone.now() + timedelta(hours=1))
    MailingFactory(recipients=1, is_active=False)

    assert sending.send_due_mailings()["runs"] == 0
    assert smtp_sink.arrivals == []
    assert not MailingRun.objects.exists()


def test_running_the_job_twice_for_the_same_slot_sends_nothing_the_second_time(smtp_sink):
    mailing = MailingFactory(recipients=3)
    slot = mailing.next_send_at

    sending.send_due_mailings()
    second = sending.send_due_mailings()
    # Even with the schedule put back on the same slot, the slot's run exists already.
    Mailing.objects.filter(pk=mailing.pk).update(next_send_at=slot)
    again = sending.claim_due_run(mailing_id=mailing.pk, now=timezone.now())

    assert second["runs"] == 0
    assert again is None
    assert len(smtp_sink.arrivals) == 3
    assert MailingRun.objects.filter(mailing=mailing).count() == 1
    assert mailing.attempts.count() == 3


def test_missed_slots_after_an_outage_are_not_sent_one_by_one(smtp_sink):
    start = timezone.now() - timedelta(days=5, minutes=1)
    mailing = MailingFactory(recipients=1, start_at=start, end_at=start + timedelta(days=30))

    sending.send_due_mailings()
    sending.send_due_mailings()

    mailing.refresh_from_db()
    assert len(smtp_sink.arrivals) == 1
    assert mailing.next_send_at == start + timedelta(days=6)


def test_send_now_claims_a_manual_run_without_moving_the_schedule(smtp_sink):
    mailing = MailingFactory(recipients=2, start_at=timezone.now() + timedelta(days=1))
    planned = mailing.next_send_at

    run = sending.claim_due_run(mailing_id=mailing.pk, now=timezone.now(), manual=True)
    sending.run_execute(run_id=run.pk)

    mailing.refresh_from_db()
    assert run.manual
    assert mailing.next_send_at == planned
    assert len(smtp_sink.arrivals) == 2


def test_the_job_is_scheduled_every_minute():
    job = job_by_name("mailings.send_due_mailings")

    assert job.cron == "* * * * *"
    assert job.function == "mailings.jobs.send_due_mailings"


def test_a_mailing_whose_run_breaks_does_not_stop_the_others(smtp_sink, monkeypatch):
    broken = MailingFactory(recipients=1)
    healthy = MailingFactory(recipients=2)
    real_build = sending.build_email

    def build(*, mailing, **kwargs):
        if mailing.pk == broken.pk:
            raise RuntimeError("template exploded")
        return real_build(mailing=mailing, **kwargs)

    monkeypatch.setattr(sending, "build_email", build)

    assert sending.send_due_mailings()["runs"] == 1
    assert sorted(smtp_sink.recipients()) == sorted(healthy.clients.values_list("email", flat=True))
    assert not broken.attempts.exists()  # nothing stuck in "sending": the run can be resumed


# --- The email itself ----------------------------------------------------------------------


def test_every_email_has_text_and_html_parts_with_the_unsubscribe_link_and_header(smtp_sink):
    message = MailMessageFactory(subject="Spring\nsale", body="Tom & Jerry's <b>offer</b>")
    mailing = MailingFactory(recipients=2, owner=message.owner, message=message)

    sending.send_due_mailings()

    assert len(smtp_sink.arrivals) == 2
    for arrival in smtp_sink.arrivals:
        email = arrival.message
        text = email.get_body(("plain",)).get_content()
        html = email.get_body(("html",)).get_content()
        header = str(email["List-Unsubscribe"]).strip()
        link = LINK.search(text).group(0)
        assert header == f"<{link}>"
        assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert f'href="{link}"' in html
        assert email["Subject"] == "Spring sale"
        assert "Tom & Jerry's <b>offer</b>" in text  # plain text is not HTML-escaped
        assert "Tom &amp; Jerry&#x27;s &lt;b&gt;offer&lt;/b&gt;" in html  # and the HTML is
        assert email["Reply-To"] == mailing.owner.email
    links = {LINK.search(arrival.message.get_body(("plain",)).get_content()).group(0) for arrival in smtp_sink.arrivals}
    assert len(links) == 2  # one per recipient


def test_the_html_body_of_the_message_is_used_when_given(smtp_sink):
    message = MailMessageFactory(body="plain", body_html="<p><strong>Rich</strong> news</p>")
    MailingFactory(recipients=1, owner=message.owner, message=message)

    sending.send_due_mailings()

    html = smtp_sink.arrivals[0].message.get_body(("html",)).get_content()
    assert "<p><strong>Rich</strong> news</p>" in html


# --- Unsubscribing -------------------------------------------------------------------------


def unsubscribe_path(owner_id: int, email: str) -> str:
    return urlsplit(sending.unsubscribe_url(owner_id=owner_id, email=email)).path


def test_the_link_in_the_email_opens_a_page_whose_button_unsubscribes_idempotently(smtp_sink, client):
    mailing = MailingFactory(recipients=1)
    sending.send_due_mailings()
    link = LINK.search(smtp_sink.arrivals[0].message.get_body(("plain",)).get_content()).group(0)

    opened = client.get(urlsplit(link).path)
    assert opened.status_code == 200 and not Unsubscribe.objects.exists()  # a link scanner changes nothing
    first = client.post(urlsplit(link).path, {"action": "unsubscribe"})
    second = client.post(urlsplit(link).path, {"action": "unsubscribe"})

    assert first.status_code == second.status_code == 200
    assert Unsubscribe.objects.filter(owner=mailing.owner).count() == 1
    assert Unsubscribe.objects.get().email == mailing.clients.get().email.lower()


def test_one_click_post_unsubscribes_without_a_csrf_token(db):
    owner = UserFactory()
    browser = BrowserClient(enforce_csrf_checks=True)

    response = browser.post(unsubscribe_path(owner.pk, "Ann@Example.org"), {"List-Unsubscribe": "One-Click"})
    browser.post(unsubscribe_path(owner.pk, "ann@example.org"), {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    assert list(Unsubscribe.objects.values_list("owner", "email")) == [(owner.pk, "ann@example.org")]


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_token_answers_400_and_changes_nothing(client, method):
    owner = UserFactory()
    path = unsubscribe_path(owner.pk, "ann@example.org")
    token = path.rstrip("/").rsplit("/", 1)[1]
    forged = signing.dumps({"owner": owner.pk, "email": "ann@example.org"}, salt="another-salt", compress=True)

    answers = [
        getattr(client, method)(path.replace(token, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))),
        getattr(client, method)(path.replace(token, forged)),
        getattr(client, method)(path.replace(token, "garbage")),
    ]

    assert [answer.status_code for answer in answers] == [400, 400, 400]
    assert not Unsubscribe.objects.exists()


def test_a_link_of_a_deleted_owner_answers_400(client):
    path = unsubscribe_path(987654, "ann@example.org")  # a valid signature, but no such owner any more

    assert client.get(path).status_code == 400
    assert not Unsubscribe.objects.exists()


def test_a_concurrent_second_click_returns_the_existing_entry(monkeypatch):
    owner = UserFactory()
    token = sending.unsubscribe_token(owner_id=owner.pk, email="ann@example.org")
    existing = Unsubscribe.objects.create(owner=owner, email="ann@example.org")
    # The other click inserted between our check and our insert.
    real_filter = Unsubscribe.objects.filter
    monkeypatch.setattr(
        Unsubscribe.objects, "filter", lambda **kw: real_filter(pk=-1) if "email__iexact" in kw else real_filter(**kw)
    )

    assert sending.unsubscribe(token=token) == existing
    assert Unsubscribe.objects.count() == 1


def test_an_unsubscribed_client_is_skipped_by_all_mailings_of_that_owner_only(smtp_sink):
    owner, stranger = UserFactory(), UserFactory()
    leaver = ClientFactory(owner=owner, email="Leaver@Example.org")
    stayer = ClientFactory(owner=owner)
    first = MailingFactory(owner=owner, recipients=[leaver, stayer])
    second = MailingFactory(owner=owner, recipients=[leaver])
    elsewhere = MailingFactory(owner=stranger, recipients=[ClientFactory(owner=stranger, email="leaver@example.org")])
    sending.unsubscribe(token=sending.unsubscribe_token(owner_id=owner.pk, email="leaver@example.org"))

    sending.send_due_mailings()

    assert smtp_sink.recipients() == sorted([stayer.email, "leaver@example.org"])
    assert smtp_sink.messages_to("leaver@example.org")[0]["Subject"] == elsewhere.message.subject
    assert first.attempts.get(client=leaver).status == Attempt.Status.SKIPPED
    assert first.attempts.get(client=stayer).status == Attempt.Status.SUCCESS
    assert statuses(second) == ["skipped"]
    assert statuses(elsewhere) == ["success"]


# --- Failures and retries ------------------------------------------------------------------


def test_an_smtp_refusal_is_recorded_with_the_server_answer_and_retried_after_the_back_off(smtp_sink, settings):
    settings.MAILINGS_RETRY_BASE_SECONDS = 300
    bad = ClientFactory(email="bad@example.org")
    good = ClientFactory(owner=bad.owner)
    mailing = MailingFactory(owner=bad.owner, recipients=[bad, good])
    smtp_sink.refused = {"bad@example.org"}

    sending.send_due_mailings()

    failed = mailing.attempts.get(client=bad)
    assert failed.status == Attempt.Status.FAILURE
    assert failed.response == "550 mailbox unavailable"
    assert failed.tries == 1
    assert timedelta(seconds=290) < failed.next_try_at - timezone.now() <= timedelta(seconds=300)
    assert mailing.attempts.get(client=good).status == Attempt.Status.SUCCESS
    assert sending.failed_attempts_retry() == 0  # the back-off has not passed

    smtp_sink.refused = set()
    backdate_retries(pk=failed.pk)
    assert sending.failed_attempts_retry() == 1

    failed.refresh_from_db()
    assert (failed.status, failed.tries, failed.next_try_at) == (Attempt.Status.SUCCESS, 2, None)
    assert smtp_sink.recipients() == sorted(["bad@example.org", good.email])
    assert sending.failed_attempts_retry(now=timezone.now() + timedelta(days=1)) == 0


def test_a_message_refused_after_its_content_is_recorded_with_the_server_answer(smtp_sink):
    mailing = MailingFactory(recipients=[ClientFactory(email="strict@example.org")])
    smtp_sink.rejected = {"strict@example.org"}

    sending.send_due_mailings()

    attempt = mailing.attempts.get()
    assert (attempt.status, attempt.response) == (Attempt.Status.FAILURE, "554 message rejected as spam")
    assert attempt.next_try_at is not None
    assert smtp_sink.arrivals == []


def test_the_back_off_doubles_and_retries_stop_after_max_tries(smtp_sink, settings):
    settings.MAILINGS_MAX_TRIES = 3
    settings.MAILINGS_RETRY_BASE_SECONDS = 100
    mailing = MailingFactory(recipients=[ClientFactory(email="bad@example.org")])
    smtp_sink.refused = {"bad@example.org"}
    sending.send_due_mailings()
    attempt = mailing.attempts.get()
    delays = []

    for _ in range(5):
        attempt.refresh_from_db()
        if attempt.next_try_at is None:
            break
        delays.append(round((attempt.next_try_at - timezone.now()).total_seconds(), -1))
        backdate_retries(pk=attempt.pk)
        sending.failed_attempts_retry()

    attempt.refresh_from_db()
    assert delays == [100, 200]
    assert (attempt.status, attempt.tries, attempt.next_try_at) == (Attempt.Status.FAILURE, 3, None)
    assert attempt.response == "550 mailbox unavailable"
    assert sending.failed_attempts_retry(now=timezone.now() + timedelta(days=365)) == 0
    assert smtp_sink.arrivals == []


def test_a_retry_skips_a_client_who_unsubscribed_meanwhile(smtp_sink):
    mailing = MailingFactory(recipients=[ClientFactory(email="bad@example.org")])
    smtp_sink.refused = {"bad@example.org"}
    sending.send_due_mailings()
    smtp_sink.refused = set()
    sending.unsubscribe(token=sending.unsubscribe_token(owner_id=mailing.owner_id, email="bad@example.org"))
    backdate_retries()

    sending.failed_attempts_retry()

    assert statuses(mailing) == ["skipped"]
    assert smtp_sink.arrivals == []


def test_failures_of_a_stopped_mailing_are_not_retried(smtp_sink):
    mailing = MailingFactory(recipients=[ClientFactory(email="bad@example.org")])
    smtp_sink.refused = {"bad@example.org"}
    sending.send_due_mailings()
    smtp_sink.refused = set()
    Mailing.objects.filter(pk=mailing.pk).update(is_active=False)
    backdate_retries()

    assert sending.failed_attempts_retry() == 0
    assert smtp_sink.arrivals == []


def test_an_unreachable_server_is_recorded_as_failures_to_retry(smtp_sink, settings):
    settings.EMAIL_PORT = free_port()  # nobody listens there
    mailing = MailingFactory(recipients=2)

    sending.send_due_mailings()

    assert statuses(mailing) == ["failure", "failure"]
    assert all(attempt.next_try_at is not None for attempt in mailing.attempts.all())
    assert all("Connection" in response for response in mailing.attempts.values_list("response", flat=True))
    assert MailingRun.objects.get().status == MailingRun.Status.FINISHED


# --- Crashes and connections ---------------------------------------------------------------


def test_a_run_that_crashed_half_way_resumes_without_re_sending(smtp_sink, monkeypatch, settings):
    settings.MAILINGS_SENDER_LEASE_SECONDS = 1800
    mailing = MailingFactory(recipients=10)
    real_build = sending.build_email
    built = []

    def crash_after_four(**kwargs):
        if len(built) == 4:
            raise SystemExit("worker killed")  # not an Exception: nothing may catch it, like a real kill
        built.append(kwargs["client"].email)
        return real_build(**kwargs)

    monkeypatch.setattr(sending, "build_email", crash_after_four)
    with pytest.raises(SystemExit):
        sending.send_due_mailings()
    monkeypatch.setattr(sending, "build_email", real_build)
    assert len(smtp_sink.arrivals) == 4
    run = MailingRun.objects.get()
    assert run.status == MailingRun.Status.RUNNING

    assert sending.send_due_mailings()["resumed"] == 0  # the lease is alive: its worker may still be busy
    MailingRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=31))
    assert sending.send_due_mailings()["resumed"] == 1

    addresses = sorted(mailing.clients.values_list("email", flat=True))
    assert smtp_sink.recipients() == addresses  # every client exactly once
    assert statuses(mailing) == ["success"] * 10
    run.refresh_from_db()
    assert (run.status, run.total) == (MailingRun.Status.FINISHED, 10)
    assert sending.unfinished_runs_resume() == 0


def test_recipients_with_an_attempt_are_never_sent_again(smtp_sink):
    mailing = MailingFactory(recipients=6)
    run = sending.claim_due_run(mailing_id=mailing.pk, now=timezone.now())
    clients = list(mailing.clients.order_by("id"))
    # Sent before the crash, and one whose worker died between recording and the server's answer.
    for client in clients[:2]:
        Attempt.objects.create(run=run, mailing=mailing, client=client, email=client.email, status="success")
    Attempt.objects.create(run=run, mailing=mailing, client=clients[2], email=clients[2].email, status="sending")

    sending.run_execute(run_id=run.pk)
    sending.run_execute(run_id=run.pk)

    assert smtp_sink.recipients() == sorted(client.email for client in clients[3:])
    assert mailing.attempts.count() == 6


def test_one_smtp_connection_is_used_for_a_whole_run_even_with_failures(smtp_sink):
    clients = [*ClientFactory.create_batch(3), ClientFactory(email="bad@example.org"), *ClientFactory.create_batch(3)]
    for client in clients:
        client.owner = clients[0].owner
        client.save()
    MailingFactory(owner=clients[0].owner, recipients=clients)
    smtp_sink.refused = {"bad@example.org"}

    sending.send_due_mailings()

    assert len(smtp_sink.arrivals) == 6
    assert smtp_sink.connections == 1


def test_one_smtp_connection_is_used_for_a_batch_of_retries(smtp_sink):
    owner = UserFactory()
    bad = [ClientFactory(owner=owner, email=f"bad{number}@example.org") for number in range(3)]
    MailingFactory(owner=owner, recipients=bad)
    smtp_sink.refused = {client.email for client in bad}
    sending.send_due_mailings()
    smtp_sink.refused = set()
    connections_before = smtp_sink.connections
    backdate_retries()

    assert sending.failed_attempts_retry() == 3
    assert smtp_sink.connections - connections_before == 1
    assert len(smtp_sink.arrivals) == 3


def test_a_dropped_connection_is_reopened_once_and_kept_for_the_rest_of_the_run(smtp_sink, monkeypatch):
    mailing = MailingFactory(recipients=5)
    real_build = sending.build_email
    calls = []

    def drop_once(**kwargs):
        calls.append(kwargs["client"].email)
        if len(calls) == 2:  # the server went away mid-run, before the second email
            kwargs["connection"].connection.sock.shutdown(socket.SHUT_RDWR)
        return real_build(**kwargs)

    monkeypatch.setattr(sending, "build_email", drop_once)
    sending.send_due_mailings()

    attempts = dict(mailing.attempts.values_list("email", "status"))
    assert attempts[calls[1]] == Attempt.Status.FAILURE
    assert [attempts[email] for email in calls[:1] + calls[2:]] == [Attempt.Status.SUCCESS] * 4
    assert smtp_sink.connections == 2  # reopened once, then kept for the three after it
    assert len(smtp_sink.arrivals) == 4


def test_a_double_click_on_send_now_makes_one_run(smtp_sink):
    from django.utils import timezone

    from mailings import sending
    from mailings.models import MailingRun

    mailing = MailingFactory(recipients=2)
    now = timezone.now().replace(second=10)
    first = sending.claim_due_run(mailing_id=mailing.pk, now=now, manual=True)
    second = sending.claim_due_run(mailing_id=mailing.pk, now=now.replace(second=40), manual=True)
    assert first is not None
    assert second is None
    assert MailingRun.objects.filter(mailing=mailing).count() == 1


def _run_statements(recipients: int) -> tuple[int, int]:
    """The SQL statements one run to ``recipients`` clients costs: (in transactions, on their own).

    The test's own transaction turns each ``atomic`` block into a savepoint; every statement outside
    one commits on its own in production.
    """
    mailing = MailingFactory(recipients=recipients)
    run = sending.claim_due_run(mailing_id=mailing.pk, now=timezone.now())
    assert run is not None
    with CaptureQueriesContext(connection) as captured:
        sending.run_execute(run_id=run.pk)
    assert statuses(mailing) == ["success"] * recipients
    depth, inside, alone = 0, 0, 0
    for query in captured.captured_queries:
        sql = query["sql"]
        if sql.startswith("SAVEPOINT"):
            depth += 1
        elif sql.startswith(("RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")):
            depth -= 1
        elif depth:
            inside += 1
        else:
            alone += 1
    return inside, alone


def test_each_recipient_costs_one_commit_one_statement_on_postgresql_three_elsewhere(smtp_sink):
    # Its attempt, the lease renewal and the previous recipient's outcome, committed together:
    # no outcome is written in a commit of its own. On PostgreSQL it is one statement (a savepoint
    # here only because the test runs in a transaction; ``test_sending_speed`` pins production's).
    (inside_4, alone_4), (inside_8, alone_8) = _run_statements(4), _run_statements(8)
    per_recipient = 1 if connection.vendor == "postgresql" else 3
    assert (inside_8 - inside_4, alone_8 - alone_4) == (per_recipient * 4, 0)


def test_the_templates_are_rendered_once_per_run_and_each_email_has_its_own_link(smtp_sink, monkeypatch):
    rendered = []
    real_render = sending.render_to_string

    def render(template, context):
        rendered.append(template)
        return real_render(template, context)

    monkeypatch.setattr(sending, "render_to_string", render)
    mailing = MailingFactory(recipients=3)
    sending.send_due_mailings()

    assert sorted(rendered) == ["mailings/email/mailing.html", "mailings/email/mailing.txt"]
    for client in mailing.clients.all():
        (email,) = smtp_sink.messages_to(client.email)
        text, html = (part.get_content() for part in email.iter_parts())
        (link,) = LINK.findall(text)
        assert f'href="{link}"' in html
        assert email["List-Unsubscribe"].strip() == f"<{link}>"  # folded: the long header starts a new line
        token = urlsplit(link).path.rstrip("/").rsplit("/", 1)[1]
        assert signing.loads(token, salt=sending.UNSUBSCRIBE_SALT)["email"] == client.email.lower()
