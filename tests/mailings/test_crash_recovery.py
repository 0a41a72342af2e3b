"""No silent mail loss: a sender killed in the middle of an SMTP conversation.

A real ``manage.py send_mailing`` process sends to a real SMTP server that stalls after receiving
one email's content; the test SIGKILLs the process there. The email may or may not have arrived,
so its attempt must end ``unknown`` — visible, counted, never re-sent by itself — until the owner
chooses to send it again.
"""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from mailings import selectors, sending, services
from mailings.models import Attempt, MailingRun
from tests.mailings.factories import ClientFactory, MailingFactory
from tests.processes import child_database_env
from tests.smtp_sink import StallingHandler, smtp_server_running, smtp_settings_use

ROOT = Path(__file__).resolve().parents[2]
STALLED = "stalled@example.org"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def stalling_sink(settings):
    handler = StallingHandler(stalled_address=STALLED)
    with smtp_server_running(handler) as port:
        smtp_settings_use(settings, port)
        yield handler, port


def start_sender(mailing_id: int, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "EMAIL_URL": f"smtp://127.0.0.1:{port}",
        **child_database_env(),
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "send_mailing", str(mailing_id)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def counts(run: MailingRun) -> dict:
    progress = selectors.run_progress(run)
    return {key: progress[key] for key in ("sent", "failed", "skipped", "unknown", "pending")}


def test_a_sender_killed_mid_conversation_leaves_an_unknown_attempt_that_only_the_owner_re_sends(
    stalling_sink, settings
):
    sink, port = stalling_sink
    owner = ClientFactory().owner
    clients = [
        ClientFactory(owner=owner, email="first@example.org"),
        ClientFactory(owner=owner, email="second@example.org"),
        ClientFactory(owner=owner, email=STALLED),
        *[ClientFactory(owner=owner, email=f"later{number}@example.org") for number in range(17)],
    ]
    # Not due by its schedule: the only run is the one the killed process starts by hand.
    mailing = MailingFactory(owner=owner, recipients=clients, start_at=timezone.now() + timedelta(days=1))

    sender = start_sender(mailing.pk, port)
    try:
        assert sink.stalled.wait(timeout=60), sender.communicate(timeout=5)[0] if sender.poll() is not None else ""
        os.kill(sender.pid, signal.SIGKILL)
        sender.wait(timeout=30)
    finally:
        if sender.poll() is None:
            sender.kill()
    sink.release.set()
    run = MailingRun.objects.get(mailing=mailing)
    in_flight = Attempt.objects.get(run=run, email=STALLED)
    assert in_flight.status == Attempt.Status.SENDING
    assert sink.recipients() == ["first@example.org", "second@example.org"]

    # While the dead sender's lease lasts it might still be alive: nothing is decided yet.
    early = sending.send_due_mailings()
    in_flight.refresh_from_db()
    assert (early["unknown"], early["resumed"], in_flight.status) == (0, 0, Attempt.Status.SENDING)

    settings.MAILINGS_SENDER_LEASE_SECONDS = 1
    time.sleep(1.2)
    recovered = sending.send_due_mailings()

    in_flight.refresh_from_db()
    run.refresh_from_db()
    assert (recovered["unknown"], recovered["resumed"]) == (1, 1)
    assert in_flight.status == Attempt.Status.UNKNOWN
    assert counts(run) == {"sent": 19, "failed": 0, "skipped": 0, "unknown": 1, "pending": 0}
    assert sum(counts(run).values()) == run.total == 20
    assert run.status == MailingRun.Status.FINISHED_WITH_UNKNOWN
    assert selectors.run_progress(run)["needs_attention"]
    arrived = sink.recipients()
    assert STALLED not in arrived  # never re-sent by itself: delivery is at most once
    assert sorted(arrived) == sorted(client.email for client in clients if client.email != STALLED)

    again = sending.send_due_mailings()
    assert again["unknown"] == again["resumed"] == 0
    assert sink.recipients() == arrived

    assert services.run_retry_unknown(run=run, actor=owner) == 1

    in_flight.refresh_from_db()
    run.refresh_from_db()
    assert sorted(sink.recipients()) == sorted([*arrived, STALLED])  # exactly the unknown one, once
    assert (in_flight.status, in_flight.tries) == (Attempt.Status.SUCCESS, 2)
    assert run.status == MailingRun.Status.FINISHED
    assert counts(run) == {"sent": 20, "failed": 0, "skipped": 0, "unknown": 0, "pending": 0}
    assert not selectors.run_progress(run)["needs_attention"]
