"""Feedback pages: the FAQ bot's conversation, and threads with the developers.

Every thread is looked up among the signed-in user's own, so another user's thread is a 404.
Developers answer in the admin (``sitestore.feedback_admin``).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.types import AuthenticatedHttpRequest
from core.parsing import id_or_none
from sitestore import feedback_selectors as selectors
from sitestore import feedback_services as services
from sitestore.feedback_services import QUESTION_MAX, TEXT_MAX
from sitestore.models import Thread

THREADS_PER_PAGE = 20


def _thread_or_404(request: AuthenticatedHttpRequest, thread_id: int) -> Thread:
    try:
        return selectors.thread_of(request.user, thread_id)
    except Thread.DoesNotExist:
        raise Http404 from None


@login_required
def feedback(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The bot's conversation with this user and the box to ask it; POST asks."""
    errors: list[str] = []
    question = ""
    if request.method == "POST":
        question = request.POST.get("question", "")
        try:
            answer = services.bot_ask(user=request.user, question=question)
        except ValidationError as error:
            errors = error.messages
        else:
            return redirect(f"{reverse('sitestore:feedback')}#bot-{answer.pk}")
    return render(
        request,
        "sitestore/feedback.html",
        {
            "conversation": selectors.bot_conversation(request.user),
            "errors": errors,
            "question": question,
            "question_max": QUESTION_MAX,
        },
        status=400 if errors else 200,
    )


@login_required
def threads(request: AuthenticatedHttpRequest) -> HttpResponse:
    """My threads with the developers and the form to open one; POST opens it.

    ``?ask=<id>`` prefills the form with that question of mine to the bot ("Ask the developers").
    """
    errors: dict[str, list[str]] = {}
    text, site = "", ""
    if request.method == "POST":
        text, site = request.POST.get("text", ""), request.POST.get("site", "")
        try:
            thread = services.thread_open(user=request.user, text=text, site=site or None, request=request)
        except ValidationError as error:
            errors = error.message_dict
        else:
            messages.success(
                request, _("Your question is sent to the developers. You will get an email when they answer.")
            )
            return redirect("sitestore:thread", pk=thread.pk)
    else:
        asked = id_or_none(request.GET.get("ask"))
        if asked is not None:
            bot_message = selectors.bot_messages_of(request.user).filter(pk=asked).first()
            text = bot_message.question if bot_message is not None else ""
        site = request.GET.get("site", "")
    page = Paginator(selectors.threads_of(request.user), THREADS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "sitestore/threads.html",
        {
            "threads": page.object_list,
            "page": page,
            "errors": errors,
            "text": text,
            "site": site,
            "sites": selectors.thread_site_choices(request.user),
            "text_max": TEXT_MAX,
        },
        status=400 if errors else 200,
    )


@login_required
def thread_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One of my threads with all its messages; POST adds my reply."""
    thread = _thread_or_404(request, pk)
    errors: list[str] = []
    text = ""
    if request.method == "POST":
        text = request.POST.get("text", "")
        try:
            services.thread_reply_by_user(thread=thread, user=request.user, text=text)
        except ValidationError as error:
            errors = error.messages
        else:
            messages.success(request, _("Your message is sent to the developers."))
            return redirect("sitestore:thread", pk=thread.pk)
    return render(
        request,
        "sitestore/thread_detail.html",
        {
            "thread": thread,
            "thread_messages": selectors.thread_messages(thread),
            "errors": errors,
            "text": text,
            "text_max": TEXT_MAX,
        },
        status=400 if errors else 200,
    )


@login_required
@require_POST
def thread_close(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    thread = _thread_or_404(request, pk)
    services.thread_close(thread=thread, actor=request.user, request=request)
    messages.success(request, _("The thread is closed. Write in it again if you need to."))
    return redirect("sitestore:thread", pk=thread.pk)
