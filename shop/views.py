from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts.types import AuthenticatedHttpRequest
from core.api.pagination import KnownCountPaginator
from shop import newsletter, selectors, services
from shop.filters import ProductFilter
from shop.models import Order


def _page_size(request: HttpRequest) -> int:
    try:
        size = int(request.GET.get("page_size", ""))
    except ValueError:
        return settings.SHOP_PAGE_SIZES[1]
    return size if size in settings.SHOP_PAGE_SIZES else settings.SHOP_PAGE_SIZES[1]


def _shop_context(request: HttpRequest) -> dict:
    """What every shop page shows: the search box with trending queries, and the cart size."""
    return {
        "trending": selectors.trending_queries(),
        "search_query": request.GET.get("search", ""),
        "cart_count": sum(selectors.cart_quantities(request).values()),
    }


@login_required
def product_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    product_filter = ProductFilter(request.GET or None, queryset=selectors.active_products())
    filtered = any(request.GET.get(name) for name in ("search", "category", "company", "min_price", "max_price"))
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
            count = selectors.active_product_count()
    page_size = _page_size(request)
    page = KnownCountPaginator(products, page_size, count=count).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    sort_query = query.copy()
    sort_query.pop("ordering", None)
    return render(
        request,
        "shop/product_list.html",
        {
            **_shop_context(request),
            "filter": product_filter,
            "page": page,
            "page_size": page_size,
            "page_sizes": settings.SHOP_PAGE_SIZES,
            "query_string": query.urlencode(),
            "sort_query": sort_query.urlencode(),
            "ordering": request.GET.get("ordering", ""),
            "categories": selectors.categories(),
            # Hundreds of options: rendered once per catalogue version when no company is chosen (the
            # fragment's key; a chosen one is rendered each time, so no visitor can fill the cache).
            # Passed uncalled: the template calls it only when the fragment is not cached.
            "companies": selectors.companies,
            "catalogue_version": selectors.catalogue_version(),
            "catalogue_cache_seconds": selectors.CATALOGUE_CACHE_SECONDS,
            "for_you": [] if filtered else selectors.for_you(user=request.user),
        },
    )


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
            "price_stats": selectors.price_stats_30_days(product),
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


@csrf_exempt  # RFC 8058 one-click: mail clients POST without a CSRF token; the signed token authorises.
@require_http_methods(["GET", "POST"])
def newsletter_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The link in every newsletter: one click (or the mail client's one-click POST) opts out."""
    try:
        user = newsletter.subscriber_from_token(token)
    except signing.BadSignature:
        return render(request, "shop/newsletter_unsubscribe.html", {"invalid": True}, status=400)
    services.newsletter_unsubscribe(user=user, request=request)
    return render(request, "shop/newsletter_unsubscribe.html", {"email": user.email})
