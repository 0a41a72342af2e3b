from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.functional import SimpleLazyObject
from django.utils.html import escape, format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.types import AuthenticatedHttpRequest
from core.api.pagination import KnownCountPaginator
from core.cache import versioned_get_or_set
from shop import selectors, services
from shop.filters import ORDERINGS, ProductFilter
from shop.models import Order


def _page_size(request: HttpRequest) -> int:
    try:
        size = int(request.GET.get("page_size", ""))
    except ValueError:
        return settings.SHOP_PAGE_SIZES[1]
    return size if size in settings.SHOP_PAGE_SIZES else settings.SHOP_PAGE_SIZES[1]


def _shop_context(request: HttpRequest, *, trending: list[dict[str, Any]] | None = None) -> dict:
    """What every shop page shows: the search box with trending queries, and the cart size."""
    return {
        "trending": selectors.trending_queries() if trending is None else trending,
        "search_query": request.GET.get("search", ""),
        "cart_count": selectors.cart_size(request),
    }


# Where each request's own values go in the cached catalogue (shop/_add_to_cart.html with ``slots``).
CSRF_SLOT = "<!--shop:csrf-->"
NEXT_SLOT = "<!--shop:next-->"
# The unfiltered catalogue is cached for its first pages in each ordering and size, the pages
# visitors open. Only known parameter values count, each given once, so the keys are few; deeper
# pages (a crawler's walk) and any other query are rendered each time and fill no cache.
CACHED_PAGES = 10
# The catalogue as cards with pictures (the default) or as a table; a choice made with ``?view=``
# is remembered in a cookie, so the links work without JavaScript and need not carry it.
VIEW_MODES = ("grid", "table")
VIEW_COOKIE = "shop_view"
VIEW_COOKIE_SECONDS = 365 * 24 * 60 * 60
CACHED_QUERY = {
    "page": None,  # any value: the key holds the page number it resolves to
    "page_size": frozenset(map(str, settings.SHOP_PAGE_SIZES)),
    "ordering": frozenset(f"{sign}{name}" for _field, name in ORDERINGS for sign in ("", "-")),
    "view": frozenset(VIEW_MODES),
}


def _view_mode(request: HttpRequest) -> tuple[str, bool]:
    """The catalogue's view mode and whether it was chosen by this request (then to be remembered)."""
    asked = request.GET.get("view", "")
    if asked in VIEW_MODES:
        return asked, asked != request.COOKIES.get(VIEW_COOKIE)
    remembered = request.COOKIES.get(VIEW_COOKIE, "")
    return (remembered if remembered in VIEW_MODES else VIEW_MODES[0]), False


def _catalogue_key(request: HttpRequest, page: Page, *, query_string: str, view_mode: str, version: str) -> str | None:
    """The cache key of an unfiltered catalogue page with a known query, else None."""
    for name, values in request.GET.lists():
        allowed = CACHED_QUERY.get(name, ())
        if len(values) != 1 or (allowed is not None and values[0] not in allowed):
            return None
    if page.number > CACHED_PAGES:
        return None
    # Dates are shown in the current time zone, numbers and words in the current language.
    return selectors.catalogue_cache_key(
        "page",
        translation.get_language(),
        timezone.get_current_timezone_name(),
        view_mode,
        query_string,
        page.number,
        version=version,
    )


def _catalogue(request: HttpRequest, context: dict[str, Any], *, key: str | None) -> SafeString:
    """The filter form, the page's table and its page links, with this request's CSRF token and path.

    The same for every visitor otherwise: with a ``key`` (which embeds the catalogue version) it is
    rendered once and then kept in this process's memory and the shared cache.
    """

    def render_catalogue() -> str:
        return render_to_string("shop/_catalogue.html", context)

    html = (
        render_catalogue()
        if key is None
        else versioned_get_or_set(key, render_catalogue, timeout=selectors.CATALOGUE_CACHE_SECONDS)
    )
    csrf_input = format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request))
    # The template's own escaped output with escaped values filled in where it left its markers.
    return mark_safe(html.replace(CSRF_SLOT, csrf_input).replace(NEXT_SLOT, escape(request.get_full_path())))  # noqa: S308  # nosec B308 B703


@login_required
def product_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    filtered = any(request.GET.get(name) for name in ("search", "category", "company", "min_price", "max_price"))
    # The version is read before any product row: rows read after a write are never cached under the
    # version before it. One round trip to the cache brings the trending queries and "for you" too.
    reads = selectors.catalogue_page_reads(user=request.user, for_you_wanted=not filtered)
    version = reads.version
    product_filter = ProductFilter(request.GET or None, queryset=selectors.active_products())
    count = None
    if product_filter.is_bound and not product_filter.is_valid():
        products = selectors.active_products().none()
    else:
        products = product_filter.qs
        search = request.GET.get("search", "")
        if search and request.GET.get("page", "1") == "1":
            services.search_query_log(query=search, user=request.user)
        if not filtered:
            # Every active product: the cached exact count spares a whole-table COUNT(*).
            count = selectors.active_product_count(version=version)
    page_size = _page_size(request)
    # The rows are read only when the page is rendered (not when it comes from the cache).
    page = KnownCountPaginator(products, page_size, count=count).get_page(request.GET.get("page"))
    view_mode, view_chosen = _view_mode(request)
    query = request.GET.copy()
    query.pop("page", None)
    # The mode is remembered (or the default), so the page and sort links need not repeat it.
    query.pop("view", None)
    query_string = query.urlencode()
    sort_query = query.copy()
    sort_query.pop("ordering", None)
    context = {
        "search_query": request.GET.get("search", ""),
        "filter": product_filter,
        "page": page,
        "page_size": page_size,
        "page_sizes": settings.SHOP_PAGE_SIZES,
        "query_string": query_string,
        "sort_query": sort_query.urlencode(),
        "ordering": request.GET.get("ordering", ""),
        "view_mode": view_mode,
        # Read only when the catalogue is rendered, not when it comes from the cache.
        "categories": SimpleLazyObject(selectors.categories),
        # Hundreds of options: rendered once per catalogue version when no company is chosen (the
        # fragment's key; a chosen one is rendered each time, so no visitor can fill the cache).
        # Passed uncalled: the template calls it only when the fragment is not cached.
        "companies": selectors.companies,
        "catalogue_version": version,
        "catalogue_cache_seconds": selectors.CATALOGUE_CACHE_SECONDS,
    }
    key = (
        _catalogue_key(request, page, query_string=query_string, view_mode=view_mode, version=version)
        if count is not None
        else None
    )
    response = render(
        request,
        "shop/product_list.html",
        {
            **_shop_context(request, trending=reads.trending),
            **context,
            "catalogue": _catalogue(request, context, key=key),
            "for_you": reads.for_you,
        },
    )
    if view_chosen:
        response.set_cookie(
            VIEW_COOKIE,
            view_mode,
            max_age=VIEW_COOKIE_SECONDS,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
    return response


@login_required
def product_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    product = get_object_or_404(selectors.active_products(), pk=pk)
    services.category_interest_record(user=request.user, category=product.category, views=1)
    in_cart = list(selectors.cart_quantities(request))
    return render(
        request,
        "shop/product_detail.html",
        {
            **_shop_context(request),
            "product": product,
            "price_history": selectors.price_history_30_days(product),
            "bought_together": selectors.bought_together(product_ids=[product.pk], exclude_ids=in_cart),
        },
    )


def cart(request: HttpRequest) -> HttpResponse:
    """The cart page works before login too: an anonymous cart lives in the session."""
    cart_view = selectors.cart_for(request)
    product_ids = [line.product.pk for line in cart_view.lines]
    return render(
        request,
        "shop/cart.html",
        {
            **_shop_context(request),
            "cart": cart_view,
            "bought_together": selectors.bought_together(product_ids=product_ids, exclude_ids=product_ids),
        },
    )


def _back(request: HttpRequest, default: str = "shop:cart") -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(default)


def _report(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@require_POST
def cart_add(request: HttpRequest) -> HttpResponse:
    try:
        product = services.cart_add(
            request=request, product_id=request.POST.get("product"), quantity=request.POST.get("quantity", 1)
        )
    except ValidationError as error:
        _report(request, error)
    else:
        messages.success(request, _("“%(name)s” is in your cart.") % {"name": product.name})
    return _back(request)


@require_POST
def cart_update(request: HttpRequest) -> HttpResponse:
    try:
        services.cart_set_quantity(
            request=request, product_id=request.POST.get("product"), quantity=request.POST.get("quantity")
        )
    except ValidationError as error:
        _report(request, error)
    return redirect("shop:cart")


@require_POST
def cart_remove(request: HttpRequest) -> HttpResponse:
    try:
        services.cart_remove(request=request, product_id=request.POST.get("product"))
    except ValidationError as error:
        _report(request, error)
    return redirect("shop:cart")


@require_POST
def cart_clear(request: HttpRequest) -> HttpResponse:
    services.cart_clear(request=request)
    messages.info(request, _("Your cart is empty now."))
    return redirect("shop:cart")


@login_required
@require_POST
def checkout(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        order = services.order_place(user=request.user, request=request)
    except ValidationError as error:
        _report(request, error)
        return redirect("shop:cart")
    messages.success(request, _("Thank you! Your order #%(number)s is placed.") % {"number": order.pk})
    return redirect("shop:order-detail", pk=order.pk)


@login_required
def order_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = Paginator(selectors.orders_of(request.user), 20).get_page(request.GET.get("page"))
    return render(request, "shop/order_list.html", {**_shop_context(request), "page": page})


@login_required
def order_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    try:
        order = selectors.order_of(request.user, pk)
    except Order.DoesNotExist:
        raise Http404 from None
    return render(request, "shop/order_detail.html", {**_shop_context(request), "order": order})
