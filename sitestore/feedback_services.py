"""Every write of the store's feedback: FAQ entries, the FAQ bot's conversation and developer threads."""

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from accounts.models import User
from core.emails import email_send
from core.parsing import id_or_none
from core.services import audit_record, changes_apply
from sitestore.feedback import FaqDocument, FaqIndex, language_of
from sitestore.models import BotMessage, FaqEntry, Thread, ThreadMessage, UserSite

FAQ_FIELDS = ("question", "answer", "language", "is_published")
QUESTION_MAX = 500
TEXT_MAX = 5000
SUBJECT_WORDS = 12


def _text(value: object, *, field: str, maximum: int, empty_message: str) -> str:
    """Typed text, trimmed; empty, too long or holding a NUL character is an error on ``field``."""
    text = ("" if value is None else str(value)).strip()
    try:
        ProhibitNullCharactersValidator()(text)
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from None
    if not text:
        raise ValidationError({field: [empty_message]})
    if len(text) > maximum:
        raise ValidationError(
            {
                field: [
                    _("Write at most %(maximum)d characters (you wrote %(length)d).")
                    % {"maximum": maximum, "length": len(text)}
                ]
            }
        )
    return text


# --- FAQ entries (written in the admin) ---------------------------------------------------------


def _faq_changes(entry: FaqEntry, data: dict[str, Any]) -> list[str]:
    stripped = {name: value.strip() if isinstance(value, str) else value for name, value in data.items()}
    return changes_apply(entry, stripped, allowed=FAQ_FIELDS)


def faq_entry_create(*, data: dict[str, Any], actor: User | None, request: HttpRequest | None = None) -> FaqEntry:
    entry = FaqEntry()
    fields = _faq_changes(entry, data)
    with transaction.atomic():
        entry.save()
        audit_record(
            action="sitestore.faq_created", actor=actor, target=entry, request=request, details={"fields": fields}
        )
    return entry


def faq_entry_update(
    *, entry: FaqEntry, data: dict[str, Any], actor: User | None, request: HttpRequest | None = None
) -> FaqEntry:
    with transaction.atomic():
        current = FaqEntry.objects.select_for_update().get(pk=entry.pk)
        fields = _faq_changes(current, data)
        if fields:
            current.save(update_fields=[*fields, "updated_at"])
            audit_record(
                action="sitestore.faq_updated", actor=actor, target=current, request=request, details={"fields": fields}
            )
    entry.refresh_from_db()
    return entry


def faq_entry_delete(*, entry: FaqEntry, actor: User | None, request: HttpRequest | None = None) -> None:
    with transaction.atomic():
        audit_record(
            action="sitestore.faq_deleted",
            actor=actor,
            target=entry,
            request=request,
            details={"question": entry.question},
        )
        entry.delete()


# --- The FAQ bot --------------------------------------------------------------------------------


def _faq_index() -> FaqIndex:
    """The published entries, indexed per question: a FAQ is a few dozen rows, so building the
    index costs less than caching it would, and an edit in the admin counts at once."""
    return FaqIndex(
        FaqDocument(key=pk, question=question, answer=answer, language=language)
        for pk, question, answer, language in FaqEntry.objects.filter(is_published=True).values_list(
            "pk", "question", "answer", "language"
        )
    )


def bot_ask(*, user: User, question: str) -> BotMessage:
    """Answer ``question`` from the FAQ and keep both in the user's conversation.

    The answer is the best entry's when its score reaches ``SITESTORE_BOT_THRESHOLD``; otherwise
    the bot says it is not sure and offers to pass the question to the developers. The
    conversation is the record of what was asked, so no audit row is written for it.
    """
    question = " ".join(
        _text(question, field="question", maximum=QUESTION_MAX, empty_message=_("Ask a question.")).split()
    )
    match = _faq_index().best(question, language=language_of(question))
    score = match.score if match is not None else 0.0
    confident = match is not None and score >= settings.SITESTORE_BOT_THRESHOLD
    if match is not None and confident:
        answer = match.document.answer
    else:
        answer = _("I am not sure I know the answer. Shall I pass your question to the developers?")
    with transaction.atomic():
        return BotMessage.objects.create(user=user, question=question, answer=answer, score=score, confident=confident)


# --- Developer threads --------------------------------------------------------------------------


def _developer_addresses() -> list[str]:
    """``SITESTORE_DEVELOPERS_EMAIL`` when set, else every active staff account's address."""
    if settings.SITESTORE_DEVELOPERS_EMAIL:
        return list(settings.SITESTORE_DEVELOPERS_EMAIL)
    return list(
        User.objects.filter(is_staff=True, is_active=True)
        .exclude(email="")
        .order_by("pk")
        .values_list("email", flat=True)
    )


def _email_developers(message: ThreadMessage) -> None:
    addresses = _developer_addresses()
    if not addresses:
        return
    thread = message.thread
    link = settings.SITE_URL.rstrip("/") + reverse("admin:sitestore_thread_change", args=[thread.pk])
    email_send(
        to=addresses,
        template="sitestore/emails/thread_to_developers",
        context={"thread": thread, "message": message, "author": thread.user, "link": link},
    )


def _email_owner(message: ThreadMessage) -> None:
    thread = message.thread
    if not thread.user.email:
        return
    link = settings.SITE_URL.rstrip("/") + reverse("sitestore:thread", args=[thread.pk])
    email_send(
        to=[thread.user.email],
        template="sitestore/emails/thread_to_owner",
        context={"thread": thread, "message": message, "user": thread.user, "link": link},
    )


def thread_open(
    *, user: User, text: str, site: UserSite | int | str | None = None, request: HttpRequest | None = None
) -> Thread:
    """Open a thread with the developers, about one of the user's own sites or about nothing in particular.

    A site is given as a ``UserSite`` or its id; another user's site is refused exactly like one
    that does not exist, so the form reveals nothing about other people's sites. The developers
    are emailed once the thread is saved.
    """
    errors: dict[str, list[str]] = {}
    try:
        text = _text(text, field="text", maximum=TEXT_MAX, empty_message=_("Write your question."))
    except ValidationError as error:
        errors.update(error.message_dict)
    owned_site: UserSite | None = None
    if site not in (None, ""):
        site_id = id_or_none(site.pk if isinstance(site, UserSite) else site)
        owned_site = UserSite.objects.filter(owner=user, pk=site_id).first() if site_id is not None else None
        if owned_site is None:
            errors["site"] = [_("Choose one of your own sites.")]
    if errors:
        raise ValidationError(errors)
    words = Truncator(" ".join(text.split())).words(SUBJECT_WORDS)
    subject = f"{owned_site.name}: {words}" if owned_site is not None else words
    with transaction.atomic():
        thread = Thread.objects.create(user=user, site=owned_site, subject=Truncator(subject).chars(200))
        message = ThreadMessage.objects.create(thread=thread, author=user, text=text)
        audit_record(action="sitestore.thread_opened", actor=user, target=thread, request=request)
        transaction.on_commit(lambda: _email_developers(message))
    return thread


def _reply(*, thread: Thread, author: User, text: str, from_staff: bool, status: str) -> ThreadMessage:
    with transaction.atomic():
        locked = Thread.objects.select_for_update().get(pk=thread.pk)
        message = ThreadMessage.objects.create(thread=locked, author=author, from_staff=from_staff, text=text)
        locked.status = status
        # ``updated_at`` moves too: threads are listed by their latest activity.
        locked.save(update_fields=["status", "updated_at"])
        audit_record(
            action="sitestore.thread_answered" if from_staff else "sitestore.thread_replied",
            actor=author,
            target=locked,
            details={"message": message.pk},
        )
        transaction.on_commit(lambda: (_email_owner if from_staff else _email_developers)(message))
    thread.refresh_from_db()
    return message


def thread_reply_by_user(*, thread: Thread, user: User, text: str) -> ThreadMessage:
    """The thread's owner writes again; a closed or answered thread is open again, and the developers are emailed."""
    if thread.user_id != user.pk:
        raise PermissionDenied
    text = _text(text, field="text", maximum=TEXT_MAX, empty_message=_("Write your message."))
    return _reply(thread=thread, author=user, text=text, from_staff=False, status=Thread.Status.OPEN)


def thread_reply_by_staff(*, thread: Thread, staff: User, text: str) -> ThreadMessage:
    """A developer (any staff account) answers; the thread becomes answered and its owner is emailed."""
    if not staff.is_staff:
        raise PermissionDenied
    text = _text(text, field="text", maximum=TEXT_MAX, empty_message=_("Write your answer."))
    return _reply(thread=thread, author=staff, text=text, from_staff=True, status=Thread.Status.ANSWERED)


def thread_close(*, thread: Thread, actor: User, request: HttpRequest | None = None) -> Thread:
    """Its owner or a developer closes the thread; a later message from the owner opens it again."""
    if thread.user_id != actor.pk and not actor.is_staff:
        raise PermissionDenied
    with transaction.atomic():
        updated = (
            Thread.objects.filter(pk=thread.pk)
            .exclude(status=Thread.Status.CLOSED)
            .update(status=Thread.Status.CLOSED, updated_at=timezone.now())
        )
        if updated:
            audit_record(action="sitestore.thread_closed", actor=actor, target=thread, request=request)
    thread.refresh_from_db()
    return thread
