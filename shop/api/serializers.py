from rest_framework import serializers

from shop.models import Category, Order, OrderItem, Product


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


class CartAddSerializer(serializers.Serializer):
    product = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=1, max_value=99, default=1)


class CartRemoveSerializer(serializers.Serializer):
    product = serializers.IntegerField(min_value=1, required=False)


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
