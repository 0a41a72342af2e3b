"""The weekly shop newsletter: who gets it, what is in it, one-click unsubscribe, exactly once a week."""

import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMultiAlternatives
from django.db import connection as db_connection
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from core import jobs
from core.models import AuditEvent
from core.schedule import job_by_name
from shop import newsletter, selectors, services
from shop.models import CategoryInterest, NewsletterDelivery, Product
from tests.factories import CategoryFactory, ProductFactory, UserFactory
from tests.processes import child_database_env
from tests.smtp_sink import SinkHandler, StallingHandler, free_port, smtp_server_running, smtp_settings_use

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # ISO week 2026-W48
NEXT_MONDAY = MONDAY + timedelta(days=7)


# --- Fixtures ------------------------------------------------------------------------------


def _aged(product: Product, days: float) -> Product:
    """``created_at`` is auto_now_add: move it into the past so "newest" is well defined."""
    Product.objects.filter(pk=product.pk).update(created_at=MONDAY - timedelta(days=days))
    product.refresh_from_db()
    return product


@pytest.fixture
def catalogue(db):
    """8 active products in "news" (1 day old … 8 days old), a newer inactive one, and 3 older
    products in "garden" for the picks."""
    news = CategoryFactory(name="News", slug="news")
    garden = CategoryFactory(name="Garden", slug="garden")
    active = [_aged(ProductFactory(name=f"Fresh {index}", category=news), days=index) for index in range(1, 9)]
    hidden = _aged(ProductFactory(name="Withdrawn gadget", category=news, is_active=False), days=0.5)
    picks = [_aged(ProductFactory(name=f"Garden pick {index}", category=garden), days=30 + index) for index in range(3)]
    return {"newest": active[:5], "older": active[5:], "hidden": hidden, "picks": picks, "garden": garden}


def subscriber(**kwargs) -> User:
    return UserFactory(newsletter=True, **kwargs)


def _links(text: str) -> list[str]:
    return re.findall(r"https?://\S+", text)


def _unsubscribe_path(message: EmailMultiAlternatives) -> str:
    url = next(link for link in _links(str(message.body)) if "/newsletter/unsubscribe/" in link)
    return url.removeprefix(settings.SITE_URL)


# --- Who gets it ---------------------------------------------------------------------------


def test_only_active_confirmed_unblocked_subscribers_get_it(catalogue, mailoutbox):
    reader = subscriber()
    UserFactory(newsletter=False)
    subscriber(is_active=False)
    subscriber(email_confirmed_at=None)
    subscriber(is_blocked=True, blocked_reason="spam")

    result = newsletter.newsletter_send_weekly(now=MONDAY)

    assert result == {"week": "2026-W48", "sent": 1, "failed": 0, "skipped": 0, "unknown": 0}
    assert [message.to for message in mailoutbox] == [[reader.email]]
    delivery = NewsletterDelivery.objects.get()
    assert (delivery.user, delivery.week, delivery.status) == (reader, "2026-W48", NewsletterDelivery.Status.SENT)


def test_the_profile_opt_in_makes_a_subscriber(client, catalogue, mailoutbox):
    reader = UserFactory(newsletter=False)
    client.force_login(reader)
    assert 'name="newsletter"' in client.get(reverse("accounts:profile")).content.decode()
    data = {"last_name": reader.last_name, "first_name": reader.first_name, "phone": reader.phone, "newsletter": "on"}
    client.post(reverse("accounts:profile"), data)
    reader.refresh_from_db()
    assert reader.newsletter is True

    newsletter.newsletter_send_weekly(now=MONDAY)
    assert [message.to for message in mailoutbox] == [[reader.email]]


def test_nothing_is_sent_and_nobody_is_claimed_without_active_products(db, mailoutbox):
    subscriber()
    ProductFactory(is_active=False)
    assert newsletter.newsletter_send_weekly(now=MONDAY)["sent"] == 0
    assert mailoutbox == []
    assert not NewsletterDelivery.objects.exists()


# --- What is in it -------------------------------------------------------------------------


def test_content_has_the_five_newest_active_products_and_the_picks_in_text_and_html(catalogue, mailoutbox):
    reader = subscriber(first_name="Vera")
    CategoryInterest.objects.create(user=reader, category=catalogue["garden"], views=4)

    newsletter.newsletter_send_weekly(now=MONDAY)

    [message] = mailoutbox
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert message.subject == "New in the Agora shop this week"
    for part in (message.body, html):
        assert "Vera" in part
        for product in catalogue["newest"] + catalogue["picks"]:
            assert product.name in part
            assert f"{settings.SITE_URL}/shop/products/{product.pk}/" in part
        for product in [*catalogue["older"], catalogue["hidden"]]:
            assert product.name not in part
    newest_section, picks_section = message.body.split("Picked for you:")
    assert re.findall(r"Fresh \d", newest_section) == [f"Fresh {index}" for index in range(1, 6)]
    assert "Garden pick" in picks_section
    assert f'href="{settings.SITE_URL}/shop/products/{catalogue["picks"][0].pk}/"' in html


def test_picks_are_at_most_four_and_never_repeat_the_newest(db, mailoutbox):
    category = CategoryFactory()
    products = [_aged(ProductFactory(category=category), days=index) for index in range(1, 12)]
    reader = subscriber()
    CategoryInterest.objects.create(user=reader, category=category, views=1)

    newsletter.newsletter_send_weekly(now=MONDAY)

    picks_section = mailoutbox[0].body.split("Picked for you:")[1]
    picked = [product for product in products if product.name in picks_section]
    assert picked == products[5:9]


def test_without_interests_there_is_no_picks_section(catalogue, mailoutbox):
    subscriber()
    newsletter.newsletter_send_weekly(now=MONDAY)
    assert "Picked for you" not in mailoutbox[0].body
    assert "Picked for you" not in mailoutbox[0].alternatives[0][0]


def test_every_email_carries_the_one_click_unsubscribe_link_and_headers(catalogue, mailoutbox):
    reader = subscriber()
    newsletter.newsletter_send_weekly(now=MONDAY)
    [message] = mailoutbox
    prefix = f"{settings.SITE_URL}/shop/newsletter/unsubscribe/"
    # The token carries a timestamp: take the link from the email and check whom it names.
    link = next(word for word in message.body.split() if word.startswith(prefix))
    assert newsletter.subscriber_from_token(link.removeprefix(prefix).rstrip("/")) == reader
    assert f'href="{link}"' in message.alternatives[0][0]
    assert message.extra_headers["List-Unsubscribe"] == f"<{link}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_the_subject_and_text_are_translated(catalogue, mailoutbox):
    subscriber()
    with translation.override("ru"):
        newsletter.newsletter_send_weekly(now=MONDAY)
    [message] = mailoutbox
    assert message.subject == "Новое в магазине Agora на этой неделе"
    assert "Новинки магазина:" in message.body
    assert "Отписаться от этих писем" in message.alternatives[0][0]


# --- Unsubscribe (the page itself: test_newsletter_unsubscribe.py) ---------------------------


def test_the_links_page_button_unsubscribes_idempotently_and_next_week_brings_nothing(client, catalogue, mailoutbox):
    reader = subscriber()
    newsletter.newsletter_send_weekly(now=MONDAY)
    path = _unsubscribe_path(mailoutbox[0])

    opened = client.get(path)
    reader.refresh_from_db()
    assert opened.status_code == 200 and reader.newsletter is True  # opening the link changes nothing
    first = client.post(path, {"action": "unsubscribe"})
    second = client.post(path, {"action": "unsubscribe"})

    assert first.status_code == second.status_code == 200
    assert reader.email in first.content.decode()
    reader.refresh_from_db()
    assert reader.newsletter is False
    events = AuditEvent.objects.filter(action="shop.newsletter_unsubscribed")
    assert [(event.target_id, event.actor_id) for event in events] == [(str(reader.pk), reader.pk)]

    mailoutbox.clear()
    assert newsletter.newsletter_send_weekly(now=NEXT_MONDAY)["sent"] == 0
    assert mailoutbox == []


def test_the_mail_clients_one_click_post_needs_no_csrf_token(catalogue, mailoutbox):
    from django.test import Client

    reader = subscriber()
    newsletter.newsletter_send_weekly(now=MONDAY)
    browser = Client(enforce_csrf_checks=True)
    path = _unsubscribe_path(mailoutbox[0])

    response = browser.post(path, {"List-Unsubscribe": "One-Click"})
    again = browser.post(path, {"List-Unsubscribe": "One-Click"})

    assert response.status_code == again.status_code == 200
    reader.refresh_from_db()
    assert reader.newsletter is False
    assert AuditEvent.objects.filter(action="shop.newsletter_unsubscribed").count() == 1


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        # A well-formed token for the mailings' unsubscribe (another salt) is refused too.
        "mailings",
        # A valid token with one character changed.
        "tampered",
    ],
)
def test_a_tampered_or_foreign_token_answers_400_and_changes_nothing(client, db, token):
    reader = subscriber()
    genuine = newsletter.unsubscribe_token(user=reader)
    if token == "mailings":
        from django.core import signing

        token = signing.dumps({"user": reader.pk}, salt="mailings.unsubscribe")
    elif token == "tampered":
        token = genuine[:-1] + ("A" if genuine[-1] != "A" else "B")

    for method in (client.get, client.post):
        response = method(reverse("shop:newsletter-unsubscribe", args=[token]))
        assert response.status_code == 400
        assert "This link is not valid" in response.content.decode()
    reader.refresh_from_db()
    assert reader.newsletter is True


def test_a_link_of_a_deleted_account_answers_400(client, db):
    reader = subscriber()
    token = newsletter.unsubscribe_token(user=reader)
    reader.delete()
    assert client.get(reverse("shop:newsletter-unsubscribe", args=[token])).status_code == 400


def test_unsubscribe_service_reports_whether_anything_changed(db):
    reader = subscriber()
    assert services.newsletter_unsubscribe(user=reader) is True
    assert services.newsletter_unsubscribe(user=reader) is False
    assert reader.newsletter is False


# --- Exactly once a week -------------------------------------------------------------------


def test_a_second_run_in_the_same_week_sends_nothing_and_next_week_sends_again(catalogue, mailoutbox):
    readers = [subscriber() for _ in range(3)]

    assert newsletter.newsletter_send_weekly(now=MONDAY)["sent"] == 3
    assert newsletter.newsletter_send_weekly(now=MONDAY + timedelta(days=3, hours=5))["sent"] == 0
    assert len(mailoutbox) == 3

    assert newsletter.newsletter_send_weekly(now=NEXT_MONDAY) == {
        "week": "2026-W49",
        "sent": 3,
        "failed": 0,
        "skipped": 0,
        "unknown": 0,
    }
    assert len(mailoutbox) == 6
    assert sorted(address for message in mailoutbox for address in message.to) == sorted(
        [reader.email for reader in readers] * 2
    )
    assert set(NewsletterDelivery.objects.values_list("week", flat=True)) == {"2026-W48", "2026-W49"}


def test_a_subscriber_already_claimed_by_another_run_is_skipped(catalogue, mailoutbox, monkeypatch):
    """The claim is the guard, not the pre-filter: a row inserted between the two is respected."""
    reader = subscriber()
    real_claim = services.newsletter_delivery_claim

    def claimed_elsewhere_first(*, user, week):
        NewsletterDelivery.objects.create(user=user, week=week, status=NewsletterDelivery.Status.SENT)
        return real_claim(user=user, week=week)

    monkeypatch.setattr(services, "newsletter_delivery_claim", claimed_elsewhere_first)
    assert newsletter.newsletter_send_weekly(now=MONDAY) == {
        "week": "2026-W48",
        "sent": 0,
        "failed": 0,
        "skipped": 1,
        "unknown": 0,
    }
    assert mailoutbox == []
    assert NewsletterDelivery.objects.get().user == reader


def test_an_email_that_cannot_be_built_claims_nothing_and_the_others_still_go_out(catalogue, mailoutbox, monkeypatch):
    broken, fine = subscriber(), subscriber()
    real_build = newsletter.build_email

    def build_email(*, user, **kwargs):
        if user == broken:
            raise RuntimeError("template exploded")
        return real_build(user=user, **kwargs)

    monkeypatch.setattr(newsletter, "build_email", build_email)
    assert newsletter.newsletter_send_weekly(now=MONDAY) == {
        "week": "2026-W48",
        "sent": 1,
        "failed": 1,
        "skipped": 0,
        "unknown": 0,
    }
    assert [message.to for message in mailoutbox] == [[fine.email]]
    # No row for the broken one: a later run this week (after the fix) still sends it.
    assert list(NewsletterDelivery.objects.values_list("user", flat=True)) == [fine.pk]
    monkeypatch.setattr(newsletter, "build_email", real_build)
    assert newsletter.newsletter_send_weekly(now=MONDAY)["sent"] == 1
    assert [message.to for message in mailoutbox] == [[fine.email], [broken.email]]


def test_the_week_key_follows_iso_weeks_across_the_new_year():
    assert newsletter.iso_week(datetime(2026, 12, 31, 12, tzinfo=UTC)) == "2026-W53"
    assert newsletter.iso_week(datetime(2027, 1, 3, 12, tzinfo=UTC)) == "2026-W53"
    assert newsletter.iso_week(datetime(2027, 1, 4, 12, tzinfo=UTC)) == "2027-W01"


# --- The scheduled job ---------------------------------------------------------------------


def test_the_job_runs_from_monday_morning_hourly_through_monday_so_a_crashed_run_resumes_the_same_day():
    job = job_by_name("shop.send_weekly_newsletter")
    assert job.function == "shop.jobs.send_weekly_newsletter"
    assert job.cron == "0 9-23 * * 1"
    assert job.atomic is False
    assert job.is_due(last_started_at=MONDAY, now=MONDAY + timedelta(hours=1))
    assert not job.is_due(last_started_at=MONDAY + timedelta(hours=14), now=MONDAY + timedelta(days=6, hours=23))
    assert job.is_due(last_started_at=MONDAY, now=NEXT_MONDAY)


@pytest.mark.django_db(transaction=True)
def test_the_runner_commits_each_claim_before_the_email_is_sent(catalogue, mailoutbox, monkeypatch):
    """run_job wraps most jobs in a transaction; this one must not be, or a crash would roll the
    claims back after the emails had gone out and the next run would send them again."""
    subscriber()
    seen = []
    real_deliver = newsletter.email_deliver

    def deliver(*, message, connection):
        seen.append(db_connection.in_atomic_block)
        return real_deliver(message=message, connection=connection)

    monkeypatch.setattr(newsletter, "email_deliver", deliver)
    result = jobs.run_job("shop.send_weekly_newsletter")
    assert result["sent"] == 1
    assert seen == [False]
    assert len(mailoutbox) == 1


# --- A real SMTP server --------------------------------------------------------------------


@pytest.fixture
def smtp_sink(settings):
    handler = SinkHandler()
    with smtp_server_running(handler) as port:
        smtp_settings_use(settings, port)
        yield handler


def test_one_smtp_connection_for_the_whole_job_and_a_refusal_is_recorded_with_the_answer(catalogue, smtp_sink):
    readers = [subscriber() for _ in range(6)]
    refused = readers[2]
    smtp_sink.refused = {refused.email.lower()}

    result = newsletter.newsletter_send_weekly(now=MONDAY)

    assert result == {"week": "2026-W48", "sent": 5, "failed": 1, "skipped": 0, "unknown": 0}
    assert smtp_sink.sessions == 1
    assert smtp_sink.recipients() == sorted(reader.email for reader in readers if reader != refused)
    failed = NewsletterDelivery.objects.get(status=NewsletterDelivery.Status.FAILED)
    assert failed.user == refused
    assert failed.response.startswith("550")
    assert "mailbox unavailable" in failed.response
    assert NewsletterDelivery.objects.filter(status=NewsletterDelivery.Status.SENT).count() == 5

    recipients, message = smtp_sink.arrivals[0]
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # The signed token carries a timestamp, so compare whom it names rather than its exact text.
    header = message["List-Unsubscribe"].strip()
    assert header.startswith("<") and header.endswith(">")
    token = header.rstrip("/>").rsplit("/", 1)[-1]
    assert newsletter.subscriber_from_token(token) == User.objects.get(email=recipients[0])

    # The refused subscriber is not retried this week: the row says what happened.
    assert newsletter.newsletter_send_weekly(now=MONDAY)["sent"] == 0
    assert smtp_sink.sessions == 1


def test_an_unreachable_server_fails_the_job_before_anyone_is_claimed(catalogue, settings):
    subscriber()
    smtp_settings_use(settings, free_port())  # nothing listens there
    with pytest.raises(OSError):
        newsletter.newsletter_send_weekly(now=MONDAY)
    assert not NewsletterDelivery.objects.exists()


# --- Two runs at once (PostgreSQL) ---------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_runs_started_together_send_each_subscriber_exactly_one_email(catalogue, smtp_sink, monkeypatch):
    if db_connection.vendor != "postgresql":
        pytest.skip("SQLite serialises all writers behind one database lock; the race needs PostgreSQL")
    readers = [subscriber() for _ in range(12)]
    # Both runs read the full list of subscribers before either claims anyone, so they race on
    # every single claim.
    both_read = threading.Barrier(2, timeout=30)
    local = threading.local()
    real_claim = services.newsletter_delivery_claim

    def claim_after_both_read(*, user, week):
        if not getattr(local, "waited", False):
            local.waited = True
            both_read.wait()
        return real_claim(user=user, week=week)

    monkeypatch.setattr(services, "newsletter_delivery_claim", claim_after_both_read)
    results, errors = [], []

    def run() -> None:
        try:
            results.append(newsletter.newsletter_send_weekly(now=MONDAY))
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sum(result["sent"] for result in results) == len(readers)
    assert sum(result["skipped"] for result in results) == len(readers)
    assert smtp_sink.recipients() == sorted(reader.email for reader in readers)
    assert NewsletterDelivery.objects.filter(status=NewsletterDelivery.Status.SENT).count() == len(readers)
    assert smtp_sink.sessions == 2  # one connection per run


def test_now_defaults_to_the_current_week(catalogue, mailoutbox):
    subscriber()
    assert newsletter.newsletter_send_weekly()["week"] == newsletter.iso_week(timezone.now())


# --- No silent loss: unknown deliveries ------------------------------------------------------

STALLED = "stalled@example.org"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def stalling_sink(settings):
    handler = StallingHandler(stalled_address=STALLED)
    with smtp_server_running(handler) as port:
        smtp_settings_use(settings, port)
        yield handler, port


def start_job_runner(port: int) -> subprocess.Popen:
    """``run_cron.py --once`` in its own process: the newsletter job runs inline in it, as in the
    embedded mode (a Celery worker runs the same function)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "EMAIL_URL": f"smtp://127.0.0.1:{port}",
        **child_database_env(),
    }
    return subprocess.Popen(
        [sys.executable, "run_cron.py", "--once"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def resender(**kwargs) -> User:
    """Staff who may look at the deliveries and send unknown ones again."""
    user = UserFactory(is_staff=True, **kwargs)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="shop", codename__in=["view_newsletterdelivery", "resend_newsletterdelivery"]
        )
    )
    return User.objects.get(pk=user.pk)  # a fresh object: permissions are cached per instance


def unknown_delivery(user: User, week: str = "2026-W48") -> NewsletterDelivery:
    return NewsletterDelivery.objects.create(user=user, week=week, status=NewsletterDelivery.Status.UNKNOWN)


def changelist_action(client, deliveries: list[NewsletterDelivery]):
    return client.post(
        reverse("admin:shop_newsletterdelivery_changelist"),
        {"action": "send_unknown_again", ACTION_CHECKBOX_NAME: [delivery.pk for delivery in deliveries]},
        follow=True,
    )


@pytest.mark.django_db(transaction=True)
def test_a_job_killed_mid_conversation_leaves_an_unknown_delivery_that_only_staff_send_again(
    catalogue, stalling_sink, settings, client
):
    sink, port = stalling_sink
    readers = [
        subscriber(email="first@example.org"),
        subscriber(email="second@example.org"),
        subscriber(email=STALLED),
        *[subscriber(email=f"later{number}@example.org") for number in range(3)],
    ]

    runner = start_job_runner(port)
    try:
        assert sink.stalled.wait(timeout=60), runner.communicate(timeout=5)[0] if runner.poll() is not None else ""
        os.kill(runner.pid, signal.SIGKILL)
        runner.wait(timeout=30)
    finally:
        if runner.poll() is None:
            runner.kill()
    sink.release.set()
    in_flight = NewsletterDelivery.objects.get(user__email=STALLED)
    assert in_flight.status == NewsletterDelivery.Status.SENDING
    assert sink.recipients() == ["first@example.org", "second@example.org"]

    # While the lease lasts the runner might still be alive: nothing is decided about it, but the
    # subscribers it never reached get this week's newsletter.
    early = jobs.run_job("shop.send_weekly_newsletter")
    in_flight.refresh_from_db()
    assert (early["sent"], early["unknown"], in_flight.status) == (3, 0, NewsletterDelivery.Status.SENDING)

    settings.SHOP_NEWSLETTER_LEASE_SECONDS = 1
    time.sleep(1.2)
    recovered = jobs.run_job("shop.send_weekly_newsletter")

    in_flight.refresh_from_db()
    assert (recovered["sent"], recovered["unknown"]) == (0, 1)
    assert in_flight.status == NewsletterDelivery.Status.UNKNOWN
    week = in_flight.week
    assert selectors.newsletter_status_counts(week=week) == {
        "sending": 0,
        "sent": 5,
        "failed": 0,
        "skipped": 0,
        "unknown": 1,
    }
    event = AuditEvent.objects.get(action="shop.newsletter_deliveries_unknown")
    assert event.details == {"deliveries": 1, "weeks": [week]}
    arrived = sink.recipients()
    assert STALLED not in arrived  # never re-sent by itself: at most once
    assert arrived == sorted(reader.email for reader in readers if reader.email != STALLED)
    again = jobs.run_job("shop.send_weekly_newsletter")
    assert again["sent"] == again["unknown"] == 0
    assert sink.recipients() == arrived

    # The admin shows it; staff choose to send it again (everything is selected: only the
    # unknown one goes).
    client.force_login(resender())
    page = client.get(reverse("admin:shop_newsletterdelivery_changelist"), {"week__exact": week})
    assert "unknown (1)" in page.content.decode()
    response = changelist_action(client, list(NewsletterDelivery.objects.all()))

    assert "1 unknown delivery will be sent again." in response.content.decode()
    in_flight.refresh_from_db()
    assert sorted(sink.recipients()) == sorted([*arrived, STALLED])  # exactly the unknown one, once
    assert (in_flight.status, in_flight.tries) == (NewsletterDelivery.Status.SENT, 2)
    assert selectors.newsletter_status_counts(week=week)["sent"] == 6
    assert AuditEvent.objects.get(action="shop.newsletter_unknown_resent").details == {"deliveries": [in_flight.pk]}


def test_a_delivery_in_flight_past_the_lease_becomes_unknown_and_its_late_answer_is_not_applied(db, settings):
    delivery = services.newsletter_delivery_claim(user=subscriber(), week="2026-W48")
    assert services.newsletter_deliveries_recover() == 0  # still within the lease

    later = timezone.now() + timedelta(seconds=settings.SHOP_NEWSLETTER_LEASE_SECONDS + 1)
    assert services.newsletter_deliveries_recover(now=later) == 1
    services.newsletter_delivery_record(delivery=delivery, ok=True, response="250 accepted")

    delivery.refresh_from_db()
    assert (delivery.status, delivery.response) == (NewsletterDelivery.Status.UNKNOWN, "")
    assert services.newsletter_deliveries_recover(now=later) == 0


def test_the_weekly_job_reports_unknown_deliveries_of_an_earlier_week(catalogue, mailoutbox):
    reader = subscriber()
    stuck = services.newsletter_delivery_claim(user=reader, week="2026-W47")
    NewsletterDelivery.objects.filter(pk=stuck.pk).update(attempted_at=timezone.now() - timedelta(hours=1))

    result = newsletter.newsletter_send_weekly(now=MONDAY)

    stuck.refresh_from_db()
    assert (result["sent"], result["unknown"]) == (1, 1)
    assert stuck.status == NewsletterDelivery.Status.UNKNOWN
    assert [message.to for message in mailoutbox] == [[reader.email]]  # this week's, not last week's again


def test_sending_unknown_again_needs_the_permission_and_changes_nothing_without_it(
    catalogue, mailoutbox, django_capture_on_commit_callbacks
):
    delivery = unknown_delivery(subscriber())
    staff = UserFactory(is_staff=True)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(PermissionDenied):
        services.newsletter_unknown_resend(actor=staff, deliveries=NewsletterDelivery.objects.all())

    delivery.refresh_from_db()
    assert (delivery.status, delivery.tries) == (NewsletterDelivery.Status.UNKNOWN, 1)
    assert mailoutbox == []
    assert not AuditEvent.objects.filter(action="shop.newsletter_unknown_resent").exists()


def test_staff_without_the_permission_do_not_get_the_admin_action(client, catalogue, mailoutbox):
    delivery = unknown_delivery(subscriber())
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_newsletterdelivery"))
    client.force_login(viewer)

    page = client.get(reverse("admin:shop_newsletterdelivery_changelist"))
    assert page.status_code == 200
    assert "send_unknown_again" not in page.content.decode()
    changelist_action(client, [delivery])

    delivery.refresh_from_db()
    assert delivery.status == NewsletterDelivery.Status.UNKNOWN
    assert mailoutbox == []


def test_only_unknown_deliveries_are_sent_again_and_a_reader_who_unsubscribed_is_skipped(
    catalogue, mailoutbox, django_capture_on_commit_callbacks
):
    still_subscribed, gone = subscriber(), subscriber()
    unknown, left = unknown_delivery(still_subscribed), unknown_delivery(gone)
    sent = NewsletterDelivery.objects.create(user=subscriber(), week="2026-W48", status=NewsletterDelivery.Status.SENT)
    services.newsletter_unsubscribe(user=gone)

    with django_capture_on_commit_callbacks(execute=True):
        count = services.newsletter_unknown_resend(actor=resender(), deliveries=NewsletterDelivery.objects.all())

    assert count == 2
    assert [message.to for message in mailoutbox] == [[still_subscribed.email]]
    statuses = dict(NewsletterDelivery.objects.values_list("pk", "status"))
    assert statuses == {
        unknown.pk: NewsletterDelivery.Status.SENT,
        left.pk: NewsletterDelivery.Status.SKIPPED,
        sent.pk: NewsletterDelivery.Status.SENT,
    }
    # A task delivered twice sends nothing twice.
    assert newsletter.unknown_deliveries_resend(delivery_ids=[unknown.pk, left.pk]) == {
        "sent": 0,
        "failed": 0,
        "skipped": 0,
    }
    assert len(mailoutbox) == 1
