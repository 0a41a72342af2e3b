from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from shop.models import Category, Order, OrderItem, Product
from shop.services import MAX_LINE_QUANTITY

if TYPE_CHECKING:  # django-stubs-ext is a development tool, not installed in production
    from django_stubs_ext import StrOrPromise


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "slug"]


class ProductSerializer(serializers.ModelSerializer):
    category = CategorySerializer(read_only=True)
    discount_percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = Product
        fields = [
            "id",
            "name",
            "price",
            "created_at",
            "updated_at",
            "is_active",
            "description",
            "image",
            "category",
            "company",
            "stock",
            "old_price",
            "discount_percent",
        ]
        read_only_fields = fields


class TrendingSerializer(serializers.Serializer):
    query = serializers.CharField()
    count = serializers.IntegerField()


class CartLineSerializer(serializers.Serializer):
    product = ProductSerializer()
    quantity = serializers.IntegerField()
    line_total = serializers.IntegerField()


class CartSerializer(serializers.Serializer):
    items = CartLineSerializer(source="lines", many=True)
    total = serializers.IntegerField()
    count = serializers.IntegerField()


# Ids beyond a 64-bit integer cannot exist; bounding them keeps the database from overflowing (a 500).
MAX_ID = 2**63 - 1
PRODUCT_ID_ERRORS: "dict[str, StrOrPromise]" = {
    "min_value": _("Enter a valid product id."),
    "max_value": _("Enter a valid product id."),
}


class CartAddSerializer(serializers.Serializer):
    product = serializers.IntegerField(min_value=1, max_value=MAX_ID, error_messages=PRODUCT_ID_ERRORS)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY, default=1)


class CartRemoveSerializer(serializers.Serializer):
    product = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, error_messages=PRODUCT_ID_ERRORS)


class OrderItemSerializer(serializers.ModelSerializer):
    line_total = serializers.IntegerField(read_only=True)

    class Meta:
        model = OrderItem
        fields = ["product", "product_name", "price", "quantity", "line_total"]


class OrderSerializer(serializers.ModelSerializer):
    items = OrderItemSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = ["id", "items", "total", "status", "created_at", "status_changed_at"]
