"""The storefront: cards with pictures or the table (remembered), out of stock and discounts on both,
the case-insensitive name order, and the product page's 30-day price chart."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import connection
from django.db.models.functions import Lower
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from shop import selectors, services
from shop.models import PriceChange
from shop.views import VIEW_COOKIE
from tests.factories import CategoryFactory, OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db
SHOP = reverse("shop:product-list")


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def html_of(client, **params) -> str:
    response = client.get(SHOP, params)
    assert response.status_code == 200
    return response.content.decode()


def card_of(html: str, product) -> str:
    cards = re.findall(r'<article class="card[^"]*product-card.*?</article>', html, re.DOTALL)
    return next(card for card in cards if f'data-product="{product.pk}"' in card)


def row_of(html: str, product) -> str:
    return next(row for row in re.findall(r"<tr>.*?</tr>", html, re.DOTALL) if f'value="{product.pk}"' in row)


# --- Cards or table ----------------------------------------------------------------------------


def test_the_catalogue_shows_cards_with_pictures_by_default(signed_in):
    pictured = ProductFactory(name="Kettle", company="Bosch")
    pictured.image.save("kettle.jpg", ContentFile(b"\xff\xd8 not decoded here"), save=True)
    plain = ProductFactory(name="Mug", company="Ceramo")

    html = html_of(signed_in)

    assert 'id="product-grid"' in html
    assert 'id="product-table"' not in html
    card = card_of(html, pictured)
    assert f'<img src="{pictured.image.url}"' in card
    assert "Kettle" in card and "Bosch" in card and "1,000 ₽" in card
    # Without a picture: a tidy placeholder with the brand's initial, no broken image.
    placeholder = card_of(html, plain)
    assert "<img" not in placeholder
    assert '<span class="product-card-placeholder">C</span>' in placeholder
    assert ">Add</button>" in placeholder


def test_a_card_shows_out_of_stock_and_no_usable_add_button(signed_in):
    sold_out, available = ProductFactory(stock=0), ProductFactory(stock=3)

    html = html_of(signed_in)

    assert "Out of stock" in card_of(html, sold_out)
    assert " disabled>" in card_of(html, sold_out)
    assert "Out of stock" not in card_of(html, available)
    assert " disabled>" not in card_of(html, available)


def test_a_card_shows_the_old_price_struck_through_and_the_discount_badge(signed_in):
    product = ProductFactory(price=1000)
    services.price_adjustment_start(
        products=type(product).objects.filter(pk=product.pk), percent=-15, days=7, actor=None
    )
    plain = ProductFactory(price=1000)

    html = html_of(signed_in)

    card = card_of(html, product)
    assert '<s class="text-muted small old-price">1,000 ₽</s>' in card
    assert "850 ₽" in card
    assert card.count("−15%") == 1  # on the picture, not again beside the price
    assert "old-price" not in card_of(html, plain) and "−" not in card_of(html, plain)


def test_the_table_also_shows_out_of_stock_and_the_discount(signed_in):
    sold_out = ProductFactory(stock=0, price=900, old_price=1000)

    row = row_of(html_of(signed_in, view="table"), sold_out)

    assert "Out of stock" in row
    assert " disabled>" in row
    assert '<s class="text-muted small old-price">1,000 ₽</s>' in row
    assert "−10%" in row


def test_the_chosen_view_is_remembered_and_the_links_do_not_repeat_it(signed_in):
    ProductFactory.create_batch(12)

    chosen = signed_in.get(SHOP, {"view": "table", "page_size": 10})
    assert chosen.cookies[VIEW_COOKIE].value == "table"
    assert chosen.cookies[VIEW_COOKIE]["httponly"]
    html = chosen.content.decode()
    assert 'id="product-table"' in html
    assert 'href="?page_size=10&amp;page=2" rel="next"' in html  # no view=… in the page links
    assert 'href="?page_size=10&amp;view=grid"' in html

    again = signed_in.get(SHOP, {"page_size": 10, "page": 2})
    assert 'id="product-table"' in again.content.decode()
    assert VIEW_COOKIE not in again.cookies  # nothing new to remember
    # The toggle keeps the page one is on.
    assert 'href="?page_size=10&amp;page=2&amp;view=grid"' in again.content.decode()

    back = signed_in.get(SHOP, {"view": "grid"})
    assert back.cookies[VIEW_COOKIE].value == "grid"
    assert 'id="product-grid"' in back.content.decode()


def test_an_unknown_view_or_cookie_falls_back_to_cards_and_is_not_remembered(signed_in):
    ProductFactory()
    signed_in.cookies[VIEW_COOKIE] = "<script>"

    response = signed_in.get(SHOP, {"view": "list"})

    assert 'id="product-grid"' in response.content.decode()
    assert VIEW_COOKIE not in response.cookies


def test_the_view_mode_is_part_of_the_cached_catalogue_key(signed_in):
    ProductFactory(name="Kettle")
    html_of(signed_in, view="grid")
    html_of(signed_in, view="table")  # cached separately, not the cards again

    assert 'id="product-table"' in html_of(signed_in)
    signed_in.cookies[VIEW_COOKIE] = "grid"
    assert 'id="product-grid"' in html_of(signed_in)
    signed_in.cookies[VIEW_COOKIE] = "table"
    assert 'id="product-table"' in html_of(signed_in)


@pytest.mark.parametrize("view", ["grid", "table"])
def test_both_views_cost_the_same_queries_whatever_the_page_size(signed_in, view):
    categories = CategoryFactory.create_batch(3)
    for number in range(60):
        ProductFactory(category=categories[number % 3], stock=number % 4, old_price=2000 if number % 5 else None)
    signed_in.cookies[VIEW_COOKIE] = view

    def measured(size: int) -> int:
        signed_in.get(SHOP, {"page_size": size})  # the session's device use is noted once
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            assert signed_in.get(SHOP, {"page_size": size}).status_code == 200
        return len(queries)

    assert measured(10) == measured(50)


# --- Name order ignores case -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("", ["apple", "Banana", "cherry", "банан", "Вишня", "яблоко"]),
        ("name", ["apple", "Banana", "cherry", "банан", "Вишня", "яблоко"]),
        ("-name", ["яблоко", "Вишня", "банан", "cherry", "Banana", "apple"]),
    ],
)
def test_the_catalogue_sorts_names_ignoring_case(signed_in, ordering, expected):
    # Cyrillic too: SQLite's own lower() folds ASCII only (core/db.py gives it Python's).
    for name in ["яблоко", "cherry", "Вишня", "Banana", "банан", "apple"]:
        ProductFactory(name=name)

    response = signed_in.get(SHOP, {"ordering": ordering} if ordering else {})

    assert [product.name for product in response.context["page"].object_list] == expected


# --- The 30-day price chart --------------------------------------------------------------------


def dated_change(product, old: int, new: int, days_ago: float) -> None:
    change = PriceChange.objects.create(product=product, old_price=old, new_price=new, reason="manual")
    PriceChange.objects.filter(pk=change.pk).update(changed_at=timezone.now() - timedelta(days=days_ago))


def test_without_history_the_chart_is_a_flat_line_at_todays_price():
    product = ProductFactory(price=1000)

    history = selectors.price_history_30_days(product)

    assert (history.lowest, history.highest) == (1000, 1000)
    assert history.changes == []
    assert history.line == f"M0.0 {history.height / 2}H{history.width}"


def test_one_change_is_one_step():
    now = timezone.now()
    product = ProductFactory(price=800)
    dated_change(product, 1000, 800, days_ago=15)

    history = selectors.price_history_30_days(product, now=now)

    assert (history.lowest, history.highest) == (800, 1000)
    assert [step.price for step in history.steps] == [1000, 800]
    # Starts high (top margin) and steps down to the bottom margin half way through the window.
    assert history.line == "M0.0 12.0H300.0V148.0H600"
    assert history.area.endswith(f"V{history.height}H0Z")


def test_the_chart_starts_at_the_price_the_window_opened_with_and_ignores_older_changes():
    product = ProductFactory(price=1000)
    dated_change(product, 3000, 1500, days_ago=45)
    dated_change(product, 1500, 700, days_ago=20)
    dated_change(product, 700, 1000, days_ago=5)

    history = selectors.price_history_30_days(product)

    assert [step.price for step in history.steps] == [1500, 700, 1000]
    assert (history.lowest, history.highest) == (700, 1500)
    assert [step.x for step in history.steps][0] == 0


def test_a_price_written_without_history_still_ends_the_line_at_todays_price():
    product = ProductFactory(price=1200)
    dated_change(product, 1000, 900, days_ago=10)

    history = selectors.price_history_30_days(product)

    assert [step.price for step in history.steps] == [1000, 900, 1200]
    assert history.highest == 1200


def test_the_product_page_draws_the_chart_with_a_title_and_description(signed_in):
    product = ProductFactory(price=600)
    dated_change(product, 1000, 800, days_ago=12)
    dated_change(product, 800, 600, days_ago=3)

    html = signed_in.get(reverse("shop:product-detail", args=[product.pk])).content.decode()

    svg = re.search(r'<svg viewBox="-6 0 612 160".*?</svg>', html, re.DOTALL)
    assert svg is not None
    assert 'role="img" aria-labelledby="price-chart-title price-chart-desc"' in svg.group()
    assert '<title id="price-chart-title">Price over the last 30 days</title>' in svg.group()
    assert "2 price changes in 30 days; lowest 600 ₽, highest 1,000 ₽, today 600 ₽." in svg.group()
    assert svg.group().count("<circle") == 2
    assert '<path d="M0.0 12' in svg.group()
    assert "<script" not in html.split('id="price-chart"')[1].split("</figure>")[0]


def test_the_product_page_chart_without_changes_says_so(signed_in):
    product = ProductFactory(price=600)

    html = signed_in.get(reverse("shop:product-detail", args=[product.pk])).content.decode()

    assert "The price has not changed in 30 days: 600 ₽." in html
    assert "<circle" not in html


def test_the_product_page_shows_its_picture_or_the_placeholder(signed_in):
    pictured = ProductFactory()
    pictured.image.save("p.jpg", ContentFile(b"jpeg"), save=True)
    plain = ProductFactory(company="Ceramo")

    assert (
        f'src="{pictured.image.url}"'
        in signed_in.get(reverse("shop:product-detail", args=[pictured.pk])).content.decode()
    )
    plain_html = signed_in.get(reverse("shop:product-detail", args=[plain.pk])).content.decode()
    assert 'class="product-placeholder' in plain_html


def test_recommendation_cards_show_the_picture_or_the_placeholder(signed_in):
    product = ProductFactory(name="Kettle")
    pictured, plain = ProductFactory(name="Mug"), ProductFactory(name="Spoon", company="Zinc")
    pictured.image.save("mug.jpg", ContentFile(b"jpeg"), save=True)
    OrderFactory(products=[product, pictured, plain])

    html = signed_in.get(reverse("shop:product-detail", args=[product.pk])).content.decode()

    together = html[html.index('id="bought-together"') :]
    assert f'<img src="{pictured.image.url}"' in together
    assert '<span class="product-card-placeholder">Z</span>' in together


def test_deep_pages_by_name_walk_the_ids_by_an_index_only_scan_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("covering indexes (INCLUDE) exist only on PostgreSQL")
    ProductFactory.create_batch(5)
    ids = selectors.active_products().order_by(Lower("name"), "id").values_list("pk", flat=True)[2:4]
    sql, params = ids.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a handful of rows would be read sequentially
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "Index Only Scan using shop_product_active_lname" in plan, plan
