"""Mailings in a real browser: a user adds clients (by hand and from CSV), writes a message, creates a
mailing, sends it now and watches the progress; the emails arrive once each and unsubscribe in one
click (the link's page asks first). A blog manager publishes an article that then appears on the
section's (cached) home page."""

import re
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from mailings import services
from mailings.models import Attempt, Client, Mailing, Unsubscribe
from mailings.tasks import send_run
from tests.blog.factories import ArticleFactory
from tests.factories import PASSWORD, UserFactory
from tests.mailings.factories import ClientFactory, MailingFactory

pytestmark = pytest.mark.e2e

BODY = "Hello!\n\nOur spring sale starts on Monday: everything in the studio is 20 % off for a week."
UNSUBSCRIBE_LINK = re.compile(r"https?://\S+/mailings/unsubscribe/[^/\s]+/")


def wall_clock(moment) -> str:
    """A ``datetime-local`` value: ``moment`` as Moscow's wall clock (the form's default zone)."""
    return moment.astimezone(ZoneInfo("Europe/Moscow")).strftime("%Y-%m-%dT%H:%M")


def add_client(page, email: str, full_name: str, comment: str = "") -> None:
    page.get_by_role("link", name="Add client").first.click()
    expect(page.locator("h1")).to_have_text("New client")
    page.locator("#id_email").fill(email)
    page.locator("#id_full_name").fill(full_name)
    page.locator("#id_comment").fill(comment)
    page.locator("#object-form button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text("The client is saved.")


def test_clients_message_mailing_send_now_progress_statistics_and_unsubscribe(
    page, server_url, shot, console_errors, mailoutbox, tmp_path, monkeypatch
):
    # "Send now" queues the run for a worker; the test plays the worker, so the page is seen at 0 % first.
    queued: list[int] = []
    monkeypatch.setattr(services, "send_run", SimpleNamespace(delay=queued.append))
    user = UserFactory(first_name="Anna", last_name="Petrova")
    stranger = UserFactory()
    ClientFactory(owner=stranger, email="someone.else@example.org")  # never offered to Anna

    # Log in with the form; the login leads on to the dashboard, still empty.
    page.goto(f"{server_url}/mailings/dashboard/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    page.locator("#id_login").fill(user.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    expect(page).to_have_url(f"{server_url}/mailings/dashboard/")
    expect(page.locator("h1")).to_have_text("My dashboard")
    shot("01-empty-dashboard")

    # Two clients through the form.
    page.goto(f"{server_url}/mailings/clients/")
    expect(page.locator("#no-clients")).to_be_visible()
    add_client(page, "ivan@example.org", "Ivan Sidorov", "Met at the spring fair")
    add_client(page, "maria@example.org", "Maria Kuznetsova")
    expect(page.locator("#client-table tbody tr")).to_have_count(2)
    shot("02-two-clients")

    # A third from a CSV file. The import is all or nothing: a bad row imports nothing and is named by
    # its line number; the corrected file then imports.
    csv_file = tmp_path / "clients.csv"
    csv_file.write_text(
        "email,full name,comment\nolga@example.org,Olga Smirnova,From the newsletter form\nnot-an-email,Broken Row,\n",
        encoding="utf-8",
    )
    page.locator("#import-form input[type=file]").set_input_files(csv_file)
    page.locator("#import-form button[type=submit]").click()
    expect(page).to_have_url(f"{server_url}/mailings/clients/import/")  # the refused upload's page
    expect(page.locator("#import-errors")).to_have_count(1)  # one alert for the whole file
    expect(page.locator("#import-errors")).to_contain_text("Line 3:")
    expect(page.locator(".alert-success")).to_have_count(0)
    expect(page.locator("#client-table tbody tr")).to_have_count(2)
    shot("03-csv-refused")
    csv_file.write_text(
        "email,full name,comment\nolga@example.org,Olga Smirnova,From the newsletter form\n", encoding="utf-8"
    )
    page.locator("#import-form input[type=file]").set_input_files(csv_file)
    page.locator("#import-form button[type=submit]").click()
    expect(page).to_have_url(f"{server_url}/mailings/clients/")
    expect(page.locator(".alert-success")).to_contain_text("1 client imported.")
    rows = page.locator("#client-table tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.locator("td:nth-child(2)")).to_have_text(["ivan@example.org", "maria@example.org", "olga@example.org"])
    shot("03b-csv-imported")
    assert sorted(Client.objects.filter(owner=user).values_list("email", flat=True)) == [
        "ivan@example.org",
        "maria@example.org",
        "olga@example.org",
    ]

    # A message.
    page.goto(f"{server_url}/mailings/messages/new/")
    page.locator("#id_subject").fill("Spring sale")
    page.locator("#id_body").fill(BODY)
    shot("04-message-form")
    page.locator("#object-form button[type=submit]").click()
    expect(page.locator(".alert-success")).to_be_visible()

    # The mailing: once, first send in two days (the scheduler leaves it alone), to all clients.
    page.goto(f"{server_url}/mailings/new/")
    expect(page.locator("h1")).to_have_text("New mailing")
    expect(page).to_have_title("New mailing · Agora")
    page.locator("#id_message").select_option(label="Spring sale")
    boxes = page.locator("#id_clients input[type=checkbox]")
    expect(boxes).to_have_count(3)  # the stranger's client is not offered
    expect(page.locator("#id_clients")).not_to_contain_text("someone.else@example.org")
    all_clients = page.locator("#clients-all")
    expect(all_clients).to_be_visible()
    all_clients.check()
    for index in range(3):
        expect(boxes.nth(index)).to_be_checked()
    first_send = timezone.now() + timedelta(days=2)
    page.locator("#id_start_at").fill(wall_clock(first_send))
    page.locator("#id_end_at").fill(wall_clock(first_send + timedelta(days=1)))
    page.locator("#id_periodicity").select_option("once")
    expect(page.locator("#id_time_zone")).to_have_value("Europe/Moscow")
    expect(page.locator("#id_is_active")).to_be_checked()
    shot("05-mailing-form")
    page.locator("#object-form button[type=submit]").click()

    mailing = Mailing.objects.get(owner=user)
    expect(page).to_have_url(f"{server_url}/mailings/{mailing.pk}/")
    expect(page.locator(".alert-success")).to_contain_text("The mailing is saved.")
    expect(page.locator("h1")).to_have_text("Spring sale")
    expect(page.locator("#mailing-status")).to_have_text("Created")
    expect(page.locator("#stat-sent")).to_have_text("0")
    expect(page.locator("#mailing-facts")).to_contain_text("3")
    assert mailing.periodicity == Mailing.Periodicity.ONCE and mailing.clients.count() == 3
    assert abs(mailing.start_at - first_send) < timedelta(minutes=1)
    assert mailoutbox == []
    shot("06-mailing-created")

    # Send now: the run page shows the progress bar at 0 % while the run waits for the worker…
    page.locator("#send-now").click()
    expect(page.locator("#send-now-confirm")).to_contain_text("goes to 3 clients right now")
    assert queued == []  # asking sends nothing
    page.locator("#send-now-yes").click()
    expect(page).to_have_url(re.compile(r"/mailings/runs/\d+/$"))
    expect(page.locator(".alert-success")).to_contain_text("Sending has started.")
    progress = page.locator("#run-progress")
    expect(progress).to_be_visible()
    expect(progress).to_have_attribute("data-finished", "0")
    expect(progress).to_have_attribute("aria-valuenow", "0")
    expect(page.locator('#run-counts [data-count="total"]')).to_have_text("3")
    expect(page.locator("#no-attempts")).to_be_visible()
    shot("07-run-waiting")
    assert len(queued) == 1 and mailoutbox == []
    run_id = queued[0]
    assert page.url == f"{server_url}/mailings/runs/{run_id}/"

    # …then the worker sends; the page's polling sees 100 % and reloads with the deliveries.
    send_run(run_id)
    expect(progress).to_have_attribute("data-finished", "1", timeout=15_000)  # only a reload sets it
    expect(progress).to_have_attribute("aria-valuenow", "100")
    expect(progress.locator(".progress-bar")).to_have_text("100%")
    expect(page.locator('#run-counts [data-count="sent"]')).to_have_text("3")
    expect(page.locator('#run-counts [data-count="failed"]')).to_have_text("0")
    expect(page.locator('#run-counts [data-count="total"]')).to_have_text("3")
    expect(page.locator("#run-attempts tbody tr")).to_have_count(3)
    shot("08-run-finished")

    # Exactly one email per client, each with its own unsubscribe link.
    assert len(mailoutbox) == 3  # sent by the "worker" above, in this thread
    assert sorted(address for email in mailoutbox for address in email.to) == [
        "ivan@example.org",
        "maria@example.org",
        "olga@example.org",
    ]
    links = {}
    for email in mailoutbox:
        assert email.subject == "Spring sale"
        assert "spring sale starts on Monday" in email.body
        found = UNSUBSCRIBE_LINK.findall(email.body)
        assert len(found) == 1, email.body
        assert found[0] in email.alternatives[0][0]
        assert email.extra_headers["List-Unsubscribe"] == f"<{found[0]}>"
        links[email.to[0]] = found[0]
    assert len(set(links.values())) == 3
    assert Attempt.objects.filter(run__mailing=mailing, status=Attempt.Status.SUCCESS).count() == 3

    # Back on the mailing page: the statistics count three sent.
    page.get_by_role("link", name="Back to the mailing").click()
    expect(page).to_have_url(f"{server_url}/mailings/{mailing.pk}/")
    expect(page.locator("#stat-sent")).to_have_text("3")
    expect(page.locator("#stat-failed")).to_have_text("0")
    expect(page.locator("#run-table tbody tr")).to_have_count(1)
    expect(page.locator("#run-table tbody tr")).to_contain_text("by hand")
    expect(page.locator("#attempt-table tbody tr")).to_have_count(3)
    shot("09-mailing-statistics")

    # Maria follows her link (it names the configured site; the path is what matters here).
    path = urlsplit(links["maria@example.org"]).path
    visitor = page.context.browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    try:
        maria = visitor.new_page()
        maria.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
        maria.on("pageerror", lambda error: console_errors.append(str(error)))
        maria.goto(f"{server_url}{path}")
        expect(maria.locator("#unsubscribe-question")).to_be_visible()
        assert not Unsubscribe.objects.exists()  # opening the link only asks
        maria.locator("#unsubscribe-confirm").click()
        expect(maria.locator("h1")).to_have_text("You are unsubscribed")
        expect(maria.locator("#unsubscribe-done")).to_contain_text("maria@example.org")
        shot("10-unsubscribed", of=maria)
    finally:
        visitor.close()
    assert list(Unsubscribe.objects.filter(owner=user).values_list("email", flat=True)) == ["maria@example.org"]
    assert len(mailoutbox) == 3

    assert console_errors == []


def test_a_blog_manager_publishes_an_article_that_appears_on_the_mailings_home(
    page, server_url, shot, console_errors, log_in
):
    # Numbers: 4 mailings, 2 of them active (running and not stopped); 3 unique client emails.
    owner, other = UserFactory(), UserFactory()
    shared = ClientFactory(owner=owner, email="shared@example.org")
    only_owner = ClientFactory(owner=owner, email="only.owner@example.org")
    MailingFactory(owner=owner, status=Mailing.Status.RUNNING, recipients=[shared, only_owner])
    MailingFactory(owner=owner, status=Mailing.Status.RUNNING, is_active=False, recipients=[shared])
    MailingFactory(owner=owner, status=Mailing.Status.CREATED, recipients=[only_owner])
    same_person = ClientFactory(owner=other, email="Shared@Example.org")  # the same address, other owner
    only_other = ClientFactory(owner=other, email="only.other@example.org")
    MailingFactory(owner=other, status=Mailing.Status.RUNNING, recipients=[same_person, only_other])
    ArticleFactory(draft=True, title="An old draft")  # drafts never reach the home page

    # The home page, visited before the article exists, is cached without it. A manager sees the
    # platform's totals.
    manager = UserFactory(roles=["manager"])
    log_in(manager)
    page.goto(f"{server_url}/mailings/")
    expect(page.locator("h1")).to_have_text("Mailings")
    expect(page.locator("#platform-mailings")).to_have_text("4")
    expect(page.locator("#platform-active")).to_have_text("2")
    expect(page.locator("#platform-clients")).to_have_text("3")
    expect(page.locator("#home-articles")).to_have_count(0)
    shot("01-home-without-articles")

    # A blog manager writes the article and publishes it from the form.
    writer = UserFactory(roles=["blog_manager"], first_name="Ivan", last_name="Sidorov")
    log_in(writer)
    page.goto(f"{server_url}/blog/new/")
    expect(page.locator("h1")).to_have_text("New article")
    page.locator("#id_title").fill("Five subject lines that get opened")
    page.locator("#id_body").fill(
        "Short, concrete and personal: what our spring campaigns taught us about subject lines.\n\n"
        "1. Name the benefit. 2. Keep it under fifty characters. 3. Test two versions."
    )
    page.locator("#id_is_published").check()
    shot("02-article-form")
    page.locator("#article-form button[type=submit]").click()
    expect(page).to_have_url(f"{server_url}/blog/five-subject-lines-that-get-opened/")
    expect(page.locator("#article-status")).to_have_count(0)
    expect(page.locator("#unpublish-button")).to_be_visible()
    shot("03-article-published")

    # The home page now shows it (publishing invalidated the cached pool), and the same numbers.
    log_in(manager)
    page.goto(f"{server_url}/mailings/")
    cards = page.locator("#home-articles .card")
    expect(cards).to_have_count(1)
    expect(cards.get_by_role("link")).to_have_text("Five subject lines that get opened")
    expect(cards).to_contain_text("Short, concrete and personal")
    expect(page.locator("#home-articles")).not_to_contain_text("An old draft")
    expect(page.locator("#platform-mailings")).to_have_text("4")
    expect(page.locator("#platform-active")).to_have_text("2")
    expect(page.locator("#platform-clients")).to_have_text("3")
    shot("04-home-with-the-article")

    cards.get_by_role("link").click()
    expect(page).to_have_url(f"{server_url}/blog/five-subject-lines-that-get-opened/")
    expect(page.locator("#article-title")).to_have_text("Five subject lines that get opened")

    assert console_errors == []
