"""Every write of the shop goes through these functions."""

import logging
import math
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.images import jpeg_bytes, verified_image
from core.parsing import positive_int
from core.services import audit_record, changes_apply, fields_check
from core.storage import files_delete_on_commit
from shop import selectors, tasks
from shop.models import (
    CartItem,
    Category,
    CategoryInterest,
    NewsletterDelivery,
    Order,
    OrderItem,
    PriceAdjustment,
    PriceChange,
    Product,
    SearchQuery,
)
from shop.search import is_loggable, normalize_query

logger = logging.getLogger(__name__)

MAX_LINE_QUANTITY = 99


# --- Search log ----------------------------------------------------------------------------


def search_query_log(*, query: str, user: User | None) -> SearchQuery | None:
    """Log a search in normalised form; short queries and stop words are not logged."""
    normalized = normalize_query(query)[:200]
    if not is_loggable(normalized):
        return None
    return SearchQuery.objects.create(query=normalized, user=user if user and user.is_authenticated else None)


def search_log_purge() -> int:
    """Delete logged searches older than SHOP_SEARCH_LOG_RETENTION_DAYS. Idempotent."""
    cutoff = timezone.now() - timedelta(days=settings.SHOP_SEARCH_LOG_RETENTION_DAYS)
    deleted, _counts = SearchQuery.objects.filter(created_at__lt=cutoff).delete()
    return deleted


# --- Catalogue and prices ------------------------------------------------------------------


def catalogue_changed() -> None:
    """Make every cached catalogue read (counts, companies, API pages) stale: call it from each write
    that changes what a product list shows (products, prices, stock, categories).

    The new version is published after the commit, so no reader can cache the old rows under it;
    outside a transaction it is published at once.
    """
    transaction.on_commit(
        lambda: cache.set(selectors.CATALOGUE_VERSION_KEY, uuid.uuid4().hex, selectors.catalogue_version_timeout())
    )


def products_set_active(*, products: QuerySet[Product], active: bool, actor: User | None) -> int:
    with transaction.atomic():
        ids = list(products.exclude(is_active=active).values_list("pk", flat=True))
        if not ids:
            return 0
        Product.objects.filter(pk__in=ids).update(is_active=active, updated_at=timezone.now())
        catalogue_changed()
        audit_record(
            action="shop.products_activated" if active else "shop.products_deactivated",
            actor=actor,
            details={"products": ids},
        )
    return len(ids)


def product_price_set(
    *, product: Product, price: int, actor: User | None, reason: str = PriceChange.Reason.MANUAL
) -> Product:
    """Change a price and record the change in the price history.

    A manual price replaces a running discount or mark-up: the adjustment ends here (no struck-through
    old price any more), so that its end can never put the price from before it back.
    """
    if price < 0:
        raise ValidationError({"price": [_("The price cannot be negative.")]})
    with transaction.atomic():
        current = Product.objects.select_for_update().get(pk=product.pk)
        if current.price != price:
            now = timezone.now()
            PriceChange.objects.create(
                product=current, old_price=current.price, new_price=price, reason=reason, changed_by=actor
            )
            ended = PriceAdjustment.objects.filter(product=current, restored_at=None).update(restored_at=now)
            Product.objects.filter(pk=product.pk).update(
                price=price, old_price=None if ended else current.old_price, updated_at=now
            )
            catalogue_changed()
            audit_record(
                action="shop.price_changed",
                actor=actor,
                target=current,
                details={"from": current.price, "to": price, "reason": reason, "adjustment_ended": bool(ended)},
            )
    product.refresh_from_db(fields=["price", "old_price", "updated_at"])
    return product


def price_adjustment_start(*, products: QuerySet[Product], percent: int, days: int, actor: User | None) -> int:
    """Start a discount (negative ``percent``) or mark-up for ``days`` days on each product.

    Products already under an adjustment are skipped (the unique constraint guards a race).
    Returns how many products were adjusted.
    """
    if not -90 <= percent <= 500 or percent == 0:
        raise ValidationError({"percent": [_("Enter a percentage between -90 and 500, not 0.")]})
    if not 1 <= days <= 365:
        raise ValidationError({"days": [_("Enter a number of days between 1 and 365.")]})
    now = timezone.now()
    reason = PriceChange.Reason.DISCOUNT if percent < 0 else PriceChange.Reason.MARKUP
    adjusted = 0
    for product in products:
        try:
            with transaction.atomic():
                current = Product.objects.select_for_update().get(pk=product.pk)
                new_price = max(1, math.floor(current.price * (100 + percent) / 100))
                PriceAdjustment.objects.create(
                    product=current,
                    percent=percent,
                    original_price=current.price,
                    adjusted_price=new_price,
                    starts_at=now,
                    ends_at=now + timedelta(days=days),
                    created_by=actor,
                )
                PriceChange.objects.create(
                    product=current, old_price=current.price, new_price=new_price, reason=reason, changed_by=actor
                )
                Product.objects.filter(pk=current.pk).update(
                    price=new_price, old_price=current.price if percent < 0 else None, updated_at=now
                )
                audit_record(
                    action="shop.price_adjusted",
                    actor=actor,
                    target=current,
                    details={"percent": percent, "days": days, "from": current.price, "to": new_price},
                )
        except IntegrityError:
            continue
        adjusted += 1
    if adjusted:
        catalogue_changed()
    return adjusted


def price_adjustments_restore() -> int:
    """Restore the prices of adjustments that have ended. Each is restored once, whoever runs it.

    The price goes back only while it is still the adjusted one (a conditional update): a price
    changed meanwhile by any other way stays, and only the struck-through old price goes.
    """
    restored = 0
    now = timezone.now()
    for adjustment_id in PriceAdjustment.objects.filter(restored_at=None, ends_at__lte=now).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            claimed = PriceAdjustment.objects.filter(pk=adjustment_id, restored_at=None).update(restored_at=now)
            if not claimed:
                continue
            adjustment = PriceAdjustment.objects.get(pk=adjustment_id)
            # Either branch below changes the product's price or its struck-through old price.
            catalogue_changed()
            product = Product.objects.select_for_update().get(pk=adjustment.product_id)
            still_adjusted = Product.objects.filter(pk=product.pk, price=adjustment.adjusted_price).update(
                price=adjustment.original_price, old_price=None, updated_at=now
            )
            if not still_adjusted:
                Product.objects.filter(pk=product.pk).update(old_price=None, updated_at=now)
                continue
            PriceChange.objects.create(
                product=product,
                old_price=adjustment.adjusted_price,
                new_price=adjustment.original_price,
                reason=PriceChange.Reason.RESTORE,
            )
            restored += 1
    return restored


def category_interest_record(*, user: User, category: Category, views: int = 0, purchases: int = 0) -> None:
    """Count a view of or a purchase in ``category`` for the "for you" recommendations."""
    if not user.is_authenticated:
        return
    interest, _created = CategoryInterest.objects.get_or_create(user=user, category=category)
    CategoryInterest.objects.filter(pk=interest.pk).update(
        views=F("views") + views, purchases=F("purchases") + purchases, updated_at=timezone.now()
    )


# --- Catalogue (written from the admin) ------------------------------------------------------

PRODUCT_FIELDS = ("name", "description", "image", "category", "company", "price", "stock", "is_active")
CATEGORY_FIELDS = ("name", "slug", "description")
# Stored under a random name (``product_image_upload_to``); this one only carries the extension.
PRODUCT_IMAGE_NAME = "product.jpg"


def product_image_content(upload: "UploadedFile[bytes]") -> "ContentFile[bytes]":
    """A verified product image, shrunk to SHOP_PRODUCT_IMAGE_MAX_SIDE and stored as JPEG."""
    image = verified_image(
        upload,
        field="image",
        max_mb=settings.SHOP_PRODUCT_IMAGE_MAX_MB,
        max_side=settings.SHOP_PRODUCT_IMAGE_MAX_SIDE,
    )
    return ContentFile(jpeg_bytes(image), name=PRODUCT_IMAGE_NAME)


def _product_changes(product: Product, data: dict[str, Any]) -> tuple[list[str], "ContentFile[bytes] | None"]:
    """Apply ``data`` to ``product`` in memory and validate it; the image comes back converted.

    ``data["image"]`` is an upload (replace), ``False`` or ``None`` (remove) — the admin's "clear" box.
    """
    fields_check(data, allowed=PRODUCT_FIELDS)
    errors: dict[str, list[str]] = {}
    content = None
    if data.get("image"):
        try:
            content = product_image_content(data["image"])
        except ValidationError as error:
            errors.update(error.message_dict)
    for name, value in data.items():
        if name != "image":
            setattr(product, name, value)
    try:
        product.full_clean(exclude=["image"])
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    return [name for name in data if name != "price"], content


def product_check(*, data: dict[str, Any], product: Product | None = None) -> None:
    """Raise the ``ValidationError`` the write would raise, without writing (for the admin's form)."""
    _product_changes(Product() if product is None else Product.objects.get(pk=product.pk), data)


def product_create(*, data: dict[str, Any], actor: User | None, request: HttpRequest | None = None) -> Product:
    """Add a product; its first price is not a change, so the price history starts empty."""
    product = Product()
    fields, content = _product_changes(product, data)
    try:
        with transaction.atomic():
            if content is not None:
                product.image.save(PRODUCT_IMAGE_NAME, content, save=False)
            product.save()
            catalogue_changed()
            audit_record(
                action="shop.product_created", actor=actor, target=product, request=request, details={"fields": fields}
            )
    except Exception:
        _discard_new_image(product, content)
        raise
    return product


def _discard_new_image(product: Product, content: "ContentFile[bytes] | None") -> None:
    # The file is written before the rows commit: when they do not, it must not stay behind.
    if content is not None and product.image.name:
        product.image.storage.delete(product.image.name)


def product_update(
    *, product: Product, data: dict[str, Any], actor: User | None, request: HttpRequest | None = None
) -> Product:
    """Change a product's fields; a new price goes through ``product_price_set`` (history, discounts)."""
    current = Product.objects.get(pk=product.pk)
    price = data.get("price", current.price)
    fields, content = _product_changes(current, {name: value for name, value in data.items() if name != "price"})
    if price is None or price < 0:
        raise ValidationError({"price": [_("The price cannot be negative.")]})
    old_image = current.image.name if "image" in data and current.image else ""
    try:
        with transaction.atomic():
            if content is not None:
                current.image.save(PRODUCT_IMAGE_NAME, content, save=False)
            elif "image" in data:
                current.image = ""
            if fields:
                current.save(update_fields=[*fields, "updated_at"])
                catalogue_changed()
                audit_record(
                    action="shop.product_updated",
                    actor=actor,
                    target=current,
                    request=request,
                    details={"fields": fields},
                )
            if price != current.price:
                product_price_set(product=current, price=price, actor=actor)
            if old_image and not _image_shared(old_image, product=current):
                files_delete_on_commit(current.image.storage, [old_image])
    except Exception:
        _discard_new_image(current, content)
        raise
    product.refresh_from_db()
    return product


def product_delete(*, product: Product, actor: User | None, request: HttpRequest | None = None) -> None:
    """Delete a product: carts lose it, orders keep their snapshot lines, its image file goes."""
    with transaction.atomic():
        audit_record(
            action="shop.product_deleted", actor=actor, target=product, request=request, details={"name": product.name}
        )
        image = product.image.name or ""
        shared = bool(image) and _image_shared(image, product=product)
        product.delete()
        catalogue_changed()
        if not shared:
            files_delete_on_commit(Product.image.field.storage, [image])


def _image_shared(name: str, *, product: Product) -> bool:
    """Whether another product shows the image file ``name`` (the demo catalogue's pictures are
    shared by the brand's products): such a file stays when one of them lets it go."""
    return Product.objects.filter(image=name).exclude(pk=product.pk).exists()


def category_create(*, data: dict[str, Any], actor: User | None, request: HttpRequest | None = None) -> Category:
    category = Category()
    fields = changes_apply(category, data, allowed=CATEGORY_FIELDS)
    with transaction.atomic():
        category.save()
        # The catalogue's filter offers every category.
        catalogue_changed()
        audit_record(
            action="shop.category_created", actor=actor, target=category, request=request, details={"fields": fields}
        )
    return category


def category_update(
    *, category: Category, data: dict[str, Any], actor: User | None, request: HttpRequest | None = None
) -> Category:
    current = Category.objects.get(pk=category.pk)
    fields = changes_apply(current, data, allowed=CATEGORY_FIELDS)
    with transaction.atomic():
        if fields:
            current.save(update_fields=[*fields, "updated_at"])
            # Product rows and the catalogue's filter show the category's name.
            catalogue_changed()
            audit_record(
                action="shop.category_updated", actor=actor, target=current, request=request, details={"fields": fields}
            )
    category.refresh_from_db()
    return category


def category_delete(*, category: Category, actor: User | None, request: HttpRequest | None = None) -> None:
    """Delete an empty category; one that still has products is refused (they would lose it)."""
    with transaction.atomic():
        if Product.objects.filter(category=category).exists():
            raise ValidationError(_("The category “%(name)s” still has products.") % {"name": category.name})
        audit_record(
            action="shop.category_deleted",
            actor=actor,
            target=category,
            request=request,
            details={"name": category.name},
        )
        category.delete()
        catalogue_changed()


# --- Carts ---------------------------------------------------------------------------------


def _cart_product(product_id: object) -> Product:
    message = _("This product does not exist or is not on sale.")
    try:
        return selectors.active_products().get(pk=positive_int(product_id, field="product", message=message))
    except Product.DoesNotExist:
        raise ValidationError({"product": [message]}) from None


def _checked_quantity(quantity: Any) -> int:
    try:
        quantity = int(quantity)  # anything int() takes; the range is checked below
    except (TypeError, ValueError):
        raise ValidationError({"quantity": [_("Enter a whole number.")]}) from None
    if not 1 <= quantity <= MAX_LINE_QUANTITY:
        raise ValidationError({"quantity": [_("Enter a quantity from 1 to %(max)s.") % {"max": MAX_LINE_QUANTITY}]})
    checked: int = quantity
    return checked


def _check_stock(product: Product, quantity: int) -> None:
    if quantity > product.stock:
        raise ValidationError(
            {"quantity": [_("Only %(stock)s of “%(name)s” left.") % {"stock": product.stock, "name": product.name}]}
        )


def cart_add(*, request: HttpRequest, product_id: object, quantity: object = 1) -> Product:
    """Add ``quantity`` of a product to the visitor's cart (database or session)."""
    product = _cart_product(product_id)
    quantity = _checked_quantity(quantity)
    current = selectors.cart_quantities(request).get(product.pk, 0)
    if current + quantity > MAX_LINE_QUANTITY:
        raise ValidationError(
            {"quantity": [_("At most %(max)s of one product fit in the cart.") % {"max": MAX_LINE_QUANTITY}]}
        )
    return _cart_set(request=request, product=product, quantity=current + quantity)


def cart_set_quantity(*, request: HttpRequest, product_id: object, quantity: object) -> Product:
    product = _cart_product(product_id)
    return _cart_set(request=request, product=product, quantity=_checked_quantity(quantity))


def _cart_set(*, request: HttpRequest, product: Product, quantity: int) -> Product:
    _check_stock(product, quantity)
    if request.user.is_authenticated:
        with transaction.atomic():
            CartItem.objects.update_or_create(user=request.user, product=product, defaults={"quantity": quantity})
    else:
        cart = selectors.session_cart(request)
        cart[str(product.pk)] = quantity
        request.session[selectors.SESSION_CART_KEY] = cart
    return product


def cart_remove(*, request: HttpRequest, product_id: object) -> None:
    """Remove a product from the cart; one that is not in it is an error."""
    product_id = positive_int(product_id, field="product", message=_("Enter a valid product id."))
    if request.user.is_authenticated:
        deleted, _counts = CartItem.objects.filter(user=request.user, product_id=product_id).delete()
        missing = not deleted
    else:
        cart = selectors.session_cart(request)
        missing = cart.pop(str(product_id), None) is None
        request.session[selectors.SESSION_CART_KEY] = cart
    if missing:
        raise ValidationError({"product": [_("This product is not in your cart.")]})


def cart_clear(*, request: HttpRequest) -> None:
    if request.user.is_authenticated:
        CartItem.objects.filter(user=request.user).delete()
    request.session.pop(selectors.SESSION_CART_KEY, None)


def cart_merge_session(*, request: HttpRequest, user: User) -> None:
    """At login, move the anonymous session cart into the user's cart (quantities add up)."""
    session_cart = request.session.pop(selectors.SESSION_CART_KEY, None)
    if not session_cart:
        return
    products = selectors.active_products().in_bulk([int(product_id) for product_id in session_cart])
    with transaction.atomic():
        for product_id, quantity in session_cart.items():
            product = products.get(int(product_id))
            if product is None:
                continue
            item, created = CartItem.objects.get_or_create(
                user=user, product=product, defaults={"quantity": min(quantity, product.stock) or 1}
            )
            if not created:
                item.quantity = min(item.quantity + quantity, MAX_LINE_QUANTITY, max(product.stock, 1))
                item.save(update_fields=["quantity"])


# --- Orders --------------------------------------------------------------------------------


class OutOfStock(ValidationError):
    """A cart line can no longer be served from stock; the checkout changed nothing."""


def order_place(*, user: User, request: HttpRequest | None = None) -> Order:
    """Turn the user's cart into an order: stock is taken atomically, prices are snapshotted.

    Stock is decremented with a conditional UPDATE (``stock >= quantity``), in product-id order so
    two checkouts never deadlock; if any line cannot be served, nothing changes.
    """
    with transaction.atomic():
        items = list(
            CartItem.objects.select_for_update()
            .filter(user=user, product__is_active=True)
            .select_related("product")
            .order_by("product_id")
        )
        if not items:
            raise ValidationError(_("Your cart is empty."))
        for item in items:
            taken = Product.objects.filter(pk=item.product_id, is_active=True, stock__gte=item.quantity).update(
                stock=F("stock") - item.quantity
            )
            if not taken:
                raise OutOfStock(
                    _("Not enough “%(name)s” in stock any more. Please change the quantity.")
                    % {"name": item.product.name}
                )
        order = Order.objects.create(user=user, total=sum(item.product.price * item.quantity for item in items))
        OrderItem.objects.bulk_create(
            [
                OrderItem(
                    order=order,
                    product=item.product,
                    product_name=item.product.name,
                    price=item.product.price,
                    quantity=item.quantity,
                )
                for item in items
            ]
        )
        # The API shows stock, the catalogue page disables "Add" at zero.
        catalogue_changed()
        CartItem.objects.filter(user=user).delete()
        for category in {item.product.category for item in items}:
            category_interest_record(user=user, category=category, purchases=1)
        audit_record(
            action="shop.order_placed",
            actor=user,
            target=order,
            request=request,
            details={"total": order.total, "items": [[item.product_id, item.quantity] for item in items]},
        )
    return order


ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    Order.Status.PLACED: {Order.Status.PAID, Order.Status.CANCELLED},
    Order.Status.PAID: {Order.Status.SHIPPED, Order.Status.CANCELLED},
    Order.Status.SHIPPED: set(),
    Order.Status.CANCELLED: set(),
}


def order_set_status(*, order: Order, status: str, actor: User | None) -> Order:
    """Move an order along placed → paid → shipped, or cancel it (which returns the stock)."""
    if status not in Order.Status.values:
        raise ValidationError(_("“%(status)s” is not an order status.") % {"status": status})
    with transaction.atomic():
        current = Order.objects.select_for_update().get(pk=order.pk)
        if status not in ALLOWED_TRANSITIONS[current.status]:
            raise ValidationError(
                _("An order that is %(current)s cannot become %(new)s.")
                % {"current": current.get_status_display(), "new": Order.Status(status).label}
            )
        if status == Order.Status.CANCELLED:
            for item in current.items.filter(product__isnull=False):
                # Lines whose product was deleted were skipped by the filter above.
                Product.objects.filter(pk=item.product_id).update(stock=F("stock") + item.quantity)  # type: ignore[misc]
            catalogue_changed()
        current.status = status
        current.status_changed_at = timezone.now()
        current.save(update_fields=["status", "status_changed_at"])
        audit_record(action=f"shop.order_{status}", actor=actor, target=current, details={"total": current.total})
    order.refresh_from_db(fields=["status", "status_changed_at"])
    return order


# --- Weekly newsletter ---------------------------------------------------------------------


def newsletter_delivery_claim(*, user: User, week: str) -> NewsletterDelivery | None:
    """Take this week's newsletter for ``user`` before sending; None when another run has it.

    The row is committed before the email goes out and ``(user, week)`` is unique, so two job
    runs at the same moment never both send: the loser of the insert gets an IntegrityError.
    """
    try:
        with transaction.atomic():
            return NewsletterDelivery.objects.create(user=user, week=week)
    except IntegrityError:
        return None


def newsletter_delivery_record(*, delivery: NewsletterDelivery, ok: bool, response: str) -> NewsletterDelivery:
    """Store the outcome of a delivery that is still in flight, with the server's answer."""
    status = NewsletterDelivery.Status.SENT if ok else NewsletterDelivery.Status.FAILED
    with transaction.atomic():
        recorded = NewsletterDelivery.objects.filter(pk=delivery.pk, status=NewsletterDelivery.Status.SENDING).update(
            status=status, response=response[:2000]
        )
    if not recorded:
        # Only possible when one SMTP conversation outlived the lease: the delivery was already
        # declared unknown and staff decide; the late answer is logged, not applied.
        logger.warning("Newsletter delivery %s ended (%s) after it was declared unknown", delivery.pk, response)
    delivery.refresh_from_db(fields=["status", "response"])
    return delivery


def newsletter_deliveries_recover(*, now: datetime | None = None) -> int:
    """Deliveries in flight longer than the lease lost their sender: they become ``unknown``.

    One SMTP conversation is shorter than ``SHOP_NEWSLETTER_LEASE_SECONDS``, so a delivery this
    old in ``sending`` has nobody left to finish it. Whether the email arrived is unknown: it is
    shown, never re-sent by itself (at most once); staff may send it again.
    """
    expired = (now or timezone.now()) - timedelta(seconds=settings.SHOP_NEWSLETTER_LEASE_SECONDS)
    with transaction.atomic():
        stalled = list(
            NewsletterDelivery.objects.filter(status=NewsletterDelivery.Status.SENDING, attempted_at__lt=expired)
            .select_for_update(skip_locked=True)
            .values_list("pk", "week")
        )
        if not stalled:
            return 0
        changed = NewsletterDelivery.objects.filter(
            pk__in=[pk for pk, _week in stalled], status=NewsletterDelivery.Status.SENDING
        ).update(status=NewsletterDelivery.Status.UNKNOWN)
        audit_record(
            action="shop.newsletter_deliveries_unknown",
            details={"deliveries": changed, "weeks": sorted({week for _pk, week in stalled})},
        )
    logger.warning("%s newsletter deliveries were cut off by a dead sender and are now unknown", changed)
    return changed


def newsletter_unknown_resend(
    *, actor: User, deliveries: QuerySet[NewsletterDelivery], request: HttpRequest | None = None
) -> int:
    """Staff decide to send the unknown ones among ``deliveries`` again; returns how many.

    Those subscribers may get the newsletter twice, which is why nothing does this by itself.
    The sending happens after the commit, in a task; each delivery is claimed there once.
    """
    if not actor.has_perm("shop.resend_newsletterdelivery"):
        raise PermissionDenied(_("You may not send newsletter deliveries again."))
    with transaction.atomic():
        ids = list(
            deliveries.filter(status=NewsletterDelivery.Status.UNKNOWN).order_by("pk").values_list("pk", flat=True)
        )
        if ids:
            audit_record(
                action="shop.newsletter_unknown_resent", actor=actor, request=request, details={"deliveries": ids}
            )
            transaction.on_commit(lambda: tasks.newsletter_unknown_resend.delay(ids))
    return len(ids)


def newsletter_delivery_resend_claim(*, delivery: NewsletterDelivery, subscribed: bool) -> bool:
    """Take an unknown delivery back into flight (its clock restarts), or mark it ``skipped`` when
    the reader is no longer a subscriber; False when it was not unknown any more.

    The claim is a conditional update, so a task delivered twice sends nothing twice.
    """
    unknown = NewsletterDelivery.objects.filter(pk=delivery.pk, status=NewsletterDelivery.Status.UNKNOWN)
    with transaction.atomic():
        if not subscribed:
            return bool(unknown.update(status=NewsletterDelivery.Status.SKIPPED))
        return bool(
            unknown.update(status=NewsletterDelivery.Status.SENDING, attempted_at=timezone.now(), tries=F("tries") + 1)
        )


def newsletter_unsubscribe(*, user: User, request: HttpRequest | None = None) -> bool:
    """Turn the newsletter off (the unsubscribe page's button, or the mail client's one-click POST).
    Idempotent: True only when it was on."""
    with transaction.atomic():
        changed = User.objects.filter(pk=user.pk, newsletter=True).update(newsletter=False)
        if changed:
            audit_record(
                action="shop.newsletter_unsubscribed",
                actor=user,
                target=user,
                request=request,
                details={"via": "unsubscribe link"},
            )
    user.newsletter = False
    return bool(changed)


def newsletter_resubscribe(*, user: User, request: HttpRequest | None = None) -> bool:
    """The undo on the unsubscribe page (same signed link): the newsletter is on again.
    Idempotent: True only when it was off."""
    with transaction.atomic():
        changed = User.objects.filter(pk=user.pk, newsletter=False).update(newsletter=True)
        if changed:
            audit_record(
                action="shop.newsletter_resubscribed",
                actor=user,
                target=user,
                request=request,
                details={"via": "unsubscribe link"},
            )
    user.newsletter = True
    return bool(changed)


# --- Account deletion ----------------------------------------------------------------------


def customer_account_deleted(*, user: User) -> None:
    """Before an account is deleted (``ACCOUNTS_DELETE_HOOKS``): its cart and tastes go, its orders stay.

    Orders are business records (accounting, stock returns on cancellation): they are kept with
    their items and price snapshot, no longer linked to any account.
    """
    CartItem.objects.filter(user=user).delete()
    CategoryInterest.objects.filter(user=user).delete()
    NewsletterDelivery.objects.filter(user=user).delete()
    SearchQuery.objects.filter(user=user).update(user=None)
    Order.objects.filter(user=user).update(user=None)
