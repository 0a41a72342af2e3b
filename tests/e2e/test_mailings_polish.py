"""Mailings polish in a real browser (issue #12, points 6 and 7): stop → stopped → resume, delete a
stopped mailing, "Send now" asks first, the home's own numbers (platform totals for managers only),
the unsubscribe page's confirm and undo; every page at 1280 px and at 390 px."""

from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from mailings import sending, services
from mailings.models import Mailing, MailingRun, Unsubscribe
from tests.e2e.helpers import DESKTOP, PHONE, fits_width
from tests.factories import UserFactory
from tests.mailings.factories import ClientFactory, MailingFactory, MailMessageFactory

pytestmark = pytest.mark.e2e


def test_stop_resume_delete_and_send_now_confirm(page, server_url, shot, console_errors, log_in, monkeypatch):
    queued: list[int] = []
    monkeypatch.setattr(services, "send_run", SimpleNamespace(delay=queued.append))
    owner = UserFactory()
    message = MailMessageFactory(owner=owner, subject="Autumn newsletter with a rather long subject line")
    clients = [ClientFactory(owner=owner, full_name=f"Client {number}") for number in range(3)]
    weekly = MailingFactory(
        owner=owner,
        message=message,
        periodicity=Mailing.Periodicity.WEEKLY,
        start_at=timezone.now() - timedelta(days=8),
        status=Mailing.Status.RUNNING,
        recipients=clients,
    )
    MailingRun.objects.create(mailing=weekly, scheduled_for=weekly.start_at, status=MailingRun.Status.FINISHED)
    log_in(owner)

    # Stop: the status says so, "Resume" and "Delete" appear, nothing is scheduled.
    page.goto(f"{server_url}/mailings/{weekly.pk}/")
    expect(page.locator("#mailing-status")).to_have_text("Running")
    expect(page.locator("#delete-mailing")).to_have_count(0)
    shot("01-detail-running")
    page.locator("#stop-mailing").click()
    expect(page.locator(".alert-info")).to_contain_text("The mailing is stopped.")
    expect(page.locator("#mailing-status")).to_have_text("Stopped")
    expect(page.locator("#stat-next")).to_have_text("—")
    expect(page.locator("#send-now")).to_have_count(0)
    shot("02-detail-stopped")
    page.set_viewport_size(PHONE)
    shot("03-detail-stopped-390")
    assert fits_width(page)
    page.set_viewport_size(DESKTOP)

    # Resume: running again, the next send a week after the last slot, from now on.
    page.locator("#resume-mailing").click()
    expect(page.locator(".alert-success")).to_contain_text("The mailing is resumed.")
    expect(page.locator("#mailing-status")).to_have_text("Running")
    weekly.refresh_from_db()
    assert weekly.status == Mailing.Status.RUNNING and weekly.next_send_at > timezone.now()
    assert weekly.next_send_at == weekly.start_at + timedelta(weeks=2)

    # "Send now" asks first; Cancel sends nothing, "Yes" starts the run.
    page.locator("#send-now").click()
    expect(page.locator("#send-now-confirm")).to_contain_text("goes to 3 clients right now")
    shot("04-send-now-confirm")
    page.set_viewport_size(PHONE)
    shot("05-send-now-confirm-390")
    assert fits_width(page)
    page.set_viewport_size(DESKTOP)
    page.locator("#send-now-cancel").click()
    expect(page.locator("#mailing-status")).to_have_text("Running")
    assert queued == []
    page.locator("#send-now").click()
    page.locator("#send-now-yes").click()
    expect(page.locator(".alert-success")).to_contain_text("Sending has started.")
    assert len(queued) == 1

    # Stop again, then delete the stopped mailing.
    page.goto(f"{server_url}/mailings/{weekly.pk}/")
    page.locator("#stop-mailing").click()
    expect(page.locator("#mailing-status")).to_have_text("Stopped")
    page.goto(f"{server_url}/mailings/list/")
    expect(page.locator("#mailing-table")).to_contain_text("Stopped")
    shot("06-list-with-a-stopped-mailing")
    page.set_viewport_size(PHONE)
    shot("07-list-390")
    assert fits_width(page)
    page.set_viewport_size(DESKTOP)
    page.goto(f"{server_url}/mailings/{weekly.pk}/")
    page.locator("#delete-mailing").click()
    expect(page.locator(".alert-info")).to_contain_text("The mailing is deleted.")
    assert not Mailing.objects.filter(pk=weekly.pk).exists()

    assert console_errors == []


def test_home_shows_own_numbers_and_platform_totals_to_managers_only(
    page, server_url, shot, console_errors, log_in, other_page
):
    owner, other = UserFactory(), UserFactory()
    mine = [ClientFactory(owner=owner, email=f"mine{number}@example.org") for number in range(2)]
    MailingFactory(owner=owner, status=Mailing.Status.RUNNING, recipients=mine)
    MailingFactory(owner=owner, status=Mailing.Status.CREATED, recipients=mine[:1])
    theirs = [ClientFactory(owner=other, email="mine0@example.org"), ClientFactory(owner=other)]
    MailingFactory(owner=other, status=Mailing.Status.RUNNING, recipients=theirs)
    manager = UserFactory(roles=["manager"])

    log_in(owner)
    page.goto(f"{server_url}/mailings/")
    expect(page.locator("#stat-mailings")).to_have_text("2")
    expect(page.locator("#stat-active")).to_have_text("1")
    expect(page.locator("#stat-clients")).to_have_text("2")
    expect(page.locator("#platform-stats")).to_have_count(0)
    shot("01-home-owner")
    page.set_viewport_size(PHONE)
    shot("02-home-owner-390")
    assert fits_width(page)

    boss = other_page(manager, "manager")
    boss.goto(f"{server_url}/mailings/")
    expect(boss.locator("#stat-mailings")).to_have_text("0")
    expect(boss.get_by_text("Whole platform (managers only)")).to_be_visible()
    expect(boss.locator("#platform-mailings")).to_have_text("3")
    expect(boss.locator("#platform-active")).to_have_text("2")
    expect(boss.locator("#platform-clients")).to_have_text("3")
    shot("03-home-manager", of=boss)
    boss.set_viewport_size(PHONE)
    shot("04-home-manager-390", of=boss)
    assert fits_width(boss)

    assert console_errors == []


def test_unsubscribe_page_asks_then_confirms_and_undoes(page, server_url, shot, console_errors):
    owner = UserFactory()
    address = "a.very.long.address.of.the.reader@example-subscriber-domain.org"
    path = urlsplit(sending.unsubscribe_url(owner_id=owner.pk, email=address)).path

    page.goto(f"{server_url}{path}")
    expect(page.locator("#unsubscribe-question")).to_have_text("Receive no more emails from this sender?")
    expect(page.locator("#unsubscribe-email")).to_have_text(address)
    assert not Unsubscribe.objects.exists()  # opening the page changes nothing
    shot("01-asks")
    page.set_viewport_size(PHONE)
    shot("02-asks-390")
    assert fits_width(page)
    page.set_viewport_size(DESKTOP)

    page.locator("#unsubscribe-confirm").click()
    expect(page.locator("h1")).to_have_text("You are unsubscribed")
    expect(page.locator("#unsubscribe-done")).to_contain_text(address)
    assert list(Unsubscribe.objects.values_list("email", flat=True)) == [address]
    shot("03-unsubscribed")
    page.set_viewport_size(PHONE)
    shot("04-unsubscribed-390")
    assert fits_width(page)

    page.locator("#unsubscribe-undo").click()
    expect(page.locator("h1")).to_have_text("You are subscribed again")
    assert not Unsubscribe.objects.exists()
    shot("05-subscribed-again-390")

    assert console_errors == []
