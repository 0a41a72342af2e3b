"""Messenger pages. Every view looks the chat up among the user's own, so non-members get 404.

Live updates use short polling (``poll`` below, every CHAT_POLL_INTERVAL_MS): it needs no extra
infrastructure, survives proxies and works with gunicorn's sync workers, where server-sent events
would hold a worker per open tab.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from accounts.types import AuthenticatedHttpRequest
from chat import selectors, services
from chat.models import Chat, Message
from core.parsing import id_or_none

CHATS_PER_PAGE = 30


def _chat_or_404(request: AuthenticatedHttpRequest, chat_id: int) -> Chat:
    try:
        return selectors.chat_for_member(request.user, chat_id)
    except Chat.DoesNotExist:
        raise Http404 from None


def _errors(error: ValidationError) -> list[str]:
    return error.messages


def _since_param(value: str) -> datetime | None:
    """An ISO 8601 moment (a naive one is taken in the current time zone); None when malformed."""
    try:
        moment = parse_datetime(value)
    except ValueError:  # well-formed but impossible, e.g. 30 February
        return None
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


# A poll also returns what changed a little before the previous answer, so that an edit saved just
# before that answer but committed just after it is not missed; the browser applies it twice.
POLL_OVERLAP = timedelta(seconds=2)


@login_required
def chat_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = Paginator(selectors.chats_of(request.user), CHATS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "chat/chat_list.html", {"chats": page.object_list, "page": page})


@login_required
def chat_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    errors: list[str] = []
    title, members = request.POST.get("title", ""), request.POST.get("members", "")
    if request.method == "POST":
        try:
            chat = services.chat_create(creator=request.user, title=title, members=members)
        except ValidationError as error:
            errors = _errors(error)
        else:
            messages.success(request, _("The chat “%(title)s” is created.") % {"title": chat.title})
            return redirect("chat:detail", pk=chat.pk)
    return render(request, "chat/chat_form.html", {"errors": errors, "title": title, "members": members})


@login_required
def chat_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    chat = _chat_or_404(request, pk)
    # Taken before reading (less the overlap), so that a change made meanwhile reaches the first poll.
    since = timezone.now() - POLL_OVERLAP
    before = id_or_none(request.GET.get("before"))
    page, has_older = selectors.message_page(chat, before=before, size=settings.CHAT_PAGE_SIZE)
    if page and not before:
        services.chat_mark_read(chat=chat, user=request.user, up_to=page[-1].pk)
    return render(
        request,
        "chat/chat_detail.html",
        {
            "chat": chat,
            "page": page,
            "has_older": has_older,
            "oldest_id": page[0].pk if page else None,
            "newest_id": page[-1].pk if page else 0,
            "since": since.isoformat(),
            "poll_interval": settings.CHAT_POLL_INTERVAL_MS,
            "max_mb": settings.CHAT_ATTACHMENT_MAX_MB,
            "max_files": settings.CHAT_ATTACHMENTS_PER_MESSAGE,
            "strings": _script_strings(),
            "allowed_types": ",".join(f".{kind}" for kind in settings.CHAT_ATTACHMENT_TYPES),
            "is_archive": bool(before),
        },
    )


def _script_strings() -> dict[str, str]:
    """The page script's own messages, translated here so that the script holds no text.

    ``%(name)s`` and ``%(error)s`` are left for the script to fill in.
    """
    return {
        "tooLarge": _("The file is too large: at most %(mb)s MB.") % {"mb": settings.CHAT_ATTACHMENT_MAX_MB},
        "tooMany": services.attachments_limit_message(),
        "named": _("%(name)s: %(error)s"),
        "network": _("The message was not sent: no connection. Try again."),
        "failed": _("Something went wrong. Try again."),
    }


def _rendered(request: AuthenticatedHttpRequest, message: Message) -> dict:
    return {
        "id": message.pk,
        "html": render_to_string("chat/_message.html", {"message": message, "user": request.user}, request=request),
    }


@login_required
@require_POST
def message_send(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    chat = _chat_or_404(request, pk)
    wants_json = request.headers.get("Accept", "").startswith("application/json")
    try:
        message = services.message_send(
            chat=chat, author=request.user, text=request.POST.get("text", ""), uploads=request.FILES.getlist("file")
        )
    except ValidationError as error:
        if wants_json:
            return JsonResponse({"errors": _errors(error)}, status=400)
        for text in _errors(error):
            messages.error(request, text)
        return redirect("chat:detail", pk=chat.pk)
    if wants_json:
        return JsonResponse(_rendered(request, selectors.messages_of(chat).get(pk=message.pk)), status=201)
    return redirect(f"{reverse('chat:detail', args=[chat.pk])}#message-{message.pk}")


@login_required
@require_GET
def poll(request: AuthenticatedHttpRequest, pk: int) -> JsonResponse:
    """New messages after ``after`` and messages changed since ``since``; marks what was seen read."""
    chat = _chat_or_404(request, pk)
    after = id_or_none(request.GET.get("after", "0"), minimum=0)
    raw_since = request.GET.get("since", "")
    since = _since_param(raw_since) if raw_since else None
    if after is None or (raw_since and since is None):
        return JsonResponse({"errors": [_("Bad polling parameters.")]}, status=400)
    now = timezone.now()
    new, changed = selectors.message_updates(chat, after=after, since=since)
    if new:
        services.chat_mark_read(chat=chat, user=request.user, up_to=new[-1].pk)
    next_since = now - POLL_OVERLAP
    if len(changed) >= settings.CHAT_PAGE_SIZE:
        # More changes may wait: continue right after the last one sent (an overlap could repeat
        # the same full page for ever).
        next_since = changed[-1].changed_at
    return JsonResponse(
        {
            "messages": [_rendered(request, message) for message in new],
            "changed": [_rendered(request, message) for message in changed],
            "since": next_since.isoformat(),
        }
    )


@login_required
@require_POST
def message_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _change_message(
        request, pk, lambda: services.message_edit(message_id=pk, user=request.user, text=request.POST.get("text", ""))
    )


@login_required
@require_http_methods(["GET", "POST"])
def message_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation (the page's script asks in a dialog instead); POST deletes."""
    if request.method == "GET":
        message = selectors.own_message(request.user, pk)
        if message is None:
            raise Http404
        return render(request, "chat/message_confirm_delete.html", {"message": message})
    return _change_message(request, pk, lambda: services.message_delete(message_id=pk, user=request.user))


def _change_message(request: AuthenticatedHttpRequest, pk: int, change) -> HttpResponse:
    wants_json = request.headers.get("Accept", "").startswith("application/json")
    try:
        message = change()
    except Message.DoesNotExist:
        raise Http404 from None
    except PermissionDenied as error:
        if wants_json:
            return JsonResponse({"errors": [str(error)]}, status=403)
        raise
    except ValidationError as error:
        if wants_json:
            return JsonResponse({"errors": _errors(error)}, status=400)
        for text in _errors(error):
            messages.error(request, text)
        message = Message.objects.get(pk=pk)
        return redirect("chat:detail", pk=message.chat_id)
    if wants_json:
        return JsonResponse(_rendered(request, selectors.messages_of(message.chat).get(pk=message.pk)))
    return redirect(f"{reverse('chat:detail', args=[message.chat_id])}#message-{message.pk}")


@login_required
def chat_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    chat = _chat_or_404(request, pk)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            response = _edit_action(request, chat, action)
        except Chat.DoesNotExist:  # no longer a member (removed meanwhile)
            raise Http404 from None
        except ValidationError as error:
            for text in _errors(error):
                messages.error(request, text)
        else:
            if response is not None:
                return response
        return redirect("chat:edit", pk=chat.pk)
    return render(request, "chat/chat_edit.html", {"chat": chat, "memberships": selectors.members_of(chat)})


def _edit_action(request: AuthenticatedHttpRequest, chat: Chat, action: str | None) -> HttpResponse | None:
    if action == "rename":
        services.chat_rename(chat=chat, member=request.user, title=request.POST.get("title", ""))
        messages.success(request, _("The chat is renamed."))
    elif action == "add":
        added = services.chat_members_add(chat=chat, member=request.user, usernames=request.POST.get("usernames", ""))
        messages.success(request, _("Added: %(names)s.") % {"names": ", ".join(u.username for u in added) or "—"})
    elif action == "remove":
        user_id = id_or_none(request.POST.get("user"))
        user = User.objects.filter(pk=user_id).first() if user_id else None
        if user is None:
            raise ValidationError(_("This user is not a member of the chat."))
        services.chat_member_remove(chat=chat, owner=request.user, user=user)
        messages.success(request, _("%(name)s was removed from the chat.") % {"name": user.username})
    elif action == "leave":
        services.chat_leave(chat=chat, user=request.user)
        messages.info(request, _("You left “%(title)s”.") % {"title": chat.title})
        return redirect("chat:list")
    elif action == "delete":
        services.chat_delete(chat=chat, owner=request.user)
        messages.info(request, _("The chat “%(title)s” is deleted.") % {"title": chat.title})
        return redirect("chat:list")
    else:
        raise ValidationError(_("Unknown action."))
    return None


@login_required
def attachment_download(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    """Files are served only to members of the chat, as downloads under their original name;
    ``?inline=1`` shows an image in the browser (the previews and their full view)."""
    return selectors.attachment_download(request.user, pk, inline=request.GET.get("inline") == "1")
