"""The sender at SMTP speed: each email is the run's template with the recipient's values put in
(byte for byte what Django builds), and each recipient costs one statement on PostgreSQL."""

import re
import threading

import pytest
from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.core.mail.message import sanitize_address
from django.db import connection
from django.utils import timezone

from mailings import sending
from mailings.models import Attempt, MailingRun
from tests.factories import UserFactory
from tests.mailings.factories import ClientFactory, MailingFactory, MailMessageFactory
from tests.smtp_sink import SinkHandler, smtp_server_running, smtp_settings_use

pytestmark = pytest.mark.django_db

TOKEN = "eyJvd25lciI6MSwiZW1haWwiOiJhbm5AZXhhbXBsZS5vcmcifQ:1xY6Nx:-36kPOIcsBSZIKGNt6Crd6fQ9PW2wuxHvkHlOsPtAME"
LINK = re.compile(r"https?://\S+/mailings/unsubscribe/[^/\s\"<>]+/")


def normalised(data: bytes) -> bytes:
    """The bytes without what differs between two builds of one email: date, id and MIME boundary."""
    data = re.sub(rb"\r\nDate: [^\r]+\r\n", b"\r\nDate: D\r\n", data)
    data = re.sub(rb"\r\nMessage-ID: [^\r]+\r\n", b"\r\nMessage-ID: M\r\n", data)
    return re.sub(rb"===============\d+==", b"BOUNDARY", data)


def smtp_backend():
    return get_connection("django.core.mail.backends.smtp.EmailBackend", fail_silently=False)


@pytest.mark.parametrize(
    ("subject", "body", "body_html", "address"),
    [
        ("News", "Hello,\nhere is our news.", "", "ann@example.org"),
        ("Früh\nlings-News", "Grüße – ü & <b>", "<p>Grüße</p>", "Ann.Lee+tag@Sub.Example-Mail.ORG"),
        ("A" * 150, "line\r\nother line\n.\n..starts with dots", "", "x_y-z@example.org"),
    ],
)
def test_the_email_from_the_run_template_is_byte_for_byte_what_django_builds(
    monkeypatch, subject, body, body_html, address
):
    monkeypatch.setattr(sending, "unsubscribe_token", lambda **kwargs: TOKEN)
    message = MailMessageFactory(subject=subject, body=body, body_html=body_html)
    client = ClientFactory(owner=message.owner, email=address)
    mailing = MailingFactory(owner=message.owner, message=message, recipients=[client])
    rendered = sending.mailing_render(mailing)

    raw = sending.build_email(mailing=mailing, client=client, connection=smtp_backend(), rendered=rendered)
    django = sending.build_email(
        mailing=mailing, client=client, connection=get_connection("django.core.mail.backends.locmem.EmailBackend")
    )

    assert isinstance(raw, sending.RawEmail)
    assert isinstance(django, EmailMultiAlternatives)
    assert normalised(raw.data) == normalised(django.message().as_bytes(linesep="\r\n"))
    assert raw.sender == sanitize_address(django.from_email, "utf-8")
    assert raw.to == [sanitize_address(address, "utf-8")]
    link = sending.unsubscribe_url(owner_id=mailing.owner_id, email=address)
    assert f"<{link}>".encode() in raw.data


@pytest.mark.parametrize(
    "address",
    [
        "ann@exämple.org",  # the domain is IDNA-encoded by Django
        "a" * 70 + "@example.org",  # its To header is folded
        '"ann lee"@example.org',  # quoted
    ],
)
def test_an_address_django_writes_otherwise_is_built_by_django(address):
    client = ClientFactory(email=address)
    mailing = MailingFactory(owner=client.owner, recipients=[client])

    email = sending.build_email(
        mailing=mailing, client=client, connection=smtp_backend(), rendered=sending.mailing_render(mailing)
    )

    assert isinstance(email, EmailMultiAlternatives)


def test_a_run_over_smtp_builds_one_email_with_django_not_one_per_recipient(smtp_sink, monkeypatch):
    built = []
    real_message = EmailMessage.message

    def message(self):
        built.append(self.to)
        return real_message(self)

    monkeypatch.setattr(EmailMessage, "message", message)
    for recipients in (3, 6):
        built.clear()
        mailing = MailingFactory(recipients=recipients)
        run = sending.claim_due_run(mailing_id=mailing.pk, now=timezone.now())
        assert run is not None

        sending.run_execute(run_id=run.pk)

        assert len(built) == 1  # the run's template
        assert sorted(mailing.attempts.values_list("status", flat=True)) == ["success"] * recipients
    assert len(smtp_sink.arrivals) == 9


def test_what_the_template_cannot_hold_arrives_as_django_builds_it(smtp_sink):
    owner = UserFactory()
    long_line = "word " * 250  # over 998 characters: Django sends the parts quoted-printable
    message = MailMessageFactory(owner=owner, body=f"Hello,\n{long_line}\nbye")
    clients = [ClientFactory(owner=owner, email=address) for address in ("ann@example.org", "bob@exämple.org")]
    mailing = MailingFactory(owner=owner, message=message, recipients=clients)

    assert sending.mailing_render(mailing).template is None
    sending.send_due_mailings()

    assert sorted(mailing.attempts.values_list("status", flat=True)) == ["success", "success"]
    assert smtp_sink.recipients() == ["ann@example.org", "bob@xn--exmple-cua.org"]
    for arrival in smtp_sink.arrivals:
        text = arrival.message.get_body(("plain",)).get_content()
        assert long_line.strip() in text
        assert str(arrival.message["List-Unsubscribe"]).strip() == f"<{LINK.search(text).group(0)}>"


# --- PostgreSQL: one statement per recipient, outside any transaction ------------------------


def _run_in_production(recipients: int, monkeypatch: pytest.MonkeyPatch) -> tuple[list[tuple[str, bool]], int]:
    """The statements of one run (each with whether it ran inside a transaction) and the commits."""
    mailing = MailingFactory(recipients=recipients)
    run = sending.claim_due_run(mailing_id=mailing.pk, now=timezone.now())
    assert run is not None
    statements: list[tuple[str, bool]] = []
    commits = []

    def watch(execute, sql, params, many, context):
        statements.append((sql, connection.in_atomic_block))
        return execute(sql, params, many, context)

    real_commit = connection.commit

    def commit():
        commits.append(1)
        real_commit()

    monkeypatch.setattr(connection, "commit", commit)
    with connection.execute_wrapper(watch):
        sending.run_execute(run_id=run.pk)
    monkeypatch.undo()
    assert sorted(mailing.attempts.values_list("status", flat=True)) == ["success"] * recipients
    return statements, len(commits)


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="the combined statement is PostgreSQL's; elsewhere one transaction of three (test_sending)",
)
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_each_recipient_costs_one_statement_that_commits_on_its_own(smtp_sink, monkeypatch):
    (statements_4, commits_4) = _run_in_production(4, monkeypatch)
    (statements_8, commits_8) = _run_in_production(8, monkeypatch)

    assert len(statements_8) - len(statements_4) == 4
    assert commits_8 == commits_4  # no transaction per recipient: the statement is its own commit
    openings = [inside for sql, inside in statements_8 if "INSERT INTO" in sql and "mailings_attempt" in sql]
    assert openings == [False] * 8
    assert Attempt.objects.filter(status=Attempt.Status.SENDING).count() == 0


# --- The envelope goes while the attempt is committed; the email only after ----------------


class WatchingSink(SinkHandler):
    """The sink, noting when each recipient's envelope arrives and when the server takes the email."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[str, str]] = []
        self.envelopes: dict[str, threading.Event] = {}

    def envelope_seen(self, address: str) -> threading.Event:
        with self.lock:
            return self.envelopes.setdefault(address, threading.Event())

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        answer = await super().handle_RCPT(server, session, envelope, address, rcpt_options)
        self.events.append(("envelope", address))
        self.envelope_seen(address).set()
        return answer

    async def handle_DATA(self, server, session, envelope):
        self.events.append(("taken", envelope.rcpt_tos[0]))
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def watching_sink(settings):
    handler = WatchingSink()
    with smtp_server_running(handler) as port:
        smtp_settings_use(settings, port)
        yield handler


def test_the_envelope_goes_while_the_attempt_is_committed_and_the_email_only_after(watching_sink, monkeypatch):
    mailing = MailingFactory(recipients=3)
    real_open = sending._attempt_open
    opened = []

    def attempt_open(*, client, **kwargs):
        # Sent at the same time as the attempt's commit, not after it.
        assert watching_sink.envelope_seen(client.email).wait(timeout=10)
        result = real_open(client=client, **kwargs)
        opened.append(client.email)
        watching_sink.events.append(("committed", client.email))
        return result

    monkeypatch.setattr(sending, "_attempt_open", attempt_open)
    sending.send_due_mailings()

    assert sorted(mailing.attempts.values_list("status", flat=True)) == ["success"] * 3
    for address in opened:
        steps = [step for step, to in watching_sink.events if to == address]
        assert steps == ["envelope", "committed", "taken"]


def test_an_email_whose_attempt_was_not_opened_is_dropped_unsent(smtp_sink, monkeypatch):
    mailing = MailingFactory(recipients=3)
    run = sending.claim_due_run(mailing_id=mailing.pk, now=timezone.now())
    assert run is not None
    real_build = sending.build_email
    built = []

    def build_then_lose_the_lease(**kwargs):
        built.append(kwargs["client"].email)
        if len(built) == 2:  # our lease expired meanwhile and another sender took the run
            MailingRun.objects.filter(pk=run.pk).update(claimed_by="worker-2")
        return real_build(**kwargs)

    monkeypatch.setattr(sending, "build_email", build_then_lose_the_lease)
    result = sending.run_execute(run_id=run.pk)

    assert smtp_sink.recipients() == [built[0]]  # the second one's content never got its end
    assert list(run.attempts.values_list("email", "status")) == [(built[0], "success")]
    assert result.claimed_by == "worker-2"
