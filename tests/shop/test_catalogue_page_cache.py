"""The catalogue page's shared part (filter form, table, page links) is rendered once per catalogue
version, language and query; each request fills in its own CSRF token and path. Every write through
the services and a language switch show at once; deep pages and unknown queries fill no cache.

The version is replaced after the commit, so these tests run in real transactions.
"""

import re

import pytest
from django.conf import settings
from django.db import connection
from django.middleware.csrf import _unmask_cipher_token  # type: ignore[attr-defined]  # private, not in the stubs
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.cache import local_entries
from shop import services
from shop.models import CartItem, CategoryInterest, Product, SearchQuery
from tests.factories import CategoryFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
SHOP = reverse("shop:product-list")
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(autouse=True)
def table_view(client):
    """These tests read the table view (cards: tests/shop/test_storefront.py)."""
    client.cookies["shop_view"] = "table"


@pytest.fixture
def catalogue():
    category = CategoryFactory(name="Kitchen", slug="kitchen")
    return [ProductFactory(name=f"Kettle {number}", category=category, price=1000) for number in range(3)]


def page(client, **params) -> str:
    response = client.get(SHOP, params)
    assert response.status_code == 200
    return response.content.decode()


def table(html: str) -> str:
    start = html.index('id="product-table"')
    return html[start : html.index("</table>", start)]


def row_of(html: str, product) -> str:
    """The table row of ``product``."""
    rows = re.findall(r"<tr>.*?</tr>", table(html), re.DOTALL)
    return next(row for row in rows if f'name="product" value="{product.pk}"' in row)


def unmask(token: str) -> str:
    return _unmask_cipher_token(token)


def rendered_catalogues(response) -> int:
    return sum(1 for template in response.templates if template.name == "shop/_catalogue.html")


# --- Rendered once, read without a product row ---------------------------------------------------


def test_a_warm_catalogue_page_renders_no_table_and_reads_no_product(signed_in, catalogue):
    assert rendered_catalogues(signed_in.get(SHOP)) == 1
    signed_in.get(SHOP)  # the session's device use is noted once

    with CaptureQueriesContext(connection) as queries:
        response = signed_in.get(SHOP)

    assert rendered_catalogues(response) == 0
    sql = [query["sql"] for query in queries if "django_session" not in query["sql"]]
    # The user and the cart's size: no product, category, COUNT or DISTINCT.
    assert len(sql) == 2, sql
    assert not [query for query in sql if "shop_product" in query or "shop_category" in query], sql
    assert "Kettle 2" in response.content.decode()


def test_the_cached_page_is_the_same_page(signed_in, catalogue):
    ProductFactory(name="Mug <b>&</b>", category=catalogue[0].category, price=12345, old_price=20000, stock=0)
    first = signed_in.get(SHOP, {"ordering": "-price"})

    second = signed_in.get(SHOP, {"ordering": "-price"})

    assert (rendered_catalogues(first), rendered_catalogues(second)) == (1, 0)
    # The same bytes but the CSRF token, which Django masks anew for every response.
    first, second = (TOKEN.sub("TOKEN", response.content.decode()) for response in (first, second))
    assert second == first
    assert "Mug &lt;b&gt;&amp;&lt;/b&gt;" in first
    assert "12,345 ₽" in first
    assert "−38%" in first
    assert " disabled>" in first


def test_each_visitor_gets_their_own_csrf_token_and_path_in_the_cached_rows(client, catalogue):
    first, second = UserFactory(), UserFactory()
    client.force_login(first)
    mine = page(client, page_size=10)
    client.logout()
    client.cookies["shop_view"] = "table"  # logging out forgets every cookie
    client.force_login(second)

    theirs = page(client, page_size=10)

    tokens, my_tokens = set(TOKEN.findall(table(theirs))), set(TOKEN.findall(table(mine)))
    assert len(tokens) == len(my_tokens) == 1
    assert unmask(tokens.pop()) == unmask(TOKEN.findall(theirs)[0])  # the navigation bar's
    assert unmask(my_tokens.pop()) != unmask(TOKEN.findall(theirs)[0])
    assert table(theirs).count('name="next" value="/shop/?page_size=10"') == 3
    assert "<!--shop:" not in theirs


def test_a_row_of_a_cached_page_adds_to_the_cart(client, user, catalogue):
    client = client.__class__(enforce_csrf_checks=True)
    client.cookies["shop_view"] = "table"
    client.force_login(user)
    page(client)
    html = page(client, page_size=10)

    row = re.search(r'<form[^>]*add-to-cart">(.*?)</form>', table(html), re.DOTALL)
    assert row is not None
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', row.group(1)))
    response = client.post(reverse("shop:cart-add"), fields)

    assert response.status_code == 302
    assert response.url == "/shop/?page_size=10"
    assert CartItem.objects.get(user=user).product_id == int(fields["product"])


def test_product_data_that_looks_like_a_slot_stays_text(signed_in, catalogue):
    ProductFactory(name="<!--shop:csrf--> <!--shop:next-->", category=catalogue[0].category)

    html = page(signed_in)
    html = page(signed_in)

    assert "&lt;!--shop:csrf--&gt; &lt;!--shop:next--&gt;" in html
    assert len(TOKEN.findall(table(html))) == 4


# --- Every write and a language switch show at once ---------------------------------------------


def test_price_name_stock_and_category_changes_show_at_once(signed_in, catalogue):
    kettle = catalogue[0]
    page(signed_in)

    services.product_price_set(product=kettle, price=777, actor=None)
    assert "777 ₽" in table(page(signed_in))

    services.product_update(product=kettle, data={"name": "Kettle Pro", "stock": 0}, actor=None)
    row = row_of(page(signed_in), kettle)
    assert "Kettle Pro" in row
    assert " disabled>" in row

    services.category_update(category=kettle.category, data={"name": "Cooking"}, actor=None)
    assert ">Cooking</td>" in table(page(signed_in))
    assert "Cooking</option>" in page(signed_in)


def test_new_and_withdrawn_products_and_the_page_links_show_at_once(signed_in, catalogue):
    assert "Teapot" not in page(signed_in, page_size=10)

    services.product_create(
        data={"name": "Teapot", "price": 500, "category": catalogue[0].category, "company": "Brewco"}, actor=None
    )
    html = page(signed_in, page_size=10)
    assert "Teapot" in table(html)
    assert '<option value="Brewco">' in html

    services.products_set_active(products=Product.objects.filter(name="Teapot"), active=False, actor=None)
    assert "Teapot" not in page(signed_in, page_size=10)

    for number in range(8):
        ProductFactory(name=f"Spoon {number}", category=catalogue[0].category)
    services.catalogue_changed()  # what every product write through the services does
    assert 'rel="next"' in page(signed_in, page_size=10)


def test_an_order_taking_the_last_one_disables_its_button_at_once(signed_in, user, catalogue):
    kettle = catalogue[0]
    Product.objects.filter(pk=kettle.pk).update(stock=1)
    services.catalogue_changed()
    CartItem.objects.create(user=user, product=kettle, quantity=1)
    assert " disabled>" not in row_of(page(signed_in), kettle)

    services.order_place(user=user)

    assert " disabled>" in row_of(page(signed_in), kettle)


def test_a_language_switch_shows_the_page_in_the_new_language_at_once(signed_in, catalogue):
    assert ">Add</button>" in page(signed_in)

    signed_in.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    html = page(signed_in)

    assert ">Добавить</button>" in html
    assert "Цена от" in html
    assert ">Магазин</a>" in html  # the navigation bar's section links too
    signed_in.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert ">Add</button>" in page(signed_in)


# --- What fills the cache --------------------------------------------------------------------


def test_deep_pages_unknown_queries_and_filters_fill_no_cache(signed_in, catalogue):
    for number in range(30):
        ProductFactory(name=f"Cup {number:02d}", category=catalogue[0].category)
    services.catalogue_changed()
    page(signed_in, page_size=10)  # the version, the count and the first page
    cached = local_entries()

    page(signed_in, page_size=10)
    page(signed_in, page_size=10, utm_source="mail")
    page(signed_in, page_size=10, ordering="name", search="")
    page(signed_in, page_size=["10", "20"])
    page(signed_in, page_size="11")
    page(signed_in, company="Acme")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("shop.views.CACHED_PAGES", 2)
        page(signed_in, page_size=10, page=3)
    assert local_entries() == cached

    page(signed_in, page_size=10, ordering="-price", page=2)
    assert local_entries() == cached + 1


def test_an_uncached_page_still_fills_in_the_token_and_path(signed_in, catalogue):
    html = page(signed_in, utm_source="mail")

    assert "<!--shop:" not in html
    assert table(html).count('name="next" value="/shop/?utm_source=mail"') == 3
    assert len(TOKEN.findall(table(html))) == 3


# --- The cart's size on every shop page ---------------------------------------------------------


def test_the_cart_badge_sums_the_quantities_in_one_aggregate(signed_in, user, catalogue):
    CartItem.objects.create(user=user, product=catalogue[0], quantity=2)
    CartItem.objects.create(user=user, product=catalogue[1], quantity=3)
    Product.objects.filter(pk=catalogue[1].pk).update(is_active=False)  # still in the cart, still counted
    CartItem.objects.create(user=UserFactory(), product=catalogue[2], quantity=7)
    signed_in.get(SHOP)

    with CaptureQueriesContext(connection) as queries:
        html = page(signed_in)

    assert 'id="cart-count">5<' in html
    cart_reads = [query["sql"] for query in queries if "shop_cartitem" in query["sql"]]
    assert len(cart_reads) == 1
    assert cart_reads[0].startswith('SELECT COALESCE(SUM("quantity"), 0) FROM "shop_cartitem"')
    signed_in.post(reverse("shop:cart-add"), {"product": catalogue[2].pk, "quantity": 4})
    assert 'id="cart-count">9<' in page(signed_in)


def test_an_anonymous_cart_badge_counts_the_session_cart(client, catalogue):
    client.post(reverse("shop:cart-add"), {"product": catalogue[0].pk, "quantity": 2})
    client.post(reverse("shop:cart-add"), {"product": catalogue[1].pk, "quantity": 1})

    assert 'id="cart-count">3<' in client.get(reverse("shop:cart")).content.decode()


def test_a_warm_catalogue_page_reads_the_shared_cache_once(signed_in, user, catalogue, monkeypatch):
    from django.core.cache import caches

    CategoryInterest.objects.create(user=user, category=catalogue[0].category, views=3)
    SearchQuery.objects.create(query="kettle", user=user)
    first = page(signed_in)
    assert 'id="for-you"' in first
    assert "trending-query" in first
    shared = caches["default"]
    reads, depth = [], [0]
    for method in ("get", "get_many"):
        monkeypatch.setattr(shared, method, recording(getattr(shared, method), method, reads, depth))

    html = page(signed_in)

    # The version, the trending queries and "for you" together; the count and the page are in memory
    # (with Redis, the session is read from the cache too).
    shop_reads = [(method, keys) for method, keys in reads if "sessions" not in str(keys)]
    assert shop_reads == [("get_many", ["shop:catalogue-version", "shop:trending", f"shop:for-you:{user.pk}"])]
    assert html.count("recommendation") == 3
    assert ">kettle</a>" in html


def recording(method, name, reads, depth):
    """``method`` noting its calls in ``reads``, but those made inside another (a local cache's
    ``get_many`` calls ``get``; Redis answers it in one round trip)."""

    def record(*args, **kwargs):
        if not depth[0]:
            reads.append((name, args[0]))
        depth[0] += 1
        try:
            return method(*args, **kwargs)
        finally:
            depth[0] -= 1

    return record
