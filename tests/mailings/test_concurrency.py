"""Two schedulers at the same moment on PostgreSQL: every email arrives exactly once."""

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from mailings import sending
from mailings.models import Attempt, MailingRun
from tests.mailings.factories import MailingFactory

pytestmark = [
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="row locks (SELECT … FOR UPDATE SKIP LOCKED) and real concurrent writers need PostgreSQL",
    ),
    pytest.mark.django_db(transaction=True),
]

CLIENTS = 20


def run_together(work: Callable[[], object], threads: int = 2) -> list[object]:
    """Start ``work`` in several threads released at the same instant; re-raise their errors."""
    barrier = threading.Barrier(threads)
    results: list[object] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(work())
        except BaseException as error:  # noqa: BLE001 - reported to the test below
            errors.append(error)
        finally:
            connection.close()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(results) == threads
    return results


def assert_each_client_once(sink, mailing) -> None:
    arrived = Counter(sink.recipients())
    assert sorted(arrived) == sorted(mailing.clients.values_list("email", flat=True))
    assert set(arrived.values()) == {1}
    assert Attempt.objects.filter(mailing=mailing).count() == CLIENTS
    assert set(Attempt.objects.filter(mailing=mailing).values_list("status", flat=True)) == {Attempt.Status.SUCCESS}


def test_two_schedulers_at_the_same_moment_send_each_email_once(smtp_sink):
    mailing = MailingFactory(recipients=CLIENTS)

    results = run_together(sending.send_due_mailings)

    assert sorted(result["runs"] for result in results) == [0, 1]
    assert MailingRun.objects.filter(mailing=mailing).count() == 1
    assert len(smtp_sink.arrivals) == CLIENTS
    assert_each_client_once(smtp_sink, mailing)


def test_two_workers_executing_the_same_run_send_each_email_once(smtp_sink):
    mailing = MailingFactory(recipients=CLIENTS)
    run = sending.claim_due_run(mailing_id=mailing.pk, now=timezone.now())

    run_together(lambda: sending.run_execute(run_id=run.pk))

    assert len(smtp_sink.arrivals) == CLIENTS
    assert_each_client_once(smtp_sink, mailing)
    run.refresh_from_db()
    assert run.status == MailingRun.Status.FINISHED


def test_two_retry_jobs_resend_each_failure_once(smtp_sink):
    mailing = MailingFactory(recipients=CLIENTS)
    smtp_sink.refused = set(mailing.clients.values_list("email", flat=True))
    sending.send_due_mailings()
    smtp_sink.refused = set()
    Attempt.objects.update(next_try_at=timezone.now())

    results = run_together(sending.failed_attempts_retry)

    assert sum(results) == CLIENTS
    assert len(smtp_sink.arrivals) == CLIENTS
    assert_each_client_once(smtp_sink, mailing)


def test_the_schedule_of_a_mailing_is_claimed_once_under_many_schedulers(smtp_sink):
    mailings = MailingFactory.create_batch(3, recipients=4)

    run_together(sending.send_due_mailings, threads=4)

    assert MailingRun.objects.count() == 3
    assert len(smtp_sink.arrivals) == 12
    assert Counter(smtp_sink.recipients()) == Counter(
        email for mailing in mailings for email in mailing.clients.values_list("email", flat=True)
    )
