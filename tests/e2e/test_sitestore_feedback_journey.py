"""The store's feedback in real browsers: a buyer asks the FAQ bot (a known question, a Russian one, an
unknown one), hands the unknown one over to the developers, a developer answers in the admin and the
buyer reads the answer on the thread's page (and gets it by email)."""

import pytest
from playwright.sync_api import expect

from sitestore.faq_demo import faq_fill
from sitestore.models import Thread
from tests.factories import UserFactory
from tests.sitestore.factories import UserSiteFactory

pytestmark = pytest.mark.e2e


def ask(page, question: str) -> None:
    page.locator("#id_question").fill(question)
    page.locator("#bot-form button[type=submit]").click()


def test_bot_answers_hands_over_and_a_developer_answers_in_the_admin(
    page, server_url, log_in, other_page, shot, console_errors, mailoutbox, settings
):
    settings.SITESTORE_DEVELOPERS_EMAIL = ["developers@example.com"]
    faq_fill()
    buyer = UserFactory(username="vera", first_name="Vera", email="vera@example.com")
    UserSiteFactory(owner=buyer, name="News (1)")
    developer = UserFactory(username="dev", is_staff=True, is_superuser=True)
    log_in(buyer)

    page.goto(f"{server_url}/sites/feedback/")
    expect(page.locator("#no-conversation")).to_be_visible()
    ask(page, "How can I download my site?")
    known = page.locator(".bot-exchange").last
    expect(known.locator(".bot-answer")).to_contain_text("Download (.zip)")
    expect(known.locator(".ask-developers")).to_have_count(0)

    ask(page, "хочу скачать сайты архивом")
    expect(page.locator(".bot-exchange").last.locator(".bot-answer")).to_contain_text("zip-архив")

    ask(page, "Can you host my site on my own domain?")
    unknown = page.locator(".bot-exchange").last
    expect(unknown.locator(".bot-answer")).to_contain_text("not sure")
    expect(page.locator(".bot-exchange")).to_have_count(3)
    shot("01-bot-conversation")

    unknown.locator(".ask-developers").click()
    expect(page.locator("#id_text")).to_have_value("Can you host my site on my own domain?")
    page.locator("#id_site").select_option(label="News (1)")
    shot("02-ask-the-developers")
    page.locator("#thread-form button[type=submit]").click()
    expect(page.locator("#thread-subject")).to_contain_text("News (1): Can you host my site on my own domain?")
    thread = Thread.objects.get(user=buyer)
    assert [email.to for email in mailoutbox] == [["developers@example.com"]]

    # The admin has no favicon of its own (a 404 in its console that is not ours to judge here).
    admin = other_page(developer, "developer", watch_console=False)
    admin.goto(f"{server_url}/admin/sitestore/thread/{thread.pk}/change/")
    expect(admin.locator("body")).to_contain_text("Can you host my site on my own domain?")
    admin.locator("#id_answer").fill("Yes: download the zip and upload it to your hosting.")
    shot("03-developer-answers", of=admin)
    admin.locator("input[name=_save]").click()
    expect(admin.locator(".messagelist")).to_contain_text("The answer is sent to vera")

    page.reload()
    expect(page.locator(".thread-message").last).to_contain_text("Yes: download the zip")
    expect(page.locator(".thread-status")).to_contain_text("Answered")
    shot("04-buyer-reads-the-answer")
    assert mailoutbox[-1].to == ["vera@example.com"]
    assert "Yes: download the zip" in mailoutbox[-1].body
    assert console_errors == []
