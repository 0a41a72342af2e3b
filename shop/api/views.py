from typing import Any

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.types import account_of
from core.api.pagination import PageNumberPagination
from shop import selectors, services
from shop.api.serializers import (
    CartAddSerializer,
    CartRemoveSerializer,
    CartSerializer,
    OrderSerializer,
    ProductSerializer,
    TrendingSerializer,
)
from shop.filters import ProductFilter
from shop.models import Order


@extend_schema(tags=["shop"])
class ProductViewSet(viewsets.ReadOnlyModelViewSet):
    """Active products only; inactive ones answer 404. Filters, search and ordering as on /shop/."""

    serializer_class = ProductSerializer
    lookup_value_regex = r"\d+"
    filter_backends = [DjangoFilterBackend]
    filterset_class = ProductFilter

    def get_queryset(self):
        return selectors.active_products()

    def list(self, request: Request, *args, **kwargs) -> Response:
        response = super().list(request, *args, **kwargs) if _filtered(request) else self._catalogue_page(request)
        # Logged once per search: on its first page (however it is spelt), not on the pages after.
        page = getattr(self.paginator, "page", None)
        search = request.query_params.get("search", "")
        if search and (page is None or page.number == 1):
            services.search_query_log(query=search, user=account_of(request))
        return response

    def _catalogue_page(self, request: Request) -> Response:
        """A page of the unfiltered catalogue, its serialized rows cached per catalogue version: every
        product write replaces the version, so a change is seen at once; a hit reads no database row.

        The count is the cached exact one (no ``COUNT(*)``). The filter set, costly to build, runs
        only on a miss: it rejects a wrong ``ordering`` (a 400), so only valid ones are ever stored.
        Links (next, image URLs) are absolute, so the address the client used is part of the key.
        """
        paginator = self.paginator
        assert isinstance(paginator, PageNumberPagination)  # the default class, set in settings
        version = selectors.catalogue_version()
        count = selectors.active_product_count(version=version)
        page = paginator.page_of(self.get_queryset(), request, count=count)  # validates the page number
        key = selectors.catalogue_cache_key(
            "api",
            request.build_absolute_uri("/"),
            request.query_params.get("ordering", ""),
            page.paginator.per_page,
            page.number,
            version=version,
        )

        def serialized_rows() -> Any:
            filtered = paginator.page_of(self.filter_queryset(self.get_queryset()), request, count=count)
            return self.get_serializer(list(filtered), many=True).data

        return self.get_paginated_response(selectors.catalogue_get_or_set(key, serialized_rows))


def _filtered(request: Request) -> bool:
    """Whether a parameter narrows the list (ordering and paging only rearrange it)."""
    return any(request.query_params.get(name) for name in ProductFilter.base_filters if name != "ordering")


@extend_schema(tags=["shop"], responses={200: TrendingSerializer(many=True)})
class TrendingView(APIView):
    """The top 5 searches of the last 7 days, most frequent first."""

    def get(self, request: Request) -> Response:
        return Response(TrendingSerializer(selectors.trending_queries(), many=True).data)


def _cart_response(request: Request, status_code: int = 200) -> Response:
    return Response(CartSerializer(selectors.cart_for(request)).data, status=status_code)


@extend_schema(tags=["shop"])
class CartView(APIView):
    """The signed-in user's cart: GET it, POST ``{product, quantity}`` to add, DELETE to remove or clear."""

    @extend_schema(responses={200: CartSerializer})
    def get(self, request: Request) -> Response:
        return _cart_response(request)

    @extend_schema(request=CartAddSerializer, responses={200: CartSerializer})
    def post(self, request: Request) -> Response:
        serializer = CartAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.cart_add(
            request=request,
            product_id=serializer.validated_data["product"],
            quantity=serializer.validated_data["quantity"],
        )
        return _cart_response(request)

    @extend_schema(request=CartRemoveSerializer, responses={200: CartSerializer})
    def delete(self, request: Request) -> Response:
        serializer = CartRemoveSerializer(data=request.data or {})
        serializer.is_valid(raise_exception=True)
        if "product" in serializer.validated_data:
            services.cart_remove(request=request, product_id=serializer.validated_data["product"])
        else:
            services.cart_clear(request=request)
        return _cart_response(request)


@extend_schema(tags=["shop"])
class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """My orders; POST ``{}`` orders what is in the cart."""

    serializer_class = OrderSerializer
    lookup_value_regex = r"\d+"
    queryset = Order.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Order.objects.none()
        return Order.objects.filter(user=self.request.user).prefetch_related("items").order_by("-created_at", "-id")

    @extend_schema(request=None, responses={201: OrderSerializer})
    def create(self, request: Request, *args, **kwargs) -> Response:
        order = services.order_place(user=account_of(request), request=request._request)
        order = self.get_queryset().get(pk=order.pk)
        return Response(OrderSerializer(order).data, status=status.HTTP_201_CREATED)
