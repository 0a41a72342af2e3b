"""The shop's part of `fill`: a realistic demo catalogue, a few orders and searches; idempotent; --scale."""

import re
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Sum
from django.utils import timezone
from PIL import Image

from shop import demo, demo_images, services
from shop.models import Category, Order, OrderItem, PriceAdjustment, PriceChange, Product, SearchQuery
from shop.selectors import price_history_30_days, trending_queries

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
        "price changes": PriceChange.objects.count(),
        "discounts": PriceAdjustment.objects.count(),
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

    products = list(Product.objects.values("name", "company", "price", "old_price", "stock", "description"))
    names = [product["name"] for product in products]
    assert len(set(names)) >= 0.95 * len(names)
    for product in products:
        assert product["name"].startswith(f"{product['company']} ")
        assert not re.search(r"\{|\}|  |Product \d", product["name"]), product["name"]
        assert 99 <= product["price"] <= 200_000
        # A shop-like price (a discount takes its percentage off one).
        assert (product["old_price"] or product["price"]) % 10 in (0, 9)
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


# --- Pictures, price history, discounts ------------------------------------------------------


def test_every_demo_product_shows_a_picture_of_its_category_and_brand(settings):
    fill()

    names = dict(Product.objects.values_list("pk", "image"))
    assert "" not in names.values()
    pairs = set(Product.objects.values_list("category__name", "company"))
    # One file per (category, brand), shared by that brand's products: few files for many products.
    assert len(set(names.values())) == len(pairs) < len(names) / 4
    for category, brand in pairs:
        product = Product.objects.filter(category__name=category, company=brand).first()
        assert product.image.name == demo_images.picture_name(category, brand)
        path = Path(settings.MEDIA_ROOT) / product.image.name
        with Image.open(path) as image:
            assert (image.format, image.size) == ("JPEG", (demo_images.WIDTH, demo_images.HEIGHT))
            # Drawn in the brand's colour, not a blank tile.
            assert len(image.getcolors(maxcolors=1 << 16) or range(1 << 16)) > 10


def test_pictures_differ_by_category_and_brand():
    phones = demo_images.picture("Smartphones", "Samsung").tobytes()

    assert demo_images.picture("Laptops", "Samsung").tobytes() != phones
    assert demo_images.picture("Smartphones", "Apple").tobytes() != phones
    assert demo_images.picture("Smartphones", "Samsung").tobytes() == phones
    assert demo_images.brand_colour("No Such Brand") == demo_images.brand_colour("No Such Brand")


def test_fill_gives_pictures_to_products_of_an_earlier_fill_without_drawing_twice(settings, monkeypatch):
    fill()
    Product.objects.update(image="")
    drawn = []
    monkeypatch.setattr(demo_images, "picture", lambda *args: drawn.append(args))

    fill()

    assert not Product.objects.filter(image="").exists()
    assert drawn == []  # the files are there already


def test_deleting_one_product_keeps_the_picture_its_brand_shares(settings, django_capture_on_commit_callbacks):
    fill()
    product = Product.objects.filter(category__name="Laptops", company="Apple").first()
    path = Path(settings.MEDIA_ROOT) / product.image.name

    with django_capture_on_commit_callbacks(execute=True):
        services.product_delete(product=product, actor=None)

    assert path.exists()
    others = Product.objects.filter(image=product.image.name)
    assert others.exists()
    with django_capture_on_commit_callbacks(execute=True):
        for other in others:
            services.product_delete(product=other, actor=None)
    assert not path.exists()  # the last one takes it along


def test_fill_starts_running_discounts_through_the_discount_service():
    fill()

    running = PriceAdjustment.objects.filter(restored_at=None).select_related("product")
    assert 10 <= running.count() <= 40
    assert len({adjustment.percent for adjustment in running}) > 1
    for adjustment in running:
        assert adjustment.percent < 0
        assert adjustment.ends_at > timezone.now() + timedelta(days=6)
        product = adjustment.product
        assert (product.old_price, product.price) == (adjustment.original_price, adjustment.adjusted_price)
        assert product.discount_percent > 0
    assert PriceChange.objects.filter(reason="discount").count() == running.count()


def test_fill_records_a_consistent_price_history_over_more_than_30_days():
    fill()

    now = timezone.now()
    changed = Product.objects.filter(price_changes__reason="manual").distinct()
    assert changed.count() >= 20
    oldest = PriceChange.objects.order_by("changed_at").first().changed_at
    assert oldest < now - timedelta(days=35)
    for product in changed:
        changes = list(product.price_changes.order_by("changed_at", "id"))
        # Each change starts from the price the one before it ended at, and the last is today's price.
        assert all(before.new_price == after.old_price for before, after in zip(changes, changes[1:], strict=False))
        assert changes[-1].new_price == product.price
        assert len({change.changed_at.date() for change in changes}) == len(changes)
    # The product page's 30-day chart has something to show.
    moving = [price_history_30_days(product) for product in changed]
    assert all(history.lowest < history.highest for history in moving)
    assert all(len(history.changes) >= 2 for history in moving)
