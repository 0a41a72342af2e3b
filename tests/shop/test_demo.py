"""The shop's part of `fill`: a realistic demo catalogue, a few orders and searches; idempotent; --scale."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Sum

from shop import demo
from shop.models import Category, Order, OrderItem, Product, SearchQuery
from shop.selectors import trending_queries

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """`fill` also writes other apps' demo files (chat attachments): keep them out of the shared folders."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")


def fill(*args: str) -> str:
    out = StringIO()
    call_command("fill", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        "categories": Category.objects.count(),
        "products": Product.objects.count(),
        "orders": Order.objects.count(),
        "order items": OrderItem.objects.count(),
        "searches": SearchQuery.objects.count(),
    }


def test_fill_creates_categories_and_at_least_200_products():
    output = fill()

    assert set(Category.objects.values_list("name", flat=True)) == set(demo.CATALOGUE)
    assert Product.objects.count() >= 200
    assert "Shop: 208 products added" in output
    per_category = Category.objects.annotate(n=Count("products")).values_list("n", flat=True)
    assert min(per_category) >= 20


def test_demo_products_have_realistic_names_and_prices():
    fill()

    products = list(Product.objects.values("name", "company", "price", "stock", "description"))
    names = [product["name"] for product in products]
    assert len(set(names)) >= 0.95 * len(names)
    for product in products:
        assert product["name"].startswith(f"{product['company']} ")
        assert not re.search(r"\{|\}|  |Product \d", product["name"]), product["name"]
        assert 99 <= product["price"] <= 200_000
        assert product["price"] % 10 in (0, 9)
        assert product["description"].startswith(product["name"])
        assert product["stock"] >= 0
    assert Product.objects.filter(name__startswith="Apple iPhone").exists()
    # A book costs less than a laptop.
    books = Product.objects.filter(category__name="Books").order_by("-price").first().price
    laptops = Product.objects.filter(category__name="Laptops").order_by("price").first().price
    assert books < laptops


def test_some_demo_products_are_inactive_and_some_out_of_stock():
    fill()

    total = Product.objects.count()
    inactive = Product.objects.filter(is_active=False).count()
    assert 0 < inactive < total * 0.2
    assert Product.objects.filter(is_active=True, stock=0).exists()
    assert Product.objects.filter(is_active=True, stock__gt=0).count() > total / 2


def test_fill_places_a_few_consistent_orders_of_the_demo_buyers():
    fill()

    orders = Order.objects.select_related("user").annotate(n=Count("items"))
    assert 3 <= orders.count() <= 20
    assert {order.user.username for order in orders} == {"alice", "bob", "carol"}
    for order in orders:
        assert order.n >= 1
        line_totals = order.items.aggregate(total=Sum(F("price") * F("quantity")))["total"]
        assert order.total == line_totals
    assert {"placed", "paid", "shipped", "cancelled"} <= set(orders.values_list("status", flat=True))
    # The orders were placed through the checkout: nothing is left in the buyers' carts.
    assert not orders.first().user.cart_items.exists()


def test_fill_logs_a_week_of_searches_that_trend():
    fill()

    assert SearchQuery.objects.count() >= len(demo.SEARCHES)
    assert set(SearchQuery.objects.values_list("query", flat=True)) == set(demo.SEARCHES)
    trending = trending_queries()
    assert len(trending) == 5
    assert trending[0]["count"] >= trending[-1]["count"]


def test_a_second_fill_adds_nothing():
    fill()
    before = counts()

    output = fill()

    assert counts() == before
    assert "Shop:" not in output


def test_fill_scale_2_makes_twice_as_many_products():
    fill("--scale", "2")

    assert Product.objects.count() == 2 * demo.PER_CATEGORY * len(demo.CATALOGUE)
    assert Category.objects.count() == len(demo.CATALOGUE)


def test_fill_scale_2_after_fill_tops_up_to_twice_as_many():
    fill()
    once = Product.objects.count()
    orders = Order.objects.count()

    fill("--scale", "2")

    assert Product.objects.count() == 2 * once
    assert Order.objects.count() == orders
    fill("--scale", "2")
    assert Product.objects.count() == 2 * once


def test_the_catalogue_is_the_same_on_every_run():
    fill()
    first = list(Product.objects.order_by("category__name", "id").values_list("name", "price", "stock", "is_active"))
    Order.objects.all().delete()
    Product.objects.all().delete()

    fill()

    again = list(Product.objects.order_by("category__name", "id").values_list("name", "price", "stock", "is_active"))
    assert [row[:2] for row in again] == [row[:2] for row in first]


def test_the_shop_filler_without_demo_buyers_makes_products_only():
    out = StringIO()

    demo.fill(scale=1, stdout=out)

    assert Product.objects.count() == demo.PER_CATEGORY * len(demo.CATALOGUE)
    assert not Order.objects.exists()
    assert not SearchQuery.objects.exists()


def test_fill_keeps_a_category_a_manager_already_made():
    Category.objects.create(name="Books", slug="my-books")

    fill()

    assert Category.objects.filter(name="Books").get().slug == "my-books"
    assert Category.objects.count() == len(demo.CATALOGUE)
