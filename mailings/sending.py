"""The mailing engine: schedules, runs and exactly-once delivery.

Guarantees (each tested on PostgreSQL):
- A run is one slot of a mailing's schedule; ``MailingRun(mailing, scheduled_for)`` is unique and
  the slot is claimed under ``SELECT … FOR UPDATE SKIP LOCKED``, so two schedulers started at the
  same moment create it once.
- Every recipient of a run gets an ``Attempt`` row *before* the email is handed to the SMTP
  server; ``(run, client)`` is unique, so no (mailing, client, run) is ever sent twice, whoever
  runs the run and however often.
- A run that crashed half-way is resumed by the next job: recipients with an attempt are skipped,
  the others are sent. An attempt left in ``sending`` (the process died between claiming and
  recording) is not re-sent: delivery is at most once, never twice.
- An SMTP failure is recorded with the server's answer and retried with exponential back-off up
  to ``MAILINGS_MAX_TRIES`` tries.
- One SMTP connection is opened per run (and per retry batch) and reused for every recipient.
"""

import logging
import smtplib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import linebreaks

from core.services import audit_record
from mailings.models import Attempt, Client, Mailing, MailingRun, Unsubscribe

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "mailings.unsubscribe"
# The section home's cached numbers; cleared whenever a mailing's status changes.
HOME_CACHE_KEY = "mailings:home"
STEPS = {
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


def unsubscribe(*, token: str) -> Unsubscribe:
    """One click: the address receives nothing more from that owner. Idempotent."""
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    existing = Unsubscribe.objects.filter(owner_id=data["owner"], email__iexact=data["email"]).first()
    if existing is not None:
        return existing
    if not get_user_model().objects.filter(pk=data["owner"]).exists():
        raise signing.BadSignature("The sender of this link no longer exists.")
    try:
        with transaction.atomic():
            entry = Unsubscribe.objects.create(owner_id=data["owner"], email=data["email"])
            audit_record(action="mailings.unsubscribed", target=entry, details={"owner": data["owner"]})
    except IntegrityError:  # a second click (or the mail client's POST) got there first
        return Unsubscribe.objects.get(owner_id=data["owner"], email__iexact=data["email"])
    return entry


def _unsubscribed(owner_id: int) -> set[str]:
    return {email.lower() for email in Unsubscribe.objects.filter(owner_id=owner_id).values_list("email", flat=True)}


# --- Building and sending one email --------------------------------------------------------


def build_email(*, mailing: Mailing, client: Client, connection) -> EmailMultiAlternatives:
    """Plain text and HTML parts, each with the one-click unsubscribe link (and its header)."""
    link = unsubscribe_url(owner_id=mailing.owner_id, email=client.email)
    context = {"mailing": mailing, "client": client, "unsubscribe_url": link}
    text = render_to_string("mailings/email/mailing.txt", {**context, "body": mailing.message.body})
    html = render_to_string(
        "mailings/email/mailing.html",
        {**context, "body_html": mailing.message.body_html or linebreaks(mailing.message.body, autoescape=True)},
    )
    email = EmailMultiAlternatives(
        subject=" ".join(mailing.message.subject.split()),  # a line break in a header is refused by Django
        body=text,
        to=[client.email],
        reply_to=[mailing.owner.email] if mailing.owner.email else None,
        connection=connection,
        headers={"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )
    email.attach_alternative(html, "text/html")
    return email


def _deliver(email: EmailMultiAlternatives) -> tuple[bool, str]:
    """Send through the shared connection; the server's complaint is kept on failure."""
    try:
        sent = email.send(fail_silently=False)
    except smtplib.SMTPResponseException as error:
        answer = error.smtp_error
        return False, f"{error.smtp_code} {answer.decode(errors='replace') if isinstance(answer, bytes) else answer}"
    except smtplib.SMTPRecipientsRefused as error:
        answers = [f"{code} {message.decode(errors='replace')}" for code, message in error.recipients.values()]
        return False, "; ".join(answers) or "recipient refused"
    except (smtplib.SMTPException, OSError) as error:
        # The connection is likely dead (disconnect, timeout): drop it so the next send reconnects.
        _connection_close(email.connection)
        return False, f"{type(error).__name__}: {error}"
    return (True, "250 accepted") if sent else (False, "not sent")


def _connection_open(connection) -> None:
    try:
        connection.open()
    except (smtplib.SMTPException, OSError):
        logger.warning("The mail server is unreachable; each delivery will try to connect on its own")


def _connection_close(connection) -> None:
    try:
        connection.close()
    except (smtplib.SMTPException, OSError):
        logger.warning("Closing the SMTP connection failed", exc_info=True)
        connection.connection = None


def _retry_at(tries: int) -> datetime | None:
    if tries >= settings.MAILINGS_MAX_TRIES:
        return None
    return timezone.now() + timedelta(seconds=settings.MAILINGS_RETRY_BASE_SECONDS * 2 ** (tries - 1))


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
        try:
            with transaction.atomic():
                run = MailingRun.objects.create(mailing=mailing, scheduled_for=slot, manual=manual)
        except IntegrityError:
            return None
        if not manual:
            # From ``now``, not from the slot: after an outage the missed slots are not sent one by one.
            mailing.next_send_at = next_send_after(mailing, max(slot, now))
            mailing.status = Mailing.Status.COMPLETED if mailing.next_send_at is None else Mailing.Status.RUNNING
            mailing.save(update_fields=["next_send_at", "status", "updated_at"])
            # The section home counts running mailings.
            transaction.on_commit(lambda: cache.delete(HOME_CACHE_KEY))
        audit_record(action="mailings.run_started", actor=mailing.owner if manual else None, target=run)
    return run


def run_execute(*, run_id: int) -> MailingRun:
    """Send a run to every recipient that has no attempt yet; safe to call again after a crash."""
    run = MailingRun.objects.select_related("mailing__message", "mailing__owner").get(pk=run_id)
    mailing = run.mailing
    clients = list(mailing.clients.order_by("id"))
    unsubscribed = _unsubscribed(mailing.owner_id)
    MailingRun.objects.filter(pk=run.pk).update(total=len(clients))
    done = set(Attempt.objects.filter(run=run).values_list("client_id", flat=True))
    connection = get_connection(fail_silently=False)
    _connection_open(connection)
    try:
        for client in clients:
            if client.pk in done:
                continue
            skipped = client.email.lower() in unsubscribed
            # Built before the attempt exists: an error here leaves no attempt stuck in "sending".
            email = None if skipped else build_email(mailing=mailing, client=client, connection=connection)
            try:
                with transaction.atomic():
                    attempt = Attempt.objects.create(
                        run=run,
                        mailing=mailing,
                        client=client,
                        email=client.email,
                        status=Attempt.Status.SKIPPED if skipped else Attempt.Status.SENDING,
                    )
            except IntegrityError:
                continue  # another worker has this recipient
            if skipped:
                continue
            ok, response = _deliver(email)
            Attempt.objects.filter(pk=attempt.pk).update(
                status=Attempt.Status.SUCCESS if ok else Attempt.Status.FAILURE,
                response=response[:2000],
                tries=1,
                attempted_at=timezone.now(),
                next_try_at=None if ok else _retry_at(1),
            )
    finally:
        _connection_close(connection)
    if Attempt.objects.filter(run=run).count() >= len(clients):
        MailingRun.objects.filter(pk=run.pk).update(status=MailingRun.Status.FINISHED, finished_at=timezone.now())
    run.refresh_from_db()
    return run


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
    if not due:
        return 0
    retried = 0
    connection = get_connection(fail_silently=False)
    _connection_open(connection)  # opened once: otherwise every send opens and closes its own
    try:
        for attempt in due:
            claimed = Attempt.objects.filter(pk=attempt.pk, status=Attempt.Status.FAILURE, tries=attempt.tries).update(
                status=Attempt.Status.SENDING
            )
            if not claimed:
                continue
            if attempt.email.lower() in _unsubscribed(attempt.mailing.owner_id):
                Attempt.objects.filter(pk=attempt.pk).update(status=Attempt.Status.SKIPPED, next_try_at=None)
                continue
            email = build_email(mailing=attempt.mailing, client=attempt.client, connection=connection)
            ok, response = _deliver(email)
            tries = attempt.tries + 1
            Attempt.objects.filter(pk=attempt.pk).update(
                status=Attempt.Status.SUCCESS if ok else Attempt.Status.FAILURE,
                response=response[:2000],
                tries=tries,
                attempted_at=timezone.now(),
                next_try_at=None if ok else _retry_at(tries),
            )
            retried += 1
    finally:
        _connection_close(connection)
    return retried


def unfinished_runs_resume() -> int:
    """Runs whose worker died half-way (no activity for a while) are executed again."""
    stale = timezone.now() - timedelta(minutes=settings.MAILINGS_RUN_STALE_MINUTES)
    resumed = 0
    stale_runs = MailingRun.objects.filter(
        status=MailingRun.Status.RUNNING, started_at__lt=stale, mailing__is_active=True
    ).values_list("pk", flat=True)
    for run_id in stale_runs:
        run_execute(run_id=run_id)
        resumed += 1
    return resumed


def expired_mailings_complete(*, now: datetime) -> int:
    completed = Mailing.objects.filter(
        Q(end_at__lt=now) | Q(next_send_at__isnull=True, status=Mailing.Status.RUNNING),
        status__in=[Mailing.Status.CREATED, Mailing.Status.RUNNING],
    ).update(status=Mailing.Status.COMPLETED, next_send_at=None)
    if completed:
        cache.delete(HOME_CACHE_KEY)
    return completed


def send_due_mailings() -> dict[str, int]:
    """The scheduled job: send due runs, retry failures, resume crashed runs, close ended mailings."""
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
        "retried": failed_attempts_retry(now=now),
        "resumed": unfinished_runs_resume(),
        "completed": expired_mailings_complete(now=now),
    }
