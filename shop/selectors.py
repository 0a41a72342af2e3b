"""Reads of the shop: catalogue, trending searches, price history, carts, orders, recommendations."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, F, QuerySet, Sum
from django.db.models.functions import Lower
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.cache import versioned_get_or_set
from shop.cart import Cart
from shop.models import (
    CartItem,
    Category,
    CategoryInterest,
    NewsletterDelivery,
    Order,
    OrderItem,
    PriceChange,
    Product,
    SearchQuery,
)

if TYPE_CHECKING:  # django-stubs-ext is a development tool, not installed in production
    from django_stubs_ext import StrOrPromise

TRENDING_CACHE_KEY = "shop:trending"
SESSION_CART_KEY = "shop_cart"
T = TypeVar("T")
CATALOGUE_VERSION_KEY = "shop:catalogue-version"
# Entries of a replaced version are never read again; they only wait for this to expire.
CATALOGUE_CACHE_SECONDS = 24 * 60 * 60
# A local-memory cache (no REDIS_URL) belongs to one process: a write replaces the version in its
# own process only, so there the version also expires, and other processes see a change this soon.
LOCAL_CATALOGUE_VERSION_SECONDS = 60


def catalogue_version_timeout() -> int | None:
    return None if settings.REDIS_URL else LOCAL_CATALOGUE_VERSION_SECONDS


def active_products() -> QuerySet[Product]:
    return Product.objects.filter(is_active=True).select_related("category")


def catalogue_version() -> str:
    """A token that changes whenever a product or category changes (``services.catalogue_changed``).

    Everything derived from the catalogue is cached under a key holding this token, so a write makes
    the old entries unreachable at once instead of deleting each one. An evicted token is replaced by
    a new one: that only misses the cache once, it never serves stale data.
    """
    version = cache.get(CATALOGUE_VERSION_KEY)
    if version is None:
        cache.add(CATALOGUE_VERSION_KEY, uuid.uuid4().hex, catalogue_version_timeout())
        version = cache.get(CATALOGUE_VERSION_KEY) or uuid.uuid4().hex
    return str(version)


def catalogue_cache_key(*parts: object, version: str | None = None) -> str:
    return ":".join(["shop:catalogue", version or catalogue_version(), *map(str, parts)])


def _catalogue_cached(name: str, compute: Callable[[], T], *, version: str | None = None) -> T:
    return catalogue_get_or_set(catalogue_cache_key(name, version=version), compute)


def catalogue_get_or_set(key: str, compute: Callable[[], T]) -> T:
    """A value derived from the catalogue under a ``catalogue_cache_key``: kept in this process's
    memory and the shared cache (``core.cache``), computed once per catalogue version."""
    return versioned_get_or_set(key, compute, timeout=CATALOGUE_CACHE_SECONDS)


def companies() -> list[str]:
    """The companies of active products for the filter; ``SELECT DISTINCT`` reads every active row,
    so it runs once per catalogue version, not once per page view."""
    return _catalogue_cached(
        "companies",
        lambda: list(
            Product.objects.filter(is_active=True).order_by("company").values_list("company", flat=True).distinct()
        ),
    )


def categories() -> list[Category]:
    """Every category for the filter, read once per catalogue version (category writes replace it)."""
    return _catalogue_cached("categories", lambda: list(Category.objects.order_by("name")))


def active_product_count(*, version: str | None = None) -> int:
    """How many products are active: exact, since every product write replaces the catalogue version;
    the unfiltered catalogue's pages use it instead of a whole-table ``COUNT(*)``. A caller that
    already read the ``version`` passes it (one cache round trip less)."""
    return _catalogue_cached("count", lambda: Product.objects.filter(is_active=True).count(), version=version)


def trending_queries(*, limit: int = 5) -> list[dict[str, Any]]:
    """The most frequent logged queries of the last 7 days, cached for a few minutes."""
    trending = cache.get(TRENDING_CACHE_KEY)
    if trending is None:
        since = timezone.now() - timedelta(days=settings.SHOP_TRENDING_DAYS)
        trending = list(
            SearchQuery.objects.filter(created_at__gte=since)
            .values("query")
            .annotate(count=Count("id"))
            .order_by("-count", "query")[: settings.SHOP_TRENDING_SIZE]
        )
        cache.set(TRENDING_CACHE_KEY, trending, settings.SHOP_TRENDING_CACHE_SECONDS)
    top: list[dict[str, Any]] = trending[:limit]
    return top


PRICE_WINDOW = timedelta(days=30)
# The chart's drawing area in SVG units (the template scales it to the page's width).
CHART_WIDTH, CHART_HEIGHT, CHART_MARGIN = 600, 160, 12


@dataclass(frozen=True)
class PriceStep:
    """From ``since`` on the price was ``price``; ``x``/``y`` place that corner on the chart."""

    since: datetime
    price: int
    x: float
    y: float


@dataclass(frozen=True)
class PriceHistory:
    """The last 30 days of a product's price: its range and a step line to draw."""

    lowest: int
    highest: int
    start: datetime
    steps: list[PriceStep]
    # An SVG path: the step line, and the same closed along the bottom for the area under it.
    line: str
    area: str
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT

    @property
    def changes(self) -> list[PriceStep]:
        """The steps after the first: one per price change inside the window."""
        return self.steps[1:]

    @property
    def highest_y(self) -> float:
        return CHART_MARGIN

    @property
    def lowest_y(self) -> float:
        return CHART_HEIGHT - CHART_MARGIN


def price_history_30_days(product: Product, *, now: datetime | None = None) -> PriceHistory:
    """The price of the last 30 days, from the price history and today's price, in one query.

    The window opens at the price the first change inside it started from (today's price when
    nothing changed); lowest and highest count every price of the changes inside the window.
    """
    now = now or timezone.now()
    start = now - PRICE_WINDOW
    rows = list(
        PriceChange.objects.filter(product=product, changed_at__gte=start)
        .order_by("changed_at", "id")
        .values_list("changed_at", "old_price", "new_price")
    )
    corners = [(start, rows[0][1] if rows else product.price), *((when, new) for when, _old, new in rows)]
    if corners[-1][1] != product.price:
        # A price written without a history row (e.g. by a bulk import) is still today's price.
        corners.append((now, product.price))
    prices = [product.price, *(price for _when, old, new in rows for price in (old, new)), corners[0][1]]
    lowest, highest = min(prices), max(prices)

    def x(when: datetime) -> float:
        return round((when - start) / PRICE_WINDOW * CHART_WIDTH, 1)

    def y(price: int) -> float:
        if highest == lowest:
            return CHART_HEIGHT / 2
        share = (highest - price) / (highest - lowest)
        return round(CHART_MARGIN + share * (CHART_HEIGHT - 2 * CHART_MARGIN), 1)

    steps = [PriceStep(since=when, price=price, x=x(when), y=y(price)) for when, price in corners]
    line = f"M{steps[0].x} {steps[0].y}" + "".join(f"H{step.x}V{step.y}" for step in steps[1:]) + f"H{CHART_WIDTH}"
    return PriceHistory(
        lowest=lowest,
        highest=highest,
        start=start,
        steps=steps,
        line=line,
        area=f"{line}V{CHART_HEIGHT}H0Z",
    )


# --- Carts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CartLine:
    product: Product
    quantity: int

    @property
    def line_total(self) -> int:
        return self.product.price * self.quantity


@dataclass(frozen=True)
class CartView:
    cart: Cart
    lines: list[CartLine]

    @property
    def total(self) -> int:
        return self.cart.total

    @property
    def count(self) -> int:
        return len(self.cart)


def session_cart(request: HttpRequest) -> dict[str, int]:
    """The anonymous cart kept in the session: ``{product id: quantity}``."""
    return dict(request.session.get(SESSION_CART_KEY, {}))


def cart_quantities(request: HttpRequest) -> dict[int, int]:
    if request.user.is_authenticated:
        return dict(CartItem.objects.filter(user=request.user).values_list("product_id", "quantity"))
    return {int(product_id): quantity for product_id, quantity in session_cart(request).items()}


CART_SIZE_SQL = 'SELECT COALESCE(SUM("quantity"), 0) FROM "shop_cartitem" WHERE "user_id" = %s'


def cart_size(request: HttpRequest) -> int:
    """How many items the visitor's cart holds (the sum of its quantities), as every shop page shows.

    For a user, one ``SUM`` written out: building it with the ORM cost more than running it."""
    if not request.user.is_authenticated:
        return sum(session_cart(request).values())
    with connection.cursor() as cursor:
        cursor.execute(CART_SIZE_SQL, [request.user.pk])
        row = cursor.fetchone()
    return int(row[0])


def cart_for(request: HttpRequest) -> CartView:
    """The visitor's cart (database for users, session for anonymous visitors) as a ``Cart``.

    Products that were deactivated since they were added are left out.
    """
    quantities = cart_quantities(request)
    products = active_products().filter(pk__in=quantities).order_by(Lower("name"), "id")
    cart = Cart()
    lines = []
    for product in products:
        quantity = quantities[product.pk]
        cart.add([product] * quantity)
        lines.append(CartLine(product=product, quantity=quantity))
    return CartView(cart=cart, lines=lines)


# --- Orders --------------------------------------------------------------------------------


def orders_of(user: User) -> QuerySet[Order]:
    return Order.objects.filter(user=user).annotate(item_count=Sum("items__quantity")).order_by("-created_at", "-id")


def order_of(user: User, order_id: int) -> Order:
    """One of the user's orders; anyone else's raises ``Order.DoesNotExist`` (a 404)."""
    return Order.objects.prefetch_related("items").get(user=user, pk=order_id)


# --- Recommendations -----------------------------------------------------------------------


def bought_together(*, product_ids: list[int], exclude_ids: list[int] | None = None, limit: int = 4) -> list[Product]:
    """Active products most often ordered together with ``product_ids`` (not those excluded)."""
    if not product_ids:
        return []
    excluded = set(exclude_ids or []) | set(product_ids)
    key = f"shop:together:{','.join(map(str, sorted(set(product_ids))))}"
    ranked = cache.get(key)
    if ranked is None:
        orders = OrderItem.objects.filter(product_id__in=product_ids).values("order_id")
        ranked = list(
            OrderItem.objects.filter(order_id__in=orders, product__is_active=True)
            .exclude(product_id__in=product_ids)
            .values("product_id")
            .annotate(orders=Count("order_id", distinct=True))
            .order_by("-orders", "product_id")
            .values_list("product_id", flat=True)[:20]
        )
        cache.set(key, ranked, settings.SHOP_RECOMMENDATION_CACHE_SECONDS)
    wanted = [product_id for product_id in ranked if product_id not in excluded][:limit]
    products = active_products().in_bulk(wanted)
    return [products[product_id] for product_id in wanted if product_id in products]


def for_you(*, user: User, exclude_ids: list[int] | None = None, limit: int = 4) -> list[Product]:
    """Products from the categories the user viewed and bought most (a purchase weighs 3 views).

    Newest first within each category; products the user already ordered are left out.
    """
    return _for_you_products(_for_you_ranked(user=user, limit=limit), exclude_ids=exclude_ids, limit=limit)


def _for_you_key(user: User) -> str:
    return f"shop:for-you:{user.pk}"


def _for_you_ranked(*, user: User, limit: int, cached: list[int] | None = None) -> list[int]:
    key = _for_you_key(user)
    ranked = cache.get(key) if cached is None else cached
    if ranked is None:
        interests = list(
            CategoryInterest.objects.filter(user=user)
            .annotate(score=F("views") + 3 * F("purchases"))
            .filter(score__gt=0)
            .order_by("-score", "category_id")
            .values_list("category_id", flat=True)[:3]
        )
        bought = OrderItem.objects.filter(order__user=user, product__isnull=False).values("product_id")
        ranked = []
        for category_id in interests:
            ranked += list(
                Product.objects.filter(is_active=True, category_id=category_id)
                .exclude(pk__in=bought)
                .order_by("-created_at", "-id")
                .values_list("pk", flat=True)[:limit]
            )
        cache.set(key, ranked, settings.SHOP_RECOMMENDATION_CACHE_SECONDS)
    return ranked


def _for_you_products(ranked: list[int], *, exclude_ids: list[int] | None, limit: int) -> list[Product]:
    excluded = set(exclude_ids or [])
    wanted = [product_id for product_id in ranked if product_id not in excluded][:limit]
    if not wanted:
        return []
    products = active_products().in_bulk(wanted)
    return [products[product_id] for product_id in wanted if product_id in products]


@dataclass(frozen=True)
class CataloguePageReads:
    version: str
    trending: list[dict[str, Any]]
    for_you: list[Product]


def catalogue_page_reads(*, user: User, for_you_wanted: bool) -> CataloguePageReads:
    """What the catalogue page reads from the cache on every view, in one round trip: the catalogue
    version, the trending queries and (when ``for_you_wanted``) the user's "for you" products.

    Each is what ``catalogue_version``, ``trending_queries`` and ``for_you`` return, and is computed
    as they do when it is not cached."""
    keys = [CATALOGUE_VERSION_KEY, TRENDING_CACHE_KEY, *([_for_you_key(user)] if for_you_wanted else [])]
    found = cache.get_many(keys)
    version = found.get(CATALOGUE_VERSION_KEY)
    trending = found.get(TRENDING_CACHE_KEY)
    products: list[Product] = []
    if for_you_wanted:
        ranked = _for_you_ranked(user=user, limit=4, cached=found.get(_for_you_key(user)))
        products = _for_you_products(ranked, exclude_ids=None, limit=4)
    return CataloguePageReads(
        version=catalogue_version() if version is None else str(version),
        trending=trending_queries() if trending is None else trending[:5],
        for_you=products,
    )


def home_stats() -> "list[tuple[StrOrPromise, int]]":
    """Numbers for the shop's widget on the platform home page."""
    return [
        (_("Products"), active_product_count()),
        (_("Categories"), Category.objects.count()),
    ]


def newsletter_status_counts(*, week: str | None = None) -> dict[str, int]:
    """How many newsletter deliveries are in each state (of one week, when given); every state is
    listed, so an unknown count of 0 is shown as such."""
    deliveries = NewsletterDelivery.objects.all() if week is None else NewsletterDelivery.objects.filter(week=week)
    found = dict(deliveries.order_by().values("status").annotate(count=Count("pk")).values_list("status", "count"))
    return {status: found.get(status, 0) for status in NewsletterDelivery.Status.values}
