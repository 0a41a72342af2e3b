"""Every write of mailings goes through these functions (the sending engine is ``sending.py``)."""

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, Q
from django.db.models.functions import Lower
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts import services as accounts_services
from accounts.models import User
from core.permissions import is_manager
from core.services import audit_record
from core.timezones import validate_time_zone
from mailings import sending
from mailings.models import Attempt, Client, Mailing, MailingRun, MailMessage, Unsubscribe
from mailings.selectors import clients_version_key, home_keys, mailing_if_editable
from mailings.tasks import resend_unknown, retry_failed, send_run

CSV_ERRORS_SHOWN = 20
CSV_BATCH_SIZE = 1000
# OWASP CSV injection: a spreadsheet runs a cell starting with one of these as a formula. Leading
# quotes are part of the pattern so that an escaped-looking cell is escaped again (exact round trip).
CSV_FORMULA_START = re.compile(r"'*[=+\-@\t\r]")
CLIENT_EMAIL_MAX = cast(int, Client._meta.get_field("email").max_length)
CLIENT_NAME_MAX = cast(int, Client._meta.get_field("full_name").max_length)
CLIENT_COMMENT_MAX = 5000
# Mailing dates outside these years are refused: they cannot be sent, and year 1 overflows on conversion to UTC.
MAILING_FIRST_YEAR = 2000
MAILING_LAST_YEAR = 2999
SUBJECT_MAX = cast(int, MailMessage._meta.get_field("subject").max_length)


def home_cache_clear(owner_id: int) -> None:
    """The section home's cached numbers: the platform totals and the owner's own."""
    cache.delete_many(home_keys([owner_id]))


def _clients_version_bump(owner: User) -> None:
    """Cached client pages are keyed by a per-owner version; a new version makes them stale."""
    key = clients_version_key(owner.pk)
    # Kept without expiry: if it expired, numbering would restart and revive pages cached earlier.
    if cache.add(key, 2, timeout=None) is False:
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 2, timeout=None)


def _changed(owner: User) -> None:
    transaction.on_commit(lambda: home_cache_clear(owner.pk))
    transaction.on_commit(lambda: _clients_version_bump(owner))


def caches_invalidate(owner: User) -> None:
    """Drop the cached section home and the owner's client pages (for writes outside these services)."""
    _changed(owner)


# --- Clients -------------------------------------------------------------------------------


def _client_values(email: str, full_name: str, comment: str) -> tuple[str, str, str, dict[str, list[str]]]:
    """Normalise one client's fields and list what is wrong with them (the form, the API and the CSV share it)."""
    email, full_name, comment = (email or "").strip(), " ".join((full_name or "").split()), comment or ""
    errors: dict[str, list[str]] = {}
    for field, value in (("email", email), ("full_name", full_name), ("comment", comment)):
        # PostgreSQL cannot store a NUL character in text: refuse it here rather than fail on save.
        if "\x00" in value:
            errors[field] = [_("Remove the NUL character.")]
    if "email" not in errors:
        if len(email) > CLIENT_EMAIL_MAX:
            errors["email"] = [_("At most %(max)s characters.") % {"max": CLIENT_EMAIL_MAX}]
        else:
            try:
                validate_email(email)
            except ValidationError:
                errors["email"] = [_("Enter a valid email address.")]
    if "full_name" not in errors:
        if not full_name:
            errors["full_name"] = [_("Enter the client's name.")]
        elif len(full_name) > CLIENT_NAME_MAX:
            errors["full_name"] = [_("At most %(max)s characters.") % {"max": CLIENT_NAME_MAX}]
    if "comment" not in errors and len(comment) > CLIENT_COMMENT_MAX:
        errors["comment"] = [_("At most %(max)s characters.") % {"max": CLIENT_COMMENT_MAX}]
    return email, full_name, comment, errors


def _clean_client(
    owner: User, email: str, full_name: str, comment: str, exclude_pk: int | None = None
) -> tuple[str, str, str]:
    email, full_name, comment, errors = _client_values(email, full_name, comment)
    duplicates = Client.objects.filter(owner=owner, email__iexact=email)
    if exclude_pk is not None:
        duplicates = duplicates.exclude(pk=exclude_pk)
    if email and "email" not in errors and duplicates.exists():
        errors["email"] = [_("You already have a client with this email.")]
    if errors:
        raise ValidationError(errors)
    return email, full_name, comment


def client_create(*, owner: User, email: str, full_name: str, comment: str = "") -> Client:
    email, full_name, comment = _clean_client(owner, email, full_name, comment)
    try:
        with transaction.atomic():
            client = Client.objects.create(owner=owner, email=email, full_name=full_name, comment=comment)
            audit_record(action="mailings.client_created", actor=owner, target=client)
            _changed(owner)
    except IntegrityError:
        raise ValidationError({"email": [_("You already have a client with this email.")]}) from None
    return client


def client_update(*, client: Client, email: str, full_name: str, comment: str = "") -> Client:
    email, full_name, comment = _clean_client(client.owner, email, full_name, comment, exclude_pk=client.pk)
    try:
        with transaction.atomic():
            client.email, client.full_name, client.comment = email, full_name, comment
            client.save(update_fields=["email", "full_name", "comment", "updated_at"])
            audit_record(action="mailings.client_updated", actor=client.owner, target=client)
            _changed(client.owner)
    except IntegrityError:  # another request took the email between the check and the save
        client.refresh_from_db()
        raise ValidationError({"email": [_("You already have a client with this email.")]}) from None
    return client


def client_delete(*, client: Client, actor: User | None = None, request: HttpRequest | None = None) -> None:
    """The owner deletes a client, or a superuser in the admin erases one (e.g. on that person's request)."""
    with transaction.atomic():
        owner = client.owner
        audit_record(action="mailings.client_deleted", actor=actor or owner, target=client, request=request)
        client.delete()
        _changed(owner)


def csv_cell_escape(value: str) -> str:
    """A cell a spreadsheet would run as a formula gets a leading ``'`` (OWASP CSV injection).

    A cell that merely looks escaped (quotes, then a formula character) gets one more quote, so
    ``csv_cell_unescape`` gives back exactly what was exported.
    """
    return "'" + value if CSV_FORMULA_START.match(value) else value


def csv_cell_unescape(value: str) -> str:
    """The exact inverse of ``csv_cell_escape``: one leading ``'`` before a formula character is dropped."""
    return value[1:] if value.startswith("'") and CSV_FORMULA_START.match(value, 1) else value


@dataclass(frozen=True)
class ClientImport:
    created: int
    updated: int
    unchanged: int


def _csv_rows(content: bytes) -> list[tuple[int, list[str]]]:
    """The data rows of the file (no header, no blank row) with the line each starts on.

    Refuses a file over the size or row limit before any row is checked.
    """
    if len(content) > settings.MAILINGS_IMPORT_MAX_BYTES:
        raise ValidationError(
            _("The file is too large (at most %(size)s).")
            % {"size": filesizeformat(settings.MAILINGS_IMPORT_MAX_BYTES)}
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(_("The file must be UTF-8 encoded CSV.")) from None
    reader = csv.reader(io.StringIO(text))
    rows: list[tuple[int, list[str]]] = []
    max_rows = settings.MAILINGS_IMPORT_MAX_ROWS
    try:
        line = 1
        for row in reader:
            is_header = line == 1 and bool(row) and row[0].strip().lower() == "email"
            if not is_header and any(cell.strip() for cell in row):
                rows.append((line, row))  # the line the row starts on (a quoted cell may span lines)
            line = reader.line_num + 1
            if len(rows) > max_rows:
                raise ValidationError(_("At most %(max)s rows per import.") % {"max": max_rows})
    except csv.Error as error:
        raise ValidationError(
            _("Line %(line)s: the file is not valid CSV (%(error)s).") % {"line": reader.line_num, "error": error}
        ) from None
    return rows


def _import_refused(problems: list[str]) -> ValidationError:
    shown = problems[:CSV_ERRORS_SHOWN]
    more = len(problems) - len(shown)
    if more:
        shown.append(ngettext("… and %(count)s more error.", "… and %(count)s more errors.", more) % {"count": more})
    return ValidationError(shown)


def clients_import_csv(*, owner: User, content: bytes, update_existing: bool = False) -> ClientImport:
    """Import ``email,full_name,comment`` rows (a header row is optional), all or nothing.

    Every row is checked before anything is saved: with one bad row nothing is imported, and the
    error names the first bad rows by line, then how many more. A client already on the owner's
    list (same email) keeps its data, or takes the file's with ``update_existing``. Cells escaped
    by the export are read back as they were.
    """
    rows = _csv_rows(content)
    existing = {client.email.lower(): client for client in Client.objects.filter(owner=owner)}
    problems: list[str] = []
    seen: dict[str, int] = {}
    new: list[Client] = []
    changed: list[Client] = []
    unchanged = 0
    now = timezone.now()
    for line, row in rows:
        if any(cell.strip() for cell in row[3:]):
            problems.append(_("Line %(line)s: at most 3 columns (email, full name, comment).") % {"line": line})
            continue
        cells = [csv_cell_unescape(cell) for cell in row[:3]] + [""] * (3 - len(row[:3]))
        email, full_name, comment, errors = _client_values(*cells)
        if errors:
            problem = " ".join(message for messages in errors.values() for message in messages)
            problems.append(_("Line %(line)s: %(problem)s") % {"line": line, "problem": problem})
            continue
        key = email.lower()
        if key in seen:
            problems.append(
                _("Line %(line)s: %(email)s is already on line %(first)s.")
                % {"line": line, "email": email, "first": seen[key]}
            )
            continue
        seen[key] = line
        client = existing.get(key)
        if client is None:
            new.append(Client(owner=owner, email=email, full_name=full_name, comment=comment))
        elif update_existing and (client.full_name, client.comment) != (full_name, comment):
            client.full_name, client.comment, client.updated_at = full_name, comment, now
            changed.append(client)
        else:
            unchanged += 1
    if problems:
        raise _import_refused(problems)
    result = ClientImport(created=len(new), updated=len(changed), unchanged=unchanged)
    with transaction.atomic():
        try:
            Client.objects.bulk_create(new, batch_size=CSV_BATCH_SIZE)
        except IntegrityError:  # another request added one of these emails since the check
            raise ValidationError(_("Some of these clients were added meanwhile; import the file again.")) from None
        Client.objects.bulk_update(changed, ["full_name", "comment", "updated_at"], batch_size=CSV_BATCH_SIZE)
        audit_record(
            action="mailings.clients_imported",
            actor=owner,
            details={"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
        )
        _changed(owner)  # one cache invalidation for the whole file
    return result


def clients_export_csv(*, owner: User) -> str:
    """The owner's clients as CSV; formula-like cells are escaped (``clients_import_csv`` reads them back)."""
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow(["email", "full_name", "comment"])
    for client in Client.objects.filter(owner=owner).order_by(Lower("email")):
        writer.writerow([csv_cell_escape(value) for value in (client.email, client.full_name, client.comment)])
    return output.getvalue()


# --- Messages ------------------------------------------------------------------------------


def _clean_message(subject: str, body: str) -> tuple[str, str]:
    subject, body = " ".join((subject or "").split()), (body or "").strip()
    errors = {}
    if not subject:
        errors["subject"] = [_("Enter a subject.")]
    elif len(subject) > SUBJECT_MAX:
        errors["subject"] = [_("At most %(max)s characters.") % {"max": SUBJECT_MAX}]
    if not body:
        errors["body"] = [_("Write the message.")]
    if errors:
        raise ValidationError(errors)
    return subject, body


def mail_message_create(*, owner: User, subject: str, body: str, body_html: str = "") -> MailMessage:
    subject, body = _clean_message(subject, body)
    with transaction.atomic():
        message = MailMessage.objects.create(owner=owner, subject=subject, body=body, body_html=body_html or "")
        audit_record(action="mailings.message_created", actor=owner, target=message)
    return message


def mail_message_update(*, message: MailMessage, subject: str, body: str, body_html: str = "") -> MailMessage:
    message.subject, message.body = _clean_message(subject, body)
    message.body_html = body_html or ""
    with transaction.atomic():
        message.save(update_fields=["subject", "body", "body_html", "updated_at"])
        audit_record(action="mailings.message_updated", actor=message.owner, target=message)
    return message


def mail_message_delete(*, message: MailMessage) -> None:
    in_use = ValidationError(_("This message is used by a mailing; delete the mailing first."))
    if message.mailings.exists():
        raise in_use
    try:
        with transaction.atomic():
            audit_record(action="mailings.message_deleted", actor=message.owner, target=message)
            message.delete()
    except ProtectedError:  # a mailing took it in the meantime (the audit row is rolled back too)
        raise in_use from None


# --- Mailings ------------------------------------------------------------------------------


def _date_errors(*, start_at: datetime, end_at: datetime) -> dict[str, list[str]]:
    """Dates a mailing can be scheduled with: within years that convert to UTC in any zone, ending later."""
    errors: dict[str, list[str]] = {}
    # Checked on the typed (local) year first: comparing or converting a year-1 date overflows.
    if start_at.year < MAILING_FIRST_YEAR:
        errors["start_at"] = [_("Enter a date from the year %(year)s on.") % {"year": MAILING_FIRST_YEAR}]
    if not MAILING_FIRST_YEAR <= end_at.year <= MAILING_LAST_YEAR:
        errors["end_at"] = [
            _("Enter a date between the years %(first)s and %(last)s.")
            % {"first": MAILING_FIRST_YEAR, "last": MAILING_LAST_YEAR}
        ]
    if errors:
        return errors
    if end_at <= start_at:
        errors["end_at"] = [_("The end must come after the first send.")]
    elif end_at <= timezone.now():
        # A mailing whose end has passed would never send (or, before this check, sent once at once).
        errors["end_at"] = [_("The end is already past: choose a later end.")]
    return errors


def _clean_mailing(
    *,
    owner: User,
    message: MailMessage,
    clients: list[Client],
    start_at: datetime,
    end_at: datetime,
    periodicity: str,
    time_zone: str,
) -> None:
    errors: dict[str, list[str]] = {}
    if message.owner_id != owner.pk:
        errors["message"] = [_("Choose one of your messages.")]
    if not clients:
        errors["clients"] = [_("Choose at least one client.")]
    elif any(client.owner_id != owner.pk for client in clients):
        errors["clients"] = [_("Choose among your clients.")]
    errors.update(_date_errors(start_at=start_at, end_at=end_at))
    if periodicity not in Mailing.Periodicity.values:
        errors["periodicity"] = [_("Choose once, daily, weekly or monthly.")]
    try:
        validate_time_zone(time_zone)
    except ValidationError as error:
        errors["time_zone"] = error.messages
    if errors:
        raise ValidationError(errors)


def mailing_create(
    *,
    owner: User,
    message: MailMessage,
    clients: list[Client],
    start_at: datetime,
    end_at: datetime,
    periodicity: str,
    time_zone: str = "UTC",
    is_active: bool = True,
) -> Mailing:
    clients = list(clients)
    _clean_mailing(
        owner=owner,
        message=message,
        clients=clients,
        start_at=start_at,
        end_at=end_at,
        periodicity=periodicity,
        time_zone=time_zone,
    )
    with transaction.atomic():
        mailing = Mailing(
            owner=owner,
            message=message,
            start_at=start_at,
            end_at=end_at,
            periodicity=periodicity,
            time_zone=time_zone,
            is_active=is_active,
            # Created switched off, it is a stopped mailing (resumed like any other).
            status=Mailing.Status.CREATED if is_active else Mailing.Status.STOPPED,
        )
        mailing.next_send_at = sending.next_send_after(mailing, None) if is_active else None
        mailing.save()
        mailing.clients.set(clients)
        audit_record(action="mailings.created", actor=owner, target=mailing)
        _changed(owner)
    return mailing


def mailing_update(*, mailing: Mailing, actor: User, **fields: Any) -> Mailing:
    """Owners edit a mailing only before its first send: ``created``, or ``stopped`` with no run.

    ``is_active`` switches it between those two statuses.
    """
    if mailing.owner_id != actor.pk:
        raise PermissionDenied(_("Only the owner can edit a mailing."))
    if not mailing_if_editable(mailing).exists():
        raise ValidationError(_("A mailing can be edited only before its first send."))
    clients = list(fields.pop("clients", mailing.clients.all()))
    values = {
        "message": mailing.message,
        "start_at": mailing.start_at,
        "end_at": mailing.end_at,
        "periodicity": mailing.periodicity,
        "time_zone": mailing.time_zone,
        "is_active": mailing.is_active,
        **fields,
    }
    _clean_mailing(
        owner=actor,
        clients=clients,
        **{key: values[key] for key in ("message", "start_at", "end_at", "periodicity", "time_zone")},
    )
    if values["is_active"] and not mailing.is_active and mailing.disabled_by_id not in (None, actor.pk):
        raise ValidationError({"is_active": [_("A manager disabled this mailing; only a manager can undo that.")]})
    with transaction.atomic():
        # The scheduler may have claimed the first send since the check above: look again, locked.
        if not mailing_if_editable(mailing).select_for_update().exists():
            raise ValidationError(_("A mailing can be edited only before its first send."))
        for key, value in values.items():
            setattr(mailing, key, value)
        if mailing.is_active:
            mailing.disabled_by = None
            mailing.status = Mailing.Status.CREATED
            mailing.next_send_at = sending.next_send_after(mailing, None)
        else:
            mailing.status, mailing.next_send_at = Mailing.Status.STOPPED, None
        mailing.save()
        mailing.clients.set(clients)
        audit_record(action="mailings.updated", actor=actor, target=mailing)
        _changed(mailing.owner)
    return mailing


def mailing_delete(*, mailing: Mailing, actor: User) -> None:
    if mailing.owner_id != actor.pk:
        raise PermissionDenied(_("Only the owner can delete a mailing."))
    if mailing.status == Mailing.Status.RUNNING:
        raise ValidationError(_("A running mailing cannot be deleted; stop it first."))
    with transaction.atomic():
        if Mailing.objects.select_for_update().filter(pk=mailing.pk, status=Mailing.Status.RUNNING).exists():
            raise ValidationError(_("A running mailing cannot be deleted; stop it first."))
        audit_record(action="mailings.deleted", actor=actor, target=mailing)
        owner = mailing.owner
        mailing.delete()
        _changed(owner)


def _check_can_stop(*, mailing: Mailing, actor: User) -> None:
    if mailing.owner_id != actor.pk and not is_manager(actor):
        raise PermissionDenied(_("Only the owner or a manager can stop a mailing."))


def mailing_stop(*, mailing: Mailing, actor: User) -> Mailing:
    """The owner stops a mailing, or a manager disables anyone's: status ``stopped``, nothing scheduled.

    A run being sent ends at its next recipient (the sender checks before each one); a run
    nobody is sending (queued, or its sender died) is ended here, so resuming the mailing later
    does not finish an old slot.
    """
    _check_can_stop(mailing=mailing, actor=actor)
    with transaction.atomic():
        current = Mailing.objects.select_for_update().get(pk=mailing.pk)
        if current.status == Mailing.Status.COMPLETED:
            raise ValidationError(_("This mailing is completed: there is nothing to stop."))
        if current.status == Mailing.Status.STOPPED:
            mailing.refresh_from_db()
            return mailing  # a second click changes nothing
        now = timezone.now()
        Mailing.objects.filter(pk=mailing.pk).update(
            status=Mailing.Status.STOPPED, is_active=False, disabled_by=actor, next_send_at=None, updated_at=now
        )
        MailingRun.objects.filter(mailing=mailing, status=MailingRun.Status.RUNNING).filter(
            Q(claimed_by="") | Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=now - sending.lease_duration())
        ).update(status=MailingRun.Status.STOPPED, finished_at=now)
        audit_record(action="mailings.stopped", actor=actor, target=mailing, details={"was": current.status})
        _changed(mailing.owner)
    mailing.refresh_from_db()
    return mailing


def mailing_resume(*, mailing: Mailing, actor: User) -> Mailing:
    """Undo ``mailing_stop``: back to ``created`` (nothing sent yet) or ``running``, the next send
    time computed from now (slots missed while stopped are not sent); ``completed`` when no send
    time is left before the end. A mailing a manager disabled is resumed only by a manager."""
    _check_can_stop(mailing=mailing, actor=actor)
    with transaction.atomic():
        current = Mailing.objects.select_for_update().get(pk=mailing.pk)
        if current.status != Mailing.Status.STOPPED:
            raise ValidationError(_("Only a stopped mailing can be resumed."))
        if not is_manager(actor) and current.disabled_by_id not in (None, actor.pk):
            raise ValidationError(_("A manager disabled this mailing; only a manager can undo that."))
        next_send_at = sending.next_send_after(current, timezone.now())
        if next_send_at is None:
            status = Mailing.Status.COMPLETED
        elif current.runs.exists():
            status = Mailing.Status.RUNNING
        else:
            status = Mailing.Status.CREATED
        Mailing.objects.filter(pk=mailing.pk).update(
            status=status, is_active=True, disabled_by=None, next_send_at=next_send_at, updated_at=timezone.now()
        )
        audit_record(action="mailings.resumed", actor=actor, target=mailing, details={"status": status})
        _changed(mailing.owner)
    mailing.refresh_from_db()
    return mailing


def mailing_send_now(*, mailing: Mailing, actor: User | None, wait: bool = False) -> MailingRun:
    """Start a run now (the owner's "send now"); the sending happens in a task after commit.

    ``actor=None`` is the command line (``send_mailing``); ``wait=True`` sends in this process and
    returns the finished run (call it outside a transaction).
    """
    # Managers may see and stop anyone's mailing, but sending it is the owner's decision.
    if actor is not None and mailing.owner_id != actor.pk:
        raise PermissionDenied(_("Only the owner can send a mailing."))
    if not mailing.is_active:
        raise ValidationError(_("This mailing is stopped."))
    if not mailing.clients.exists():
        raise ValidationError(_("This mailing has no clients."))
    run = sending.claim_due_run(mailing_id=mailing.pk, now=timezone.now(), manual=True)
    if run is None:
        raise ValidationError(_("A send was started a moment ago; wait for it."))
    # Once something went out, the mailing is no longer editable as "created".
    if Mailing.objects.filter(pk=mailing.pk, status=Mailing.Status.CREATED).update(status=Mailing.Status.RUNNING):
        _changed(mailing.owner)
    if wait:
        return sending.run_execute(run_id=run.pk)
    transaction.on_commit(lambda: send_run.delay(run.pk))
    return run


def run_retry_failed(*, run: MailingRun, actor: User) -> int:
    """Send again, now, to the recipients of this run that failed ("retry failed only").

    Like "send now", re-sending is the owner's decision: managers may only see and stop others' mailings.
    """
    if run.mailing.owner_id != actor.pk:
        raise PermissionDenied(_("Only the owner can retry a run."))
    with transaction.atomic():
        count = Attempt.objects.filter(run=run, status=Attempt.Status.FAILURE).update(next_try_at=timezone.now())
        if count:
            audit_record(
                action="mailings.run_retried", actor=actor, target=run.mailing, details={"run": run.pk, "failed": count}
            )
            transaction.on_commit(lambda: retry_failed.delay())
    return count


def run_retry_unknown(*, run: MailingRun, actor: User) -> int:
    """The owner sends again the deliveries of this run whose outcome is unknown (a sender died
    mid-conversation). Those recipients may get the email twice: nothing does this by itself."""
    if run.mailing.owner_id != actor.pk:
        raise PermissionDenied(_("Only the owner can retry a run."))
    if not run.mailing.is_active:
        raise ValidationError(_("This mailing is stopped."))
    with transaction.atomic():
        count = Attempt.objects.filter(run=run, status=Attempt.Status.UNKNOWN).count()
        if count:
            audit_record(
                action="mailings.run_unknown_retried",
                actor=actor,
                target=run.mailing,
                details={"run": run.pk, "unknown": count},
            )
            transaction.on_commit(lambda: resend_unknown.delay(run.pk))
    return count


# --- Unsubscribing (the confirm itself is ``sending.unsubscribe``) ----------------------------


def unsubscribe_undo(*, token: str) -> bool:
    """The undo on the unsubscribe page: the address receives the owner's mailings again.

    The same signed token authorises it. Idempotent: True only when an unsubscribe was removed.
    """
    owner_id, email = sending.unsubscribe_token_read(token)
    with transaction.atomic():
        entry = Unsubscribe.objects.select_for_update().filter(owner_id=owner_id, email__iexact=email).first()
        if entry is None:
            return False
        audit_record(action="mailings.resubscribed", target=entry, details={"owner": owner_id})
        entry.delete()
    return True


# --- Managers: blocking users --------------------------------------------------------------


def _check_can_block(*, actor: User, user: User) -> None:
    if not is_manager(actor):
        raise PermissionDenied(_("Only managers can block users."))
    if user.pk == actor.pk:
        raise ValidationError(_("You cannot block yourself."))
    if user.is_superuser and not actor.is_superuser:
        raise ValidationError(_("Only a superuser can block a superuser."))


def manager_user_block(
    *, actor: User, user: User, reason: str, until: datetime | None, request: HttpRequest | None = None
) -> User:
    """A manager blocks a user; the user is emailed the reason and the end date."""
    _check_can_block(actor=actor, user=user)
    return accounts_services.user_block(user=user, reason=reason, until=until, actor=actor, request=request)


def manager_user_unblock(*, actor: User, user: User, request: HttpRequest | None = None) -> User:
    _check_can_block(actor=actor, user=user)
    return accounts_services.user_unblock(user=user, actor=actor, request=request)


# --- Account deletion ----------------------------------------------------------------------


def owner_account_deleted(*, user: User) -> None:
    """Before an account is deleted (``ACCOUNTS_DELETE_HOOKS``): all it owns here goes, running mailings included.

    Runs inside the deleting transaction. Locking the mailings makes a sender that is writing an
    attempt for one of them wait; once the rows are gone its next attempt cannot be written, so
    an in-flight run sends nothing more. Messages are deleted after the mailings that protect them.
    """
    mailing_ids = list(Mailing.objects.select_for_update().filter(owner=user).values_list("pk", flat=True))
    Attempt.objects.filter(mailing_id__in=mailing_ids).delete()
    MailingRun.objects.filter(mailing_id__in=mailing_ids).delete()
    Mailing.objects.filter(pk__in=mailing_ids).delete()
    MailMessage.objects.filter(owner=user).delete()
    Client.objects.filter(owner=user).delete()
    _changed(user)
