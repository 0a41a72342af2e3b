"""The unsubscribe page of the mailings: safe from link scanners (GET changes nothing), a confirm
button and an undo (POST, CSRF-checked), and the mail clients' RFC 8058 one-click POST."""

from urllib.parse import urlsplit

import pytest
from django.core.mail import get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPEmailBackend
from django.test import Client as BrowserClient

from core.models import AuditEvent
from mailings import sending, services
from mailings.models import Unsubscribe
from tests.factories import UserFactory
from tests.mailings.factories import ClientFactory, MailingFactory


def _path(owner_id: int, email: str) -> str:
    return urlsplit(sending.unsubscribe_url(owner_id=owner_id, email=email)).path


@pytest.fixture
def owner(db):
    return UserFactory()


@pytest.fixture
def browser() -> BrowserClient:
    """A visitor's browser that sends CSRF tokens only when a page gave it one."""
    return BrowserClient(enforce_csrf_checks=True)


def _csrf(browser: BrowserClient, path: str) -> str:
    browser.get(path)
    return browser.cookies["csrftoken"].value


def test_opening_the_link_asks_and_changes_nothing(owner, browser):
    """A link scanner (or a preview) that GETs every link in the email unsubscribes nobody."""
    path = _path(owner.pk, "Ann@Example.org")

    responses = [browser.get(path), browser.get(path), browser.head(path)]

    assert [response.status_code for response in responses] == [200, 200, 200]
    content = responses[0].content.decode()
    assert 'id="unsubscribe-question"' in content and "ann@example.org" in content
    assert 'id="unsubscribe-confirm"' in content and 'method="post"' in content
    assert not Unsubscribe.objects.exists()
    assert not AuditEvent.objects.filter(action="mailings.unsubscribed").exists()


def test_the_confirm_button_unsubscribes_and_offers_an_undo_that_subscribes_again(owner, browser):
    path = _path(owner.pk, "ann@example.org")
    token = _csrf(browser, path)

    done = browser.post(path, {"action": "unsubscribe", "csrfmiddlewaretoken": token})

    assert done.status_code == 200
    assert 'id="unsubscribe-done"' in done.content.decode() and 'id="unsubscribe-undo"' in done.content.decode()
    assert list(Unsubscribe.objects.values_list("owner", "email")) == [(owner.pk, "ann@example.org")]
    assert 'id="unsubscribe-undo"' in browser.get(path).content.decode()  # the page knows, on a later visit

    undone = browser.post(path, {"action": "resubscribe", "csrfmiddlewaretoken": token})

    assert undone.status_code == 200
    assert 'id="unsubscribe-undone"' in undone.content.decode()
    assert not Unsubscribe.objects.exists()
    actions = AuditEvent.objects.filter(action__startswith="mailings.").values_list("action", flat=True)
    assert sorted(actions) == ["mailings.resubscribed", "mailings.unsubscribed"]
    # The undo twice changes nothing more.
    assert browser.post(path, {"action": "resubscribe", "csrfmiddlewaretoken": token}).status_code == 200
    assert AuditEvent.objects.filter(action="mailings.resubscribed").count() == 1


def test_an_unsubscribed_reader_is_sent_again_after_the_undo(smtp_sink, owner):
    mailing = MailingFactory(owner=owner, recipients=[ClientFactory(owner=owner, email="ann@example.org")])
    ann = mailing.clients.get()
    token = sending.unsubscribe_token(owner_id=mailing.owner_id, email=ann.email)
    sending.unsubscribe(token=token)
    assert services.unsubscribe_undo(token=token) is True

    sending.send_due_mailings()

    assert [arrival.recipients for arrival in smtp_sink.arrivals] == [["ann@example.org"]]


@pytest.mark.parametrize("action", ["unsubscribe", "resubscribe"])
def test_the_buttons_need_the_csrf_token_and_change_nothing_without_it(owner, browser, action):
    path = _path(owner.pk, "ann@example.org")
    if action == "resubscribe":
        Unsubscribe.objects.create(owner=owner, email="ann@example.org")
    before = list(Unsubscribe.objects.values_list("owner", "email"))

    response = browser.post(path, {"action": action})

    assert response.status_code == 403
    assert list(Unsubscribe.objects.values_list("owner", "email")) == before


def test_an_unknown_action_is_refused_with_a_message_and_changes_nothing(owner, browser):
    path = _path(owner.pk, "ann@example.org")

    response = browser.post(path, {"action": "delete-everything", "csrfmiddlewaretoken": _csrf(browser, path)})

    assert response.status_code == 400
    assert 'id="unsubscribe-error"' in response.content.decode()
    assert not Unsubscribe.objects.exists()


def test_one_click_post_of_the_mail_client_unsubscribes_without_csrf_and_answers_200(owner, browser):
    path = _path(owner.pk, "ann@example.org")

    response = browser.post(path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")

    assert response.status_code == 200
    assert Unsubscribe.objects.filter(owner=owner, email="ann@example.org").exists()


def test_a_post_with_another_body_is_not_taken_for_one_click(owner, browser):
    response = browser.post(_path(owner.pk, "ann@example.org"), {"List-Unsubscribe": "Yes"})

    assert response.status_code == 403  # an ordinary form POST, without its CSRF token
    assert not Unsubscribe.objects.exists()


def test_a_tampered_link_answers_400_on_every_method(owner, browser):
    path = _path(owner.pk, "ann@example.org")
    token = path.rstrip("/").rsplit("/", 1)[1]
    bad = path.replace(token, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))

    answers = [browser.get(bad), browser.post(bad, {"List-Unsubscribe": "One-Click"})]

    assert [answer.status_code for answer in answers] == [400, 400]
    assert 'id="unsubscribe-invalid"' in answers[0].content.decode()
    assert not Unsubscribe.objects.exists()


@pytest.mark.parametrize("fast", [True, False], ids=["built-from-the-run-template", "built-by-django"])
def test_both_ways_of_building_the_email_carry_one_click_headers_that_work(owner, browser, fast):
    mailing = MailingFactory(owner=owner, recipients=[ClientFactory(owner=owner, email="ann@example.org")])
    ann = mailing.clients.get()
    # The run's template is used over Django's own SMTP backend only; any other backend gets
    # the email Django builds.
    connection = SMTPEmailBackend() if fast else get_connection("django.core.mail.backends.locmem.EmailBackend")

    email = sending.build_email(mailing=mailing, client=ann, connection=connection)

    if fast:
        assert isinstance(email, sending.RawEmail)
        head = email.data.split(b"\r\n\r\n", 1)[0].decode()
        unfolded = head.replace("\r\n ", " ")
        header = unfolded.split("List-Unsubscribe: ", 1)[1].split("\r\n", 1)[0].strip()
        assert "\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in head + "\r\n"
    else:
        assert not isinstance(email, sending.RawEmail)
        header = email.extra_headers["List-Unsubscribe"]
        assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = header.strip("<>")
    assert url == sending.unsubscribe_url(owner_id=owner.pk, email="ann@example.org")

    # What a mail client does with those headers (RFC 8058): POST the body to the URL, no cookie.
    response = browser.post(urlsplit(url).path, {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    assert Unsubscribe.objects.filter(owner=owner, email="ann@example.org").exists()
