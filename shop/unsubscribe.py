"""The shop newsletter's unsubscribe page (the shared, link-scanner-safe ``core.unsubscribe`` page)."""

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from core.unsubscribe import UnsubscribeFlow, UnsubscribeTexts, unsubscribe_page
from shop import newsletter, services


def _find(token: str) -> tuple[str, bool]:
    user = newsletter.subscriber_from_token(token)
    return user.email, not user.newsletter


@csrf_exempt  # RFC 8058 one-click only: ``unsubscribe_page`` checks the CSRF token of every other POST.
@require_http_methods(["GET", "HEAD", "POST"])  # HEAD: link checkers, which change nothing either
def newsletter_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The link in every newsletter: a page that asks (GET changes nothing), opts out on the
    confirm button and offers an undo; the mail client's one-click POST opts out at once."""
    return unsubscribe_page(
        request,
        token=token,
        flow=UnsubscribeFlow(
            find=_find,
            unsubscribe=lambda token: services.newsletter_unsubscribe(
                user=newsletter.subscriber_from_token(token), request=request
            ),
            resubscribe=lambda token: services.newsletter_resubscribe(
                user=newsletter.subscriber_from_token(token), request=request
            ),
            texts=UnsubscribeTexts(
                question=_("Receive no more shop newsletters?"),
                done=_("You are unsubscribed from the shop newsletter"),
                done_detail=_(
                    "%(email)s will receive no more shop newsletters. You can subscribe again in your profile."
                ),
                undone=_("You are subscribed to the shop newsletter again"),
                undone_detail=_("%(email)s will receive the weekly shop newsletter again."),
            ),
        ),
    )
