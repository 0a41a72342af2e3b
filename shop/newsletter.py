"""The weekly shop newsletter: the 5 newest products and each subscriber's "for you" picks.

Guarantees:
- Exactly once per subscriber per ISO week: a ``NewsletterDelivery(user, week)`` row is inserted
  (and committed) *before* the email is handed to the SMTP server, and ``(user, week)`` is unique.
  A second run in the same week, or a run started at the same moment, cannot send it again.
- No silent loss: every delivery ends in one visible state — sent, failed, skipped or unknown.
  A process that dies between the claim and the server's answer leaves the row in ``sending``;
  once it is older than ``SHOP_NEWSLETTER_LEASE_SECONDS`` (longer than one SMTP conversation)
  the next newsletter job marks it ``unknown`` — the email may or may not have arrived — and
  never re-sends it by itself (at most once, never twice). Staff may send unknown deliveries
  again from the admin (``services.newsletter_unknown_resend``); an unsubscribed reader is
  then ``skipped``.
- A delivery the server refuses is recorded as ``failed`` with the server's answer (no retry:
  the next newsletter is a week away).
- One SMTP connection is opened for the whole job and reused for every subscriber; the delivery
  itself goes through the core email layer (``core.emails.email_deliver``), which turns SMTP
  errors into the server's answer and reconnects after a dropped connection.
- Every email has text and HTML parts, a one-click unsubscribe link (signed token, no login; the
  shared ``core/email/unsubscribe`` footer) and the ``List-Unsubscribe`` /
  ``List-Unsubscribe-Post`` headers (RFC 8058).
"""

import logging
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from core.emails import (
    EmailDeliveryError,
    connection_close,
    connection_open,
    email_build,
    email_deliver,
    unsubscribe_headers,
)
from shop import selectors, services
from shop.models import NewsletterDelivery, Product

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "shop.newsletter"
NEWEST_COUNT = 5
PICKS_COUNT = 4
BATCH_SIZE = 200
TEMPLATE = "shop/email/newsletter"


def iso_week(moment: datetime) -> str:
    """The newsletter's week key in the site's time zone, e.g. ``"2026-W48"``."""
    year, week, _weekday = timezone.localtime(moment).isocalendar()
    return f"{year}-W{week:02d}"


# --- Unsubscribe links ---------------------------------------------------------------------


def unsubscribe_token(*, user: User) -> str:
    return signing.dumps({"user": user.pk}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_url(*, user: User) -> str:
    return settings.SITE_URL + reverse("shop:newsletter-unsubscribe", args=[unsubscribe_token(user=user)])


def subscriber_from_token(token: str) -> User:
    """The user a link was made for; ``BadSignature`` for a tampered link or a deleted account."""
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    user_id: Any = data.get("user") if isinstance(data, dict) else None
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise signing.BadSignature("The account of this link no longer exists.")
    return user


# --- Building the email --------------------------------------------------------------------


def subscribers():
    """Active, confirmed, not blocked users who opted in."""
    return User.objects.filter(
        is_active=True, is_blocked=False, email_confirmed_at__isnull=False, newsletter=True
    ).exclude(email="")


def newest_products() -> list[Product]:
    return list(selectors.active_products().order_by("-created_at", "-id")[:NEWEST_COUNT])


def _product_entry(product: Product) -> dict:
    return {
        "product": product,
        "url": settings.SITE_URL + reverse("shop:product-detail", args=[product.pk]),
    }


def build_email(
    *, user: User, newest: list[Product], connection: BaseEmailBackend | None = None
) -> EmailMultiAlternatives:
    """Text and HTML parts with the newest products, the user's picks and the unsubscribe link."""
    # Picks never repeat the newest products; asking for more candidates than we show keeps the
    # picks from running dry when the user's favourite category is where the newest ones are.
    picks = selectors.for_you(
        user=user, exclude_ids=[product.pk for product in newest], limit=PICKS_COUNT + len(newest)
    )[:PICKS_COUNT]
    link = unsubscribe_url(user=user)
    context = {
        "user": user,
        "newest": [_product_entry(product) for product in newest],
        "picks": [_product_entry(product) for product in picks],
        "shop_url": settings.SITE_URL + reverse("shop:product-list"),
        "unsubscribe_url": link,
    }
    return email_build(
        to=[user.email],
        template=TEMPLATE,
        context=context,
        headers=unsubscribe_headers(link),
        connection=connection,
    )


# --- The job -------------------------------------------------------------------------------


def newsletter_send_weekly(now: datetime | None = None) -> dict:
    """Send this week's newsletter to every subscriber who has not had it yet. Safe to run twice.

    First, deliveries a dead run left in flight past the lease are declared unknown (whatever week
    they belong to): ``unknown`` counts them.
    """
    result: dict = {"week": iso_week(now or timezone.now()), "sent": 0, "failed": 0, "skipped": 0}
    # The lease is measured on the real clock, not on the week being sent.
    result["unknown"] = services.newsletter_deliveries_recover()
    week = result["week"]
    newest = newest_products()
    if not newest:
        logger.info("No active products: the newsletter of %s is not sent", week)
        return result
    already = NewsletterDelivery.objects.filter(user=OuterRef("pk"), week=week)
    ids = list(subscribers().exclude(Exists(already)).order_by("pk").values_list("pk", flat=True))
    if not ids:
        return result
    connection = get_connection(fail_silently=False)
    # Opened once, before anyone is claimed: if the server is unreachable the job fails and
    # nobody's week is used up.
    connection.open()
    try:
        for start in range(0, len(ids), BATCH_SIZE):
            # Re-checked per batch: a user who unsubscribed or was blocked meanwhile is left out.
            for user in subscribers().filter(pk__in=ids[start : start + BATCH_SIZE]).order_by("pk"):
                outcome = _send_one(user=user, week=week, newest=newest, connection=connection)
                result[outcome] += 1
    finally:
        connection_close(connection)
    return result


def _send_one(*, user: User, week: str, newest: list[Product], connection: BaseEmailBackend) -> str:
    try:
        # Built before the claim: an error here leaves no row stuck in "sending".
        email = build_email(user=user, newest=newest, connection=connection)
    except Exception:
        logger.exception("Building the newsletter for user %s failed", user.pk)
        return "failed"
    delivery = services.newsletter_delivery_claim(user=user, week=week)
    if delivery is None:
        return "skipped"  # another run has this subscriber
    try:
        response, ok = email_deliver(message=email, connection=connection), True
    except EmailDeliveryError as error:
        response, ok = error.response, False
    services.newsletter_delivery_record(delivery=delivery, ok=ok, response=response)
    return "sent" if ok else "failed"


# --- Unknown deliveries sent again by staff ------------------------------------------------


def unknown_deliveries_resend(*, delivery_ids: list[int]) -> dict[str, int]:
    """Send these unknown deliveries again with this week's products, over one connection.

    Each is claimed back into ``sending`` (its clock restarts), so a sender dying here leaves it
    to be found unknown again; a reader who is no longer a subscriber is skipped.
    """
    result = {"sent": 0, "failed": 0, "skipped": 0}
    deliveries = list(
        NewsletterDelivery.objects.filter(pk__in=delivery_ids, status=NewsletterDelivery.Status.UNKNOWN)
        .select_related("user")
        .order_by("pk")
    )
    newest = newest_products()
    if not deliveries or not newest:
        # Without active products there is nothing to send: the deliveries stay unknown.
        return result
    subscribed = set(
        subscribers().filter(pk__in=[delivery.user_id for delivery in deliveries]).values_list("pk", flat=True)
    )
    connection = get_connection(fail_silently=False)
    connection_open(connection)
    try:
        for delivery in deliveries:
            if delivery.user_id not in subscribed:
                if services.newsletter_delivery_resend_claim(delivery=delivery, subscribed=False):
                    result["skipped"] += 1
                continue
            try:
                # Built before the claim: an error here leaves the delivery unknown, not in flight.
                email = build_email(user=delivery.user, newest=newest, connection=connection)
            except Exception:
                logger.exception("Building the newsletter for user %s failed; it stays unknown", delivery.user_id)
                continue
            if not services.newsletter_delivery_resend_claim(delivery=delivery, subscribed=True):
                continue  # another task took it first
            try:
                response, ok = email_deliver(message=email, connection=connection), True
            except EmailDeliveryError as error:
                response, ok = error.response, False
            services.newsletter_delivery_record(delivery=delivery, ok=ok, response=response)
            result["sent" if ok else "failed"] += 1
    finally:
        connection_close(connection)
    return result
