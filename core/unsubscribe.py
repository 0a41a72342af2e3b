"""The unsubscribe page every bulk email links to (mailings, the shop newsletter), safe from link scanners.

- GET only shows the page: a scanner that opens every link in an email unsubscribes nobody.
- The page's confirm button POSTs (with the CSRF token); after it, an undo button POSTs the same
  token back to subscribe again.
- A mail client's own one-click button (RFC 8058) POSTs ``List-Unsubscribe=One-Click`` to the URL
  of the ``List-Unsubscribe`` header without any CSRF token: that one body unsubscribes at once
  and answers 200. The signed token in the URL is what authorises it, so the view is
  ``csrf_exempt`` and every other POST has its CSRF token checked here.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.utils.translation import gettext as _

TEMPLATE = "core/unsubscribe.html"
ONE_CLICK_FIELD, ONE_CLICK_VALUE = "List-Unsubscribe", "One-Click"
UNSUBSCRIBE, RESUBSCRIBE = "unsubscribe", "resubscribe"


@dataclass(frozen=True)
class UnsubscribeTexts:
    """What the page says for one kind of email; ``%(email)s`` stands for the reader's address."""

    question: str
    done: str
    done_detail: str
    undone: str
    undone_detail: str


@dataclass(frozen=True)
class UnsubscribeFlow:
    """One kind of email's unsubscribe: each callable takes the link's token.

    ``find`` answers the reader's address and whether it is unsubscribed now, or raises
    ``signing.BadSignature`` for a link that is not (or no longer) valid.
    """

    find: Callable[[str], tuple[str, bool]]
    unsubscribe: Callable[[str], object]
    resubscribe: Callable[[str], object]
    texts: UnsubscribeTexts


def _csrf_refusal(request: HttpRequest) -> HttpResponse | None:
    """The CSRF check the exempt view skipped (the site's CSRF failure page, or None when it passes)."""
    # ``process_view`` with no view callback applies the check to this request as to any other view.
    return CsrfViewMiddleware(lambda _request: HttpResponse()).process_view(request, None, (), {})  # type: ignore[arg-type]


def unsubscribe_page(request: HttpRequest, *, token: str, flow: UnsubscribeFlow) -> HttpResponse:
    try:
        email, unsubscribed = flow.find(token)
    except signing.BadSignature:
        return render(request, TEMPLATE, {"invalid": True}, status=400)
    state, error, status = ("done" if unsubscribed else "ask"), "", 200
    if request.method == "POST":
        if request.POST.get(ONE_CLICK_FIELD) == ONE_CLICK_VALUE:
            flow.unsubscribe(token)
            state = "done"
        elif (refusal := _csrf_refusal(request)) is not None:
            return refusal
        elif request.POST.get("action") == UNSUBSCRIBE:
            flow.unsubscribe(token)
            state = "done"
        elif request.POST.get("action") == RESUBSCRIBE:
            flow.resubscribe(token)
            state = "undone"
        else:
            error, status = _("Choose one of the buttons below."), 400
    texts = flow.texts
    return render(
        request,
        TEMPLATE,
        {
            "state": state,
            "error": error,
            "email": email,
            "question": texts.question,
            "done": texts.done,
            "done_detail": texts.done_detail % {"email": email},
            "undone": texts.undone,
            "undone_detail": texts.undone_detail % {"email": email},
            "unsubscribe_action": UNSUBSCRIBE,
            "resubscribe_action": RESUBSCRIBE,
        },
        status=status,
    )
