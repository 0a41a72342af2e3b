"""The cached catalogue (count, companies, the API's serialized pages): every write through the shop's
services is seen at once, and a warm catalogue page reads no product row, no COUNT and no DISTINCT.

The version is replaced after the commit, so these tests run in real transactions.
"""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from shop import selectors, services
from shop.models import CartItem, PriceAdjustment, Product
from tests.factories import CategoryFactory, ProductFactory
from tests.shop.test_catalogue import offered_companies

pytestmark = pytest.mark.django_db(transaction=True)
SHOP = reverse("shop:product-list")
PRODUCTS = "/api/products/"


@pytest.fixture
def catalogue():
    category = CategoryFactory(name="Kitchen", slug="kitchen")
    return [ProductFactory(name=f"Kettle {number}", category=category, company="Acme") for number in range(3)]


def api_page(client, **params) -> dict:
    response = client.get(PRODUCTS, params)
    assert response.status_code == 200, response.content
    return response.json()


def by_name(body: dict) -> dict[str, dict]:
    return {row["name"]: row for row in body["results"]}


def catalogue_queries(client, url: str, **params) -> list[str]:
    client.get(url, params)  # warms the cache (and notes the session's device once)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return [query["sql"] for query in queries]


# --- What a warm cache spares ------------------------------------------------------------------


def test_a_warm_api_page_reads_no_product_row(user_api_client, catalogue):
    assert catalogue_queries(user_api_client, PRODUCTS) == []


def test_a_warm_catalogue_page_reads_only_the_visitor(signed_in, catalogue):
    # The session is read from the database only without Redis (then it is cached_db).
    queries = [sql for sql in catalogue_queries(signed_in, SHOP) if "django_session" not in sql]

    # The user and the cart's size: the page's rows come rendered from the cache (no COUNT, no DISTINCT).
    assert len(queries) == 2, queries
    assert not [sql for sql in queries if "COUNT(" in sql.upper() or "DISTINCT" in sql.upper()], queries


def test_the_company_options_are_rendered_once_per_catalogue_version(signed_in, catalogue, monkeypatch):
    calls = []
    companies = selectors.companies
    monkeypatch.setattr(selectors, "companies", lambda: calls.append(1) or companies())

    first = signed_in.get(SHOP).content.decode()
    second = signed_in.get(SHOP).content.decode()

    assert '<option value="Acme">Acme</option>' in first
    assert '<option value="Acme">Acme</option>' in second
    assert len(calls) == 1


def test_a_chosen_company_is_shown_selected_not_the_cached_options(signed_in, catalogue):
    signed_in.get(SHOP)

    html = signed_in.get(SHOP, {"company": "Acme"}).content.decode()

    assert '<option value="Acme" selected>Acme</option>' in html


def test_a_filtered_list_is_counted_and_read_every_time(user_api_client, catalogue):
    api_page(user_api_client, company="acme")
    ProductFactory(name="Kettle 9", category=catalogue[0].category, company="Acme")  # not through the services

    body = api_page(user_api_client, company="acme")

    assert body["count"] == 4
    assert "Kettle 9" in by_name(body)


# --- Every write through the services is seen at once ------------------------------------------


def test_a_new_product_is_counted_listed_and_its_company_offered_at_once(signed_in, user_api_client, catalogue):
    api_page(user_api_client)
    signed_in.get(SHOP)

    services.product_create(
        data={"name": "Teapot", "price": 500, "category": catalogue[0].category, "company": "Brewco", "stock": 3},
        actor=None,
    )

    body = api_page(user_api_client)
    assert body["count"] == 4
    assert "Teapot" in by_name(body)
    page = signed_in.get(SHOP)
    assert page.context["page"].paginator.count == 4
    assert "Brewco" in offered_companies(page)


def test_deactivated_products_leave_the_count_the_pages_and_the_companies(signed_in, user_api_client, catalogue):
    lone = ProductFactory(name="Lamp", company="Lightco", category=catalogue[0].category)
    api_page(user_api_client)
    signed_in.get(SHOP)

    services.products_set_active(products=Product.objects.filter(pk=lone.pk), active=False, actor=None)

    body = api_page(user_api_client)
    assert body["count"] == 3
    assert "Lamp" not in by_name(body)
    assert "Lightco" not in offered_companies(signed_in.get(SHOP))
    assert selectors.home_stats()[0][1] == 3


def test_a_price_change_a_discount_and_its_end_show_at_once(user_api_client, catalogue):
    kettle = catalogue[0]
    api_page(user_api_client)

    services.product_price_set(product=kettle, price=800, actor=None)
    assert by_name(api_page(user_api_client))["Kettle 0"]["price"] == 800

    services.price_adjustment_start(products=Product.objects.filter(pk=kettle.pk), percent=-50, days=1, actor=None)
    row = by_name(api_page(user_api_client))["Kettle 0"]
    assert (row["price"], row["old_price"], row["discount_percent"]) == (400, 800, 50)

    PriceAdjustment.objects.filter(product=kettle).update(ends_at=timezone.now() - timedelta(seconds=1))
    services.price_adjustments_restore()
    row = by_name(api_page(user_api_client))["Kettle 0"]
    assert (row["price"], row["old_price"]) == (800, None)


def test_edits_category_renames_and_deletions_show_at_once(user_api_client, catalogue):
    api_page(user_api_client)

    services.product_update(product=catalogue[0], data={"name": "Kettle Pro"}, actor=None)
    services.category_update(category=catalogue[0].category, data={"name": "Cooking"}, actor=None)
    services.product_delete(product=catalogue[1], actor=None)

    body = api_page(user_api_client)
    assert sorted(by_name(body)) == ["Kettle 2", "Kettle Pro"]
    assert body["count"] == 2
    assert {row["category"]["name"] for row in body["results"]} == {"Cooking"}


def test_stock_taken_by_an_order_and_returned_by_its_cancellation_shows_at_once(user, user_api_client, catalogue):
    kettle = catalogue[0]
    CartItem.objects.create(user=user, product=kettle, quantity=4)
    api_page(user_api_client)

    order = services.order_place(user=user)
    assert by_name(api_page(user_api_client))["Kettle 0"]["stock"] == 6

    services.order_set_status(order=order, status="cancelled", actor=None)
    assert by_name(api_page(user_api_client))["Kettle 0"]["stock"] == 10


def test_a_new_renamed_or_deleted_category_shows_in_the_filter_at_once(signed_in, catalogue):
    signed_in.get(SHOP)

    garden = services.category_create(data={"name": "Garden", "slug": "garden"}, actor=None)
    assert "Garden" in [category.name for category in signed_in.get(SHOP).context["categories"]]

    services.category_update(category=garden, data={"name": "Outdoors"}, actor=None)
    assert "Outdoors" in [category.name for category in signed_in.get(SHOP).context["categories"]]

    services.category_delete(category=garden, actor=None)
    assert [category.name for category in signed_in.get(SHOP).context["categories"]] == ["Kitchen"]


def test_a_rolled_back_write_keeps_the_cached_catalogue(user_api_client, catalogue):
    api_page(user_api_client)
    version = selectors.catalogue_version()

    with pytest.raises(RuntimeError), transaction.atomic():
        services.product_price_set(product=catalogue[0], price=1, actor=None)
        raise RuntimeError

    assert selectors.catalogue_version() == version
    assert by_name(api_page(user_api_client))["Kettle 0"]["price"] == 1000


# --- The cached count still tells the truth about the pages ------------------------------------


def test_the_next_link_appears_as_soon_as_a_product_fills_a_second_page(user_api_client, catalogue):
    assert api_page(user_api_client, page_size=3)["next"] is None

    services.product_create(
        data={"name": "Kettle 3", "price": 500, "category": catalogue[0].category, "company": "Acme"}, actor=None
    )

    body = api_page(user_api_client, page_size=3)
    assert body["next"] is not None
    assert [row["name"] for row in api_page(user_api_client, page_size=3, page=2)["results"]] == ["Kettle 3"]


def test_cached_pages_keep_each_ordering_size_and_page_apart(user_api_client, catalogue):
    assert [row["name"] for row in api_page(user_api_client, page_size=2)["results"]] == ["Kettle 0", "Kettle 1"]
    assert [row["name"] for row in api_page(user_api_client, page_size=2, page=2)["results"]] == ["Kettle 2"]
    assert [row["name"] for row in api_page(user_api_client, page_size=2, ordering="-name")["results"]] == [
        "Kettle 2",
        "Kettle 1",
    ]


@pytest.mark.parametrize(
    ("params", "field"), [({"page": 3, "page_size": 2}, "page"), ({"ordering": "nope"}, "ordering")]
)
def test_a_page_past_the_end_or_an_unknown_ordering_is_still_a_400(user_api_client, catalogue, params, field):
    api_page(user_api_client)

    response = user_api_client.get(PRODUCTS, params)

    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_without_redis_the_version_expires_so_other_processes_see_a_change_within_a_minute(settings, catalogue):
    settings.REDIS_URL = ""
    assert selectors.catalogue_version_timeout() == 60
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    assert selectors.catalogue_version_timeout() is None
