"""The mailing engine: schedules, runs and exactly-once delivery.

Guarantees (each tested on PostgreSQL):
- A run is one slot of a mailing's schedule; ``MailingRun(mailing, scheduled_for)`` is unique and
  the slot is claimed under ``SELECT … FOR UPDATE SKIP LOCKED``, so two schedulers started at the
  same moment create it once.
- Every recipient of a run gets an ``Attempt`` row *before* the SMTP server takes the email;
  ``(run, client)`` is unique, so no (mailing, client, run) is ever sent twice, whoever runs the
  run and however often. (The envelope and content may go while the row is committed, in a
  second thread; the content's end, which makes the server take the email, only after.)
- The sender executing a run holds a lease on it (``claimed_by``, ``heartbeat_at``), renewed in the
  same commit that records each recipient's attempt. A second sender leaves a run alone
  while its lease is alive.
- No silent loss: every recipient ends in exactly one visible state — sent, failed, skipped
  (unsubscribed) or unknown. An attempt left in ``sending`` longer than the lease
  (``MAILINGS_SENDER_LEASE_SECONDS``, which must exceed one SMTP conversation) belongs to a sender
  that died mid-conversation: the job marks it ``unknown`` — the email may or may not have
  arrived — and never re-sends it by itself (delivery is at most once, never twice). The run is
  then ``finished_with_unknown`` and its owner may decide to send those again
  (``unknown_attempts_resend``).
- A run whose sender died is resumed by the next job once the lease has expired: recipients with
  an attempt are skipped, the others are sent.
- An SMTP failure is recorded with the server's answer and retried with exponential back-off up
  to ``MAILINGS_MAX_TRIES`` tries.
- One SMTP connection is opened per run (and per retry batch) and reused for every recipient.
"""

import logging
import os
import re
import socket
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from datetime import datetime, timedelta
from email.utils import formatdate, make_msgid
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend as SMTPEmailBackend
from django.core.mail.message import sanitize_address
from django.core.mail.utils import DNS_NAME
from django.db import IntegrityError, transaction
from django.db import connection as database
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import linebreaks

from core.emails import (
    EmailDeliveryError,
    connection_close,
    connection_open,
    email_deliver,
    email_deliver_bytes,
    email_delivery_abandon,
    email_delivery_end,
    email_delivery_start,
    unsubscribe_headers,
)
from core.services import audit_record
from mailings.models import Attempt, Client, Mailing, MailingRun, Unsubscribe
from mailings.selectors import home_keys

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "mailings.unsubscribe"
STEPS: dict[str, relativedelta] = {
    Mailing.Periodicity.DAILY: relativedelta(days=1),
    Mailing.Periodicity.WEEKLY: relativedelta(weeks=1),
    Mailing.Periodicity.MONTHLY: relativedelta(months=1),
}


# --- Schedules -----------------------------------------------------------------------------


def occurrence(mailing: Mailing, index: int) -> datetime:
    """The ``index``-th send time: wall-clock steps in the mailing's time zone, as an aware UTC time.

    Each occurrence is computed from the start, not from the previous one, so a monthly mailing
    started on the 31st sends on the 28th/29th/30th of shorter months and on the 31st again after;
    and 09:00 stays 09:00 local time across daylight-saving changes.
    """
    zone = ZoneInfo(mailing.time_zone)
    local_start = mailing.start_at.astimezone(zone).replace(tzinfo=None)
    step = STEPS.get(mailing.periodicity)
    local = local_start if step is None or index == 0 else local_start + step * index
    return local.replace(tzinfo=zone).astimezone(ZoneInfo("UTC"))


def next_send_after(mailing: Mailing, moment: datetime | None) -> datetime | None:
    """The first send time strictly after ``moment`` (or the first one), or None past ``end_at``."""
    if moment is None:
        first = occurrence(mailing, 0)
        return first if first <= mailing.end_at else None
    if moment >= mailing.end_at:
        return None
    if mailing.periodicity == Mailing.Periodicity.ONCE:
        first = occurrence(mailing, 0)
        return first if moment < first <= mailing.end_at else None
    index = _index_near(mailing, moment)
    while True:
        candidate = occurrence(mailing, index)
        if candidate > moment:
            return candidate if candidate <= mailing.end_at else None
        index += 1


def _index_near(mailing: Mailing, moment: datetime) -> int:
    """A safe starting index (at or just before the answer) so long schedules need no long loop."""
    if moment <= mailing.start_at:
        return 0
    if mailing.periodicity == Mailing.Periodicity.MONTHLY:
        zone = ZoneInfo(mailing.time_zone)
        start, local = mailing.start_at.astimezone(zone), moment.astimezone(zone)
        return max(0, (local.year - start.year) * 12 + local.month - start.month - 1)
    days = (moment - mailing.start_at).days
    return max(0, days // (7 if mailing.periodicity == Mailing.Periodicity.WEEKLY else 1) - 1)


# --- Unsubscribe links ---------------------------------------------------------------------


def unsubscribe_token(*, owner_id: int, email: str) -> str:
    return signing.dumps({"owner": owner_id, "email": email.lower()}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_url(*, owner_id: int, email: str) -> str:
    return settings.SITE_URL + reverse("mailings:unsubscribe", args=[unsubscribe_token(owner_id=owner_id, email=email)])


def unsubscribe_token_read(token: str) -> tuple[int, str]:
    """The owner and address a link was made for; ``BadSignature`` for a tampered link."""
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    if not isinstance(data, dict) or not isinstance(data.get("owner"), int) or not isinstance(data.get("email"), str):
        raise signing.BadSignature("Not an unsubscribe link of the mailings.")
    return data["owner"], data["email"]


def unsubscribe_find(token: str) -> tuple[str, bool]:
    """The link's address and whether it is unsubscribed now (the page's GET: it changes nothing)."""
    owner_id, email = unsubscribe_token_read(token)
    if not get_user_model().objects.filter(pk=owner_id).exists():
        raise signing.BadSignature("The sender of this link no longer exists.")
    return email, Unsubscribe.objects.filter(owner_id=owner_id, email__iexact=email).exists()


def unsubscribe(*, token: str) -> Unsubscribe:
    """The confirm button (or the mail client's one-click POST): the address receives nothing more
    from that owner. Idempotent."""
    owner_id, email = unsubscribe_token_read(token)
    existing = Unsubscribe.objects.filter(owner_id=owner_id, email__iexact=email).first()
    if existing is not None:
        return existing
    if not get_user_model().objects.filter(pk=owner_id).exists():
        raise signing.BadSignature("The sender of this link no longer exists.")
    try:
        with transaction.atomic():
            entry = Unsubscribe.objects.create(owner_id=owner_id, email=email)
            audit_record(action="mailings.unsubscribed", target=entry, details={"owner": owner_id})
    except IntegrityError:  # a second click (or the mail client's POST) got there first
        return Unsubscribe.objects.get(owner_id=owner_id, email__iexact=email)
    return entry


def _unsubscribed(owner_id: int) -> set[str]:
    return {email.lower() for email in Unsubscribe.objects.filter(owner_id=owner_id).values_list("email", flat=True)}


# --- Building and sending one email --------------------------------------------------------


# Stand for the recipient's values while a run's email is built once (``mailing_render``). A signed
# link holds only URL-safe characters, so HTML escaping leaves it (and this) unchanged. The link's
# stand-in is as long as a real link, so its header is folded the same way.
_LINK_PLACEHOLDER = "mailings-unsubscribe-link-" + "8f41c2" * 7
_TO_PLACEHOLDER = "mailings-recipient@placeholder.invalid"
_DATE_PLACEHOLDER = "mailings-date-placeholder"
_ID_PLACEHOLDER = "<mailings-message-id@placeholder.invalid>"
# The addresses whose headers and envelope Django writes exactly as typed (no quoting, no encoding).
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")
# Python's email package (compat32) puts a one-word header value on a line of its own past this.
_HEADER_FOLD_AT = 78
# Django sends a part with a longer line quoted-printable (RFC 5322's limit).
_LINE_LIMIT = 998


class EmailTemplate(NamedTuple):
    """A run's email as the bytes Django's SMTP backend sends, the recipient's values left as stand-ins."""

    sender: str  # the envelope sender, sanitized as Django's SMTP backend does it
    data: bytes
    # For each line holding the link: its length without the stand-ins, and how many it holds.
    link_lines: tuple[tuple[int, int], ...]


class RenderedMailing(NamedTuple):
    """A mailing's parts rendered once, the unsubscribe link left as a placeholder.

    ``template`` is the whole email once built by Django (None when a recipient's values cannot
    be put in by replacing bytes, e.g. a part sent quoted-printable); ``link_prefix`` and
    ``link_suffix`` surround the recipient's token in the unsubscribe link.
    """

    text: str
    html: str
    template: EmailTemplate | None
    link_prefix: str
    link_suffix: str


class RawEmail(NamedTuple):
    """One recipient's email as bytes built from the run's ``EmailTemplate``."""

    sender: str
    to: list[str]
    data: bytes


def mailing_render(mailing: Mailing) -> RenderedMailing:
    """Render the parts, and build the email, once for a whole run: recipients differ only by their
    address, link, date and message id.

    Rendering both templates for each of 5,000 recipients was a third of a run's time; Django's
    building of each email (MIME objects, header folding, address parsing) was most of the rest.
    """
    context = {"mailing": mailing, "unsubscribe_url": _LINK_PLACEHOLDER}
    text = render_to_string("mailings/email/mailing.txt", {**context, "body": mailing.message.body})
    html = render_to_string(
        "mailings/email/mailing.html",
        {**context, "body_html": mailing.message.body_html or linebreaks(mailing.message.body, autoescape=True)},
    )
    # The token is the link's only part that differs between recipients: reversed once.
    stand_in = "mailings-token-placeholder"
    prefix, suffix = (settings.SITE_URL + reverse("mailings:unsubscribe", args=[stand_in])).split(stand_in)
    return RenderedMailing(
        text=text,
        html=html,
        template=_email_template(mailing, text=text, html=html),
        link_prefix=prefix,
        link_suffix=suffix,
    )


def _email_message(
    *,
    mailing: Mailing,
    to: str,
    link: str,
    text: str,
    html: str,
    connection: BaseEmailBackend | None,
    headers: dict[str, str] | None = None,
) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        subject=" ".join(mailing.message.subject.split()),  # a line break in a header is refused by Django
        body=text.replace(_LINK_PLACEHOLDER, link),
        to=[to],
        reply_to=[mailing.owner.email] if mailing.owner.email else None,
        connection=connection,
        headers={**(headers or {}), **unsubscribe_headers(link)},
    )
    email.attach_alternative(html.replace(_LINK_PLACEHOLDER, link), "text/html")
    return email


def _email_template(mailing: Mailing, *, text: str, html: str) -> EmailTemplate | None:
    """Build the run's email once with Django, the recipient's values as stand-ins."""
    email = _email_message(
        mailing=mailing,
        to=_TO_PLACEHOLDER,
        link=_LINK_PLACEHOLDER,
        text=text,
        html=html,
        connection=None,
        # Where Django would put its own, in the same order.
        headers={"Date": _DATE_PLACEHOLDER, "Message-ID": _ID_PLACEHOLDER},
    )
    message = email.message()
    if any(
        part["Content-Transfer-Encoding"] not in ("7bit", "8bit") for part in message.walk() if not part.is_multipart()
    ):
        return None  # an encoded part would have to be encoded again for each recipient
    # What Django's SMTP backend sends (Django's MIME classes take ``linesep``; the stubs miss it).
    data = message.as_bytes(linesep="\r\n")  # type: ignore[call-arg]
    link = _LINK_PLACEHOLDER.encode()
    if (
        any(
            data.count(placeholder.encode()) != 1
            for placeholder in (_TO_PLACEHOLDER, _DATE_PLACEHOLDER, _ID_PLACEHOLDER)
        )
        or b"\r\nList-Unsubscribe: \r\n <" + link + b">\r\n" not in data
    ):
        return None  # the message itself holds a stand-in, or the headers came out unlike a real email's
    return EmailTemplate(
        sender=sanitize_address(email.from_email, email.encoding or settings.DEFAULT_CHARSET),
        data=data,
        link_lines=tuple(
            (len(line) - line.count(link) * len(link), line.count(link)) for line in data.split(b"\r\n") if link in line
        ),
    )


def _raw_email(template: EmailTemplate, *, to: str, link: str) -> RawEmail | None:
    """The recipient's email from the run's template: the bytes Django would have built (but for
    the MIME boundary, random in each), or None when they might differ."""
    date = formatdate(localtime=settings.EMAIL_USE_LOCALTIME)
    message_id = make_msgid(domain=str(DNS_NAME))
    if (
        not _PLAIN_ADDRESS.fullmatch(to)
        or len("To: ") + len(to) > _HEADER_FOLD_AT
        or len("Message-ID: ") + len(message_id) > _HEADER_FOLD_AT
        or not message_id.isascii()
        or len("List-Unsubscribe: <>") + len(link) <= _HEADER_FOLD_AT
        or not link.isascii()
        or any(length + count * len(link) > _LINE_LIMIT for length, count in template.link_lines)
    ):
        return None
    data = (
        template.data.replace(_TO_PLACEHOLDER.encode(), to.encode())
        .replace(_DATE_PLACEHOLDER.encode(), date.encode())
        .replace(_ID_PLACEHOLDER.encode(), message_id.encode())
        .replace(_LINK_PLACEHOLDER.encode(), link.encode())
    )
    return RawEmail(sender=template.sender, to=[to], data=data)


def build_email(
    *, mailing: Mailing, client: Client, connection: BaseEmailBackend, rendered: RenderedMailing | None = None
) -> EmailMultiAlternatives | RawEmail:
    """Plain text and HTML parts, each with the one-click unsubscribe link (and its header).

    ``rendered`` (``mailing_render``) spares a run rendering the same templates for every
    recipient. Over Django's own SMTP backend the email is the run's template with this
    recipient's values put in (``RawEmail``); otherwise, or for an address or link Django would
    write differently, Django builds it.
    """
    parts = rendered or mailing_render(mailing)
    token = unsubscribe_token(owner_id=mailing.owner_id, email=client.email)
    link = f"{parts.link_prefix}{token}{parts.link_suffix}"
    # Exactly Django's SMTP backend: a subclass (or another backend) may send differently.
    if parts.template is not None and type(connection) is SMTPEmailBackend:
        raw = _raw_email(parts.template, to=client.email, link=link)
        if raw is not None:
            return raw
    return _email_message(
        mailing=mailing, to=client.email, link=link, text=parts.text, html=parts.html, connection=connection
    )


def _deliver(email: EmailMultiAlternatives | RawEmail, connection: BaseEmailBackend) -> tuple[bool, str]:
    """Send through the shared connection: (accepted, the server's answer)."""
    try:
        if isinstance(email, RawEmail):
            assert isinstance(connection, SMTPEmailBackend), "raw emails are built for Django's SMTP backend"
            return True, email_deliver_bytes(
                sender=email.sender, recipients=email.to, data=email.data, connection=connection
            )
        return True, email_deliver(message=email, connection=connection)
    except EmailDeliveryError as error:
        return False, error.response


def _delivery_start(email: RawEmail, connection: SMTPEmailBackend) -> str | None:
    """The envelope and the content, not its end (``email_delivery_start``): None, or the refusal."""
    try:
        email_delivery_start(sender=email.sender, recipients=email.to, data=email.data, connection=connection)
    except EmailDeliveryError as error:
        return error.response
    return None


def _delivery_end(connection: SMTPEmailBackend) -> tuple[bool, str]:
    """The content's end: the server takes the email. (accepted, the server's answer)."""
    try:
        return True, email_delivery_end(connection=connection)
    except EmailDeliveryError as error:
        return False, error.response


def _delivery_drop(started: "Future[str | None]", connection: SMTPEmailBackend) -> None:
    """The email must not go: once its start is over, the server is left without the content's end."""
    try:
        refusal = started.result()
    except Exception:  # noqa: BLE001 - however far it got, the content is left without its end
        refusal = None
    if refusal is None:
        email_delivery_abandon(connection=connection)


class _Outcome(NamedTuple):
    attempt_id: int
    ok: bool
    response: str
    tries: int


def _record(*, attempt_id: int, ok: bool, response: str, tries: int) -> None:
    """Store the outcome of a delivery that is still ours (``sending``)."""
    recorded = Attempt.objects.filter(pk=attempt_id, status=Attempt.Status.SENDING).update(
        status=Attempt.Status.SUCCESS if ok else Attempt.Status.FAILURE,
        response=response[:2000],
        tries=tries,
        attempted_at=timezone.now(),
        next_try_at=None if ok else _retry_at(tries),
    )
    if not recorded:
        _late_outcome_log(attempt_id, response)


def _late_outcome_log(attempt_id: int, response: str) -> None:
    # Only possible when one SMTP conversation outlived the lease: the attempt was already
    # declared unknown and its owner decides; the late answer is logged, not applied.
    logger.warning("Attempt %s ended (%s) after it was declared unknown", attempt_id, response)


def _retry_at(tries: int) -> datetime | None:
    if tries >= settings.MAILINGS_MAX_TRIES:
        return None
    return timezone.now() + timedelta(seconds=settings.MAILINGS_RETRY_BASE_SECONDS * 2 ** (tries - 1))


# --- Leases and lost deliveries ------------------------------------------------------------


class _LeaseLost(Exception):
    """Another sender took the run over (ours was silent longer than the lease)."""


def lease_duration() -> timedelta:
    return timedelta(seconds=settings.MAILINGS_SENDER_LEASE_SECONDS)


def _sender_name() -> str:
    """Who executes a run, for the run page and the logs; unique per execution."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _lease_take(*, run_id: int, sender: str) -> bool:
    """Take a running run that nobody holds, or whose holder has been silent past the lease."""
    now = timezone.now()
    return bool(
        MailingRun.objects.filter(pk=run_id, status=MailingRun.Status.RUNNING)
        .filter(Q(claimed_by="") | Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=now - lease_duration()))
        .update(claimed_by=sender, heartbeat_at=now)
    )


def _run_status_settle(run_ids: list[int]) -> None:
    """A run that is over is ``finished`` only when none of its deliveries is unknown."""
    # A stopped run keeps saying so, whatever its deliveries.
    over = MailingRun.objects.filter(pk__in=run_ids).exclude(
        status__in=[MailingRun.Status.RUNNING, MailingRun.Status.STOPPED]
    )
    over.filter(attempts__status=Attempt.Status.UNKNOWN).update(status=MailingRun.Status.FINISHED_WITH_UNKNOWN)
    over.exclude(attempts__status=Attempt.Status.UNKNOWN).update(status=MailingRun.Status.FINISHED)


def stalled_attempts_recover(*, run_id: int | None = None, now: datetime | None = None) -> int:
    """Deliveries in flight longer than the lease lost their sender: they become ``unknown``.

    Each sender renews its lease with every attempt it starts, and one SMTP conversation is
    shorter than the lease, so an attempt this old in ``sending`` has nobody left to finish it.
    Whether the server got the email is unknown: it is shown, never re-sent by itself.
    """
    expired = (now or timezone.now()) - lease_duration()
    stalled = Attempt.objects.filter(status=Attempt.Status.SENDING, attempted_at__lt=expired)
    if run_id is not None:
        stalled = stalled.filter(run_id=run_id)
    with transaction.atomic():
        found = list(stalled.select_for_update(skip_locked=True).values_list("pk", "run_id"))
        if not found:
            return 0
        changed = Attempt.objects.filter(pk__in=[pk for pk, _run in found], status=Attempt.Status.SENDING).update(
            status=Attempt.Status.UNKNOWN,
            tries=F("tries") + 1,  # the cut-off conversation was a try
            next_try_at=None,
        )
        runs = sorted({run for _pk, run in found})
        _run_status_settle(runs)
        for run in MailingRun.objects.filter(pk__in=runs).select_related("mailing"):
            audit_record(
                action="mailings.deliveries_unknown",
                target=run,
                details={"mailing": run.mailing_id, "attempts": sum(1 for _pk, run_of in found if run_of == run.pk)},
            )
    logger.warning("%s deliveries were cut off by a dead sender and are now unknown (runs %s)", changed, runs)
    return changed


# --- One recipient's attempt --------------------------------------------------------------


class _Opened(NamedTuple):
    """What opening a recipient's attempt found."""

    leased: bool  # False: another sender took the run over, or the mailing was stopped; nothing was opened
    stopped: bool  # the mailing was stopped (or deleted): the run ends here
    attempt_id: int | None  # None: not opened (another sender has this recipient, or the lease is lost)
    outcome_stored: bool  # the previous delivery's outcome was handled in the same commit


def _attempt_open(*, run: MailingRun, client: Client, status: str, sender: str, outcome: _Outcome | None) -> _Opened:
    """Commit the recipient's attempt, the renewal of our lease and the previous delivery's outcome
    together, before the email goes: one statement on PostgreSQL, one transaction elsewhere."""
    if database.vendor == "postgresql":
        return _attempt_open_statement(run=run, client=client, status=status, sender=sender, outcome=outcome)
    try:
        with transaction.atomic():
            if outcome is not None:
                _record(**outcome._asdict())
            attempt = Attempt.objects.create(
                run=run, mailing_id=run.mailing_id, client=client, email=client.email, status=status
            )
            # An attempt in "sending" is never younger than its sender's last sign of life. The
            # lease holds only while the mailing is active: a stopped one sends to nobody more.
            renewed = MailingRun.objects.filter(pk=run.pk, claimed_by=sender, mailing__is_active=True).update(
                heartbeat_at=attempt.attempted_at
            )
            if not renewed:
                raise _LeaseLost
    except IntegrityError:
        return _Opened(leased=True, stopped=False, attempt_id=None, outcome_stored=False)  # another worker has it
    except _LeaseLost:
        # All of it rolled back; the one case that costs a second query.
        stopped = not Mailing.objects.filter(pk=run.mailing_id, is_active=True).exists()
        return _Opened(leased=False, stopped=stopped, attempt_id=None, outcome_stored=False)
    return _Opened(leased=True, stopped=False, attempt_id=attempt.pk, outcome_stored=True)


# Table names only are formatted in; every value is a parameter.
_ATTEMPT_OPEN_SQL = (
    "WITH "  # noqa: S608  # nosec B608
    f"""outcome AS (
    UPDATE {Attempt._meta.db_table}
    SET status = %(outcome_status)s, response = %(response)s, tries = %(tries)s, attempted_at = %(now)s,
        next_try_at = %(next_try_at)s
    WHERE id = %(outcome_id)s AND status = %(sending)s
    RETURNING id
), active AS (
    SELECT FROM {Mailing._meta.db_table} WHERE id = %(mailing_id)s AND is_active
), lease AS (
    UPDATE {MailingRun._meta.db_table} SET heartbeat_at = %(now)s
    WHERE id = %(run_id)s AND claimed_by = %(sender)s AND EXISTS (SELECT FROM active)
    RETURNING id
), attempt AS (
    INSERT INTO {Attempt._meta.db_table}
        (run_id, mailing_id, client_id, email, status, response, attempted_at, tries, next_try_at)
    SELECT %(run_id)s, %(mailing_id)s, %(client_id)s, %(email)s, %(status)s, '', %(now)s, 0, NULL FROM lease
    ON CONFLICT (run_id, client_id) DO NOTHING
    RETURNING id
)
SELECT EXISTS (SELECT FROM lease), (SELECT id FROM attempt), EXISTS (SELECT FROM outcome), EXISTS (SELECT FROM active)
"""
)


def _attempt_open_statement(
    *, run: MailingRun, client: Client, status: str, sender: str, outcome: _Outcome | None
) -> _Opened:
    """PostgreSQL: ``_attempt_open`` as one statement, a commit of its own outside a transaction.

    The attempt is inserted only while our lease holds (it is renewed by the same statement, with
    the attempt's own time); the outcome is stored either way, since it is ours.
    """
    now = timezone.now()
    params: dict[str, Any] = {
        "now": now,
        "sending": Attempt.Status.SENDING,
        "run_id": run.pk,
        "sender": sender,
        "mailing_id": run.mailing_id,
        "client_id": client.pk,
        "email": client.email,
        "status": status,
        "outcome_id": None,
        "outcome_status": None,
        "response": "",
        "tries": 0,
        "next_try_at": None,
    }
    if outcome is not None:
        params.update(
            outcome_id=outcome.attempt_id,
            outcome_status=Attempt.Status.SUCCESS if outcome.ok else Attempt.Status.FAILURE,
            response=outcome.response[:2000],
            tries=outcome.tries,
            next_try_at=None if outcome.ok else _retry_at(outcome.tries),
        )
    try:
        # Inside a caller's transaction (tests), a savepoint keeps a refusal from breaking it.
        with transaction.atomic() if database.in_atomic_block else nullcontext(), database.cursor() as cursor:
            cursor.execute(_ATTEMPT_OPEN_SQL, params)
            leased, attempt_id, stored, active = cursor.fetchone()
    except IntegrityError:  # the client was deleted meanwhile: nothing of it was committed
        return _Opened(leased=True, stopped=False, attempt_id=None, outcome_stored=False)
    if outcome is not None and not stored:
        _late_outcome_log(outcome.attempt_id, outcome.response)
    return _Opened(leased=leased, stopped=not active, attempt_id=attempt_id, outcome_stored=outcome is not None)


# --- Runs ----------------------------------------------------------------------------------


def claim_due_run(*, mailing_id: int, now: datetime, manual: bool = False) -> MailingRun | None:
    """Take the mailing's due slot (or, when ``manual``, a slot at ``now``) and move the schedule on.

    Locked with SKIP LOCKED: a second scheduler skips a mailing the first is claiming.
    """
    with transaction.atomic():
        mailings = Mailing.objects.select_for_update(skip_locked=True).filter(pk=mailing_id, is_active=True)
        if not manual:
            mailings = mailings.filter(next_send_at__lte=now).exclude(status=Mailing.Status.COMPLETED)
        mailing = mailings.first()
        if mailing is None:
            return None
        # A manual slot is the current minute: a double click on "send now" makes one run, not two.
        slot = now.replace(second=0, microsecond=0) if manual else mailing.next_send_at
        assert slot is not None, "only mailings with a due slot were selected"
        try:
            with transaction.atomic():
                # Nobody holds the new run yet; the fresh heartbeat keeps the job from "resuming" it
                # while its task waits in the queue.
                run = MailingRun.objects.create(
                    mailing=mailing, scheduled_for=slot, manual=manual, heartbeat_at=timezone.now()
                )
        except IntegrityError:
            return None
        if not manual:
            # From ``now``, not from the slot: after an outage the missed slots are not sent one by one.
            mailing.next_send_at = next_send_after(mailing, max(slot, now))
            mailing.status = Mailing.Status.COMPLETED if mailing.next_send_at is None else Mailing.Status.RUNNING
            mailing.save(update_fields=["next_send_at", "status", "updated_at"])
            # The section home counts running mailings.
            transaction.on_commit(lambda: cache.delete_many(home_keys([mailing.owner_id])))
        audit_record(action="mailings.run_started", actor=mailing.owner if manual else None, target=run)
    return run


def run_execute(*, run_id: int) -> MailingRun:
    """Send a run to every recipient that has no attempt yet; safe to call again after a crash.

    Only the holder of the run's lease sends: a second caller while the first is alive (a task
    delivered twice, the job resuming too early) returns at once.
    """
    run = MailingRun.objects.select_related("mailing__message", "mailing__owner").get(pk=run_id)
    sender = _sender_name()
    if not _lease_take(run_id=run.pk, sender=sender):
        run.refresh_from_db()
        return run
    # Taking over from a dead sender: what it had in flight is unknown, never sent again.
    stalled_attempts_recover(run_id=run.pk)
    mailing = run.mailing
    clients = list(mailing.clients.order_by("id"))
    unsubscribed = _unsubscribed(mailing.owner_id)
    MailingRun.objects.filter(pk=run.pk).update(total=len(clients))
    done = set(Attempt.objects.filter(run=run).values_list("client_id", flat=True))
    rendered = mailing_render(mailing)
    # The last delivery's outcome is stored in the commit that opens the next attempt (one
    # statement on PostgreSQL): one commit per recipient instead of two. It is stored at the latest
    # before the next email goes out (and on the way out, even when the sender is stopped by an
    # exception), so a sender killed mid-conversation still leaves exactly its in-flight email in
    # "sending".
    outcome: _Outcome | None = None
    connection = get_connection(fail_silently=False)
    connection_open(connection)
    # An email built from the run's template has its envelope and content sent (by the run's
    # second thread) while its attempt is committed; the content's end, when the server takes the email, goes only
    # once the attempt is committed. A sender killed before that end sends nothing.
    conversation = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"mailing-run-{run.pk}")
    started: Future[str | None] | None = None
    smtp = connection if isinstance(connection, SMTPEmailBackend) else None
    stopped = False
    try:
        for client in clients:
            if client.pk in done:
                continue
            skipped = client.email.lower() in unsubscribed
            # Built before the attempt exists: an error here leaves no attempt stuck in "sending".
            email = (
                None
                if skipped
                else build_email(mailing=mailing, client=client, connection=connection, rendered=rendered)
            )
            if isinstance(email, RawEmail) and smtp is not None:
                started = conversation.submit(_delivery_start, email, smtp)
            status = Attempt.Status.SKIPPED if skipped else Attempt.Status.SENDING
            opened = _attempt_open(run=run, client=client, status=status, sender=sender, outcome=outcome)
            if opened.outcome_stored:
                outcome = None
            if started is not None and smtp is not None and opened.attempt_id is None:
                _delivery_drop(started, smtp)  # not ours to send
                started = None
            if opened.stopped:
                stopped = True
                break
            if not opened.leased:
                logger.warning("Run %s was taken over by another sender; %s stops", run.pk, sender)
                run.refresh_from_db()  # an outcome not stored yet is stored below
                return run
            if opened.attempt_id is None:
                continue  # another worker has this recipient
            if email is None:
                continue
            if started is not None and smtp is not None:
                refusal, started = started.result(), None
                ok, response = (False, refusal) if refusal is not None else _delivery_end(smtp)
            else:
                ok, response = _deliver(email, connection)
            outcome = _Outcome(attempt_id=opened.attempt_id, ok=ok, response=response, tries=1)
    finally:
        if started is not None and smtp is not None:
            _delivery_drop(started, smtp)  # stopped by an error before the attempt was committed
        conversation.shutdown(wait=True)
        if outcome is not None:
            _record(**outcome._asdict())
        connection_close(connection)
    if stopped:
        # The mailing was stopped between two recipients: every attempt made is settled, the
        # others were never started.
        MailingRun.objects.filter(pk=run.pk, claimed_by=sender, status=MailingRun.Status.RUNNING).update(
            status=MailingRun.Status.STOPPED, finished_at=timezone.now()
        )
    elif Attempt.objects.filter(run=run).count() >= len(clients):
        MailingRun.objects.filter(pk=run.pk, claimed_by=sender).update(
            status=MailingRun.Status.FINISHED, finished_at=timezone.now()
        )
        _run_status_settle([run.pk])
    run.refresh_from_db()
    return run


def _attempts_resend(attempts: list[Attempt], *, from_status: str) -> int:
    """Send these attempts again over one connection; each is claimed by one worker.

    The claim moves the attempt to ``sending`` and restarts its clock, so a sender dying in this
    conversation leaves it to be found ``unknown`` like any other.
    """
    if not attempts:
        return 0
    resent = 0
    unsubscribed: dict[int, set[str]] = {}
    connection = get_connection(fail_silently=False)
    connection_open(connection)  # opened once: otherwise every send opens and closes its own
    try:
        for attempt in attempts:
            mine = Attempt.objects.filter(pk=attempt.pk, status=from_status, tries=attempt.tries)
            owner_id = attempt.mailing.owner_id
            if owner_id not in unsubscribed:
                unsubscribed[owner_id] = _unsubscribed(owner_id)
            # The owner deleted the client since, or the reader unsubscribed: either way, not ours to send.
            if attempt.client is None or attempt.email.lower() in unsubscribed[owner_id]:
                mine.update(status=Attempt.Status.SKIPPED, next_try_at=None)
                continue
            try:
                email = build_email(mailing=attempt.mailing, client=attempt.client, connection=connection)
            except Exception:
                # One mailing's broken message must not hold back the others' retries.
                logger.exception("Building the email of attempt %s failed; it stays as it was", attempt.pk)
                continue
            if not mine.update(status=Attempt.Status.SENDING, attempted_at=timezone.now()):
                continue
            ok, response = _deliver(email, connection)
            _record(attempt_id=attempt.pk, ok=ok, response=response, tries=attempt.tries + 1)
            resent += 1
    finally:
        connection_close(connection)
    return resent


def failed_attempts_retry(*, now: datetime | None = None) -> int:
    """Resend failed attempts whose back-off has passed; each is claimed by one worker."""
    now = now or timezone.now()
    due = list(
        Attempt.objects.filter(
            status=Attempt.Status.FAILURE, next_try_at__lte=now, client__isnull=False, mailing__is_active=True
        )
        .select_related("mailing__message", "mailing__owner", "client")
        .order_by("id")[:500]
    )
    return _attempts_resend(due, from_status=Attempt.Status.FAILURE)


def unknown_attempts_resend(*, run_id: int) -> int:
    """The owner's decision (``services.run_retry_unknown``): send the run's unknown deliveries again.

    These recipients may get the email twice, which is why nothing does this automatically.
    """
    unknown = list(
        Attempt.objects.filter(run_id=run_id, status=Attempt.Status.UNKNOWN)
        .select_related("mailing__message", "mailing__owner", "client")
        .order_by("id")
    )
    resent = _attempts_resend(unknown, from_status=Attempt.Status.UNKNOWN)
    _run_status_settle([run_id])
    return resent


def unfinished_runs_resume() -> int:
    """Runs whose sender died half-way (its lease expired) are executed again by this process."""
    expired = timezone.now() - lease_duration()
    resumed = 0
    stale_runs = (
        MailingRun.objects.filter(status=MailingRun.Status.RUNNING, mailing__is_active=True)
        .filter(Q(heartbeat_at__lt=expired) | Q(heartbeat_at__isnull=True, started_at__lt=expired))
        .values_list("pk", flat=True)
    )
    for run_id in stale_runs:
        run_execute(run_id=run_id)
        resumed += 1
    return resumed


def expired_mailings_complete(*, now: datetime) -> int:
    ending = Mailing.objects.filter(
        Q(end_at__lt=now) | Q(next_send_at__isnull=True, status=Mailing.Status.RUNNING),
        status__in=[Mailing.Status.CREATED, Mailing.Status.RUNNING],
    )
    owner_ids = set(ending.values_list("owner_id", flat=True))
    completed = ending.update(status=Mailing.Status.COMPLETED, next_send_at=None) if owner_ids else 0
    if completed:
        cache.delete_many(home_keys(owner_ids))
    return completed


def send_due_mailings() -> dict[str, int]:
    """The scheduled job: send due runs, find deliveries lost by dead senders, retry failures,
    resume crashed runs, close ended mailings."""
    now = timezone.now()
    sent = 0
    for mailing_id in Mailing.objects.filter(
        is_active=True, next_send_at__lte=now, status__in=[Mailing.Status.CREATED, Mailing.Status.RUNNING]
    ).values_list("pk", flat=True):
        run = claim_due_run(mailing_id=mailing_id, now=now)
        if run is None:
            continue
        try:
            run_execute(run_id=run.pk)
        except Exception:
            # One broken mailing must not hold back the others; its run is resumed later.
            logger.exception("Mailing run %s failed; it will be resumed", run.pk)
            continue
        sent += 1
    return {
        "runs": sent,
        "unknown": stalled_attempts_recover(),
        "retried": failed_attempts_retry(now=now),
        "resumed": unfinished_runs_resume(),
        "completed": expired_mailings_complete(now=now),
    }
