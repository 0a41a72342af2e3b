"""The shop API: products (list, detail, filters, search, ordering), trending searches, the cart, orders."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from core.models import AuditEvent
from shop.models import CartItem, Order, OrderItem, Product, SearchQuery
from tests.factories import CategoryFactory, OrderFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/products/"
TRENDING = "/api/search/trending/"
CART = "/api/cart/"
ORDERS = "/api/orders/"
LOGIN = "/api/auth/login/"
UNAUTHORIZED = {"code": 401, "message": "Unauthorized"}


def product_url(product) -> str:
    return f"{PRODUCTS}{getattr(product, 'pk', product)}/"


def order_url(order) -> str:
    return f"{ORDERS}{getattr(order, 'pk', order)}/"


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["name"] for item in response.json()["results"]]


def cart_of(user) -> dict[int, int]:
    return dict(CartItem.objects.filter(user=user).values_list("product_id", "quantity"))


def stock_of(product) -> int:
    return Product.objects.values_list("stock", flat=True).get(pk=product.pk)


def assert_bad_request(response, field: str) -> dict:
    """A 400 in the API's error shape, naming ``field``."""
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == 400
    assert isinstance(body["message"], str) and body["message"]
    assert field in body["errors"], body
    return body


# --- Access ----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post", "delete"])
@pytest.mark.parametrize("url", [PRODUCTS, "/api/products/1/", CART, ORDERS, "/api/orders/1/", TRENDING])
def test_anonymous_calls_answer_401_with_the_exact_body(api_client, url, method):
    product = ProductFactory()

    response = getattr(api_client, method)(url.replace("/1/", f"/{product.pk}/"))

    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_anonymous_cart_and_order_calls_change_nothing(api_client):
    product = ProductFactory(stock=5)

    api_client.post(CART, {"product": product.pk, "quantity": 1})
    api_client.post(ORDERS, {})

    assert not CartItem.objects.exists()
    assert not Order.objects.exists()
    assert stock_of(product) == 5


def test_a_bad_bearer_token_answers_401_with_the_exact_body(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    response = api_client.get(PRODUCTS)

    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_a_jwt_from_login_lists_products(api_client, user, password):
    ProductFactory(name="Kettle")
    login = api_client.post(LOGIN, {"login": user.username, "password": password})
    assert login.status_code == 200, login.content
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['access']}")

    response = api_client.get(PRODUCTS)

    assert names(response) == ["Kettle"]


def test_a_session_signed_in_user_lists_products(client, user):
    ProductFactory(name="Kettle")
    client.force_login(user)

    assert names(client.get(PRODUCTS)) == ["Kettle"]


# --- The product list ------------------------------------------------------------------------


def test_list_is_paginated_with_count_next_previous_results(user_api_client):
    ProductFactory.create_batch(25)

    body = user_api_client.get(PRODUCTS).json()

    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 25
    assert len(body["results"]) == 20
    assert body["previous"] is None
    assert "page=2" in body["next"]


def test_list_shows_only_active_products(user_api_client):
    ProductFactory(name="On sale")
    ProductFactory(name="Withdrawn", is_active=False)

    body = user_api_client.get(PRODUCTS).json()

    assert [item["name"] for item in body["results"]] == ["On sale"]
    assert body["count"] == 1


def test_a_product_has_the_contract_fields(user_api_client):
    category = CategoryFactory(name="Kitchen", slug="kitchen")
    ProductFactory(name="Kettle", price=2990, old_price=3500, category=category, company="Bosch", stock=7)

    item = user_api_client.get(PRODUCTS).json()["results"][0]

    expected = {"id", "name", "price", "created_at", "updated_at", "is_active", "category", "company", "stock"}
    assert expected | {"old_price", "description", "image", "discount_percent"} <= set(item)
    assert item["name"] == "Kettle"
    assert item["price"] == 2990
    assert item["old_price"] == 3500
    assert item["discount_percent"] == 15
    assert item["is_active"] is True
    assert item["company"] == "Bosch"
    assert item["stock"] == 7
    assert item["category"] == {"id": category.pk, "name": "Kitchen", "slug": "kitchen"}


def test_default_order_is_by_name_ignoring_case_then_id_and_stable(user_api_client):
    beta = ProductFactory(name="Beta")
    lower_alpha = ProductFactory(name="alpha")
    upper_alpha = ProductFactory(name="Alpha")
    ProductFactory(name="Gamma")
    twin_a = ProductFactory(name="Delta")
    twin_b = ProductFactory(name="delta")

    results = user_api_client.get(PRODUCTS).json()["results"]

    # Names equal but for case keep the order they were added in (the id), on every database.
    assert [item["id"] for item in results[:2]] == [lower_alpha.pk, upper_alpha.pk]
    assert results[2]["id"] == beta.pk
    delta_ids = [item["id"] for item in results if item["name"].lower() == "delta"]
    assert delta_ids == [twin_a.pk, twin_b.pk]
    assert [item["name"] for item in results] == ["alpha", "Alpha", "Beta", "Delta", "delta", "Gamma"]


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("name", ["apple", "Banana", "cherry", "Date"]),
        ("-name", ["Date", "cherry", "Banana", "apple"]),
        ("", ["apple", "Banana", "cherry", "Date"]),
    ],
)
def test_ordering_by_name_ignores_case(user_api_client, ordering, expected):
    for name in ["cherry", "Date", "apple", "Banana"]:
        ProductFactory(name=name)

    results = user_api_client.get(PRODUCTS, {"ordering": ordering} if ordering else {}).json()["results"]

    assert [item["name"] for item in results] == expected


def test_ordering_by_name_ignoring_case_walks_deep_pages_without_gaps_or_overlap(user_api_client, monkeypatch):
    # Pages from this offset on are read by their ids first (late row lookup): lower it to reach it.
    monkeypatch.setattr("core.api.pagination.LATE_LOOKUP_OFFSET", 4)
    names = ["apple", "Apple", "APPLE", "banana", "Banana", "cherry", "Cherry", "date", "Elder", "fig", "Grape"]
    created = [ProductFactory(name=name) for name in names]
    expected = [product.pk for product in sorted(created, key=lambda product: (product.name.lower(), product.pk))]

    for ordering, wanted in (("name", expected), ("-name", None)):
        seen = []
        for number in (1, 2, 3):
            body = user_api_client.get(PRODUCTS, {"ordering": ordering, "page_size": 4, "page": number}).json()
            seen += [item["id"] for item in body["results"]]
        if wanted is None:
            # Descending by name, the id still ascending among equal names.
            wanted = [
                product.pk for product in sorted(created, key=lambda product: (product.name.lower(), -product.pk))
            ][::-1]
        assert seen == wanted


def test_product_detail_shows_an_active_product(user_api_client):
    product = ProductFactory(name="Kettle")

    response = user_api_client.get(product_url(product))

    assert response.status_code == 200
    assert response.json()["id"] == product.pk
    assert response.json()["name"] == "Kettle"


@pytest.mark.parametrize("which", ["inactive", "missing"])
def test_product_detail_of_an_inactive_or_missing_product_is_404_json(user_api_client, which):
    product = ProductFactory(is_active=False)
    url = product_url(product) if which == "inactive" else product_url(product.pk + 1000)

    response = user_api_client.get(url)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"code": 404, "message": "Not found."}


def test_products_are_read_only(user_api_client):
    product = ProductFactory(price=1000)

    created = user_api_client.post(PRODUCTS, {"name": "New", "price": 1})
    changed = user_api_client.patch(product_url(product), {"price": 1})
    deleted = user_api_client.delete(product_url(product))

    assert [created.status_code, changed.status_code, deleted.status_code] == [405, 405, 405]
    assert created.json()["code"] == 405
    assert Product.objects.count() == 1
    assert Product.objects.get().price == 1000


# --- Pagination ------------------------------------------------------------------------------


def test_page_and_page_size_walk_the_list_without_overlap(user_api_client):
    ProductFactory.create_batch(7)

    first = user_api_client.get(PRODUCTS, {"page_size": 3}).json()
    second = user_api_client.get(PRODUCTS, {"page_size": 3, "page": 2}).json()
    third = user_api_client.get(PRODUCTS, {"page_size": 3, "page": 3}).json()

    seen = [item["id"] for page in (first, second, third) for item in page["results"]]
    assert len(seen) == len(set(seen)) == 7
    assert third["next"] is None
    assert third["previous"] is not None


def test_page_size_is_clamped_to_100(user_api_client):
    ProductFactory.create_batch(105)

    body = user_api_client.get(PRODUCTS, {"page_size": 1000}).json()

    assert body["count"] == 105
    assert len(body["results"]) == 100


@pytest.mark.parametrize("page", ["abc", "0", "-1", "3", "1.5"])
def test_a_bad_or_past_the_end_page_answers_400(user_api_client, page):
    ProductFactory.create_batch(3)

    body = assert_bad_request(user_api_client.get(PRODUCTS, {"page": page, "page_size": 2}), "page")

    assert "2" in body["errors"]["page"][0]


@pytest.mark.parametrize("page_size", ["abc", "0", "-5"])
def test_a_nonsense_page_size_falls_back_to_the_default(user_api_client, page_size):
    ProductFactory.create_batch(25)

    response = user_api_client.get(PRODUCTS, {"page_size": page_size})

    assert response.status_code == 200
    assert len(response.json()["results"]) == 20


def test_the_list_costs_the_same_queries_whatever_the_page_size(user_api_client, django_assert_max_num_queries):
    for number in range(120):
        ProductFactory(category=CategoryFactory(name=f"Category {number}", slug=f"c-{number}"))

    with django_assert_max_num_queries(3):
        small = user_api_client.get(PRODUCTS, {"page_size": 5})
    with django_assert_max_num_queries(3):
        large = user_api_client.get(PRODUCTS, {"page_size": 100, "ordering": "category"})

    assert len(small.json()["results"]) == 5
    assert len(large.json()["results"]) == 100


def test_a_search_costs_a_constant_number_of_queries(user_api_client, django_assert_max_num_queries):
    for number in range(60):
        ProductFactory(name=f"Kettle {number}", category=CategoryFactory(name=f"Cat {number}", slug=f"k-{number}"))

    with django_assert_max_num_queries(4):  # count, page, and the search log insert
        small = user_api_client.get(PRODUCTS, {"search": "kettle", "page_size": 5})
    with django_assert_max_num_queries(4):
        large = user_api_client.get(PRODUCTS, {"search": "kettle", "page_size": 100})

    assert len(small.json()["results"]) == 5
    assert len(large.json()["results"]) == 60


# --- Filters, search and ordering ------------------------------------------------------------


@pytest.fixture
def catalogue():
    kitchen = CategoryFactory(name="Kitchen", slug="kitchen")
    audio = CategoryFactory(name="Audio", slug="audio")
    return {
        "kettle": ProductFactory(name="Kettle", price=3000, category=kitchen, company="Bosch"),
        "blender": ProductFactory(name="Blender", price=5000, category=kitchen, company="Philips"),
        "headphones": ProductFactory(
            name="Headphones", price=9000, category=audio, company="Sony", description="Wireless, noise cancelling."
        ),
        "speaker": ProductFactory(name="Speaker", price=1000, category=audio, company="JBL"),
        "hidden": ProductFactory(name="Hidden kettle", price=2000, category=kitchen, company="Bosch", is_active=False),
    }


def test_filter_by_category(user_api_client, catalogue):
    category = catalogue["kettle"].category_id

    assert names(user_api_client.get(PRODUCTS, {"category": category})) == ["Blender", "Kettle"]


def test_filter_by_company_ignores_case(user_api_client, catalogue):
    assert names(user_api_client.get(PRODUCTS, {"company": "bosch"})) == ["Kettle"]


def test_filter_by_price_range_includes_both_ends(user_api_client, catalogue):
    response = user_api_client.get(PRODUCTS, {"min_price": 3000, "max_price": 9000, "ordering": "price"})

    assert names(response) == ["Kettle", "Blender", "Headphones"]


def test_filters_combine(user_api_client, catalogue):
    params = {"category": catalogue["speaker"].category_id, "min_price": 2000, "company": "Sony"}

    assert names(user_api_client.get(PRODUCTS, params)) == ["Headphones"]


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("name", ["Blender", "Headphones", "Kettle", "Speaker"]),
        ("-name", ["Speaker", "Kettle", "Headphones", "Blender"]),
        ("price", ["Speaker", "Kettle", "Blender", "Headphones"]),
        ("-price", ["Headphones", "Blender", "Kettle", "Speaker"]),
        ("company", ["Kettle", "Speaker", "Blender", "Headphones"]),
        ("-company", ["Headphones", "Blender", "Speaker", "Kettle"]),
        ("created", ["Kettle", "Blender", "Headphones", "Speaker"]),
        ("-created", ["Speaker", "Headphones", "Blender", "Kettle"]),
    ],
)
def test_ordering(user_api_client, catalogue, ordering, expected):
    now = timezone.now()
    for age, key in enumerate(["speaker", "headphones", "blender", "kettle"]):
        Product.objects.filter(pk=catalogue[key].pk).update(created_at=now - timedelta(days=age))

    assert names(user_api_client.get(PRODUCTS, {"ordering": ordering})) == expected


@pytest.mark.parametrize("ordering", ["category", "-category"])
def test_ordering_by_category_keeps_ties_in_id_order(user_api_client, catalogue, ordering):
    response = user_api_client.get(PRODUCTS, {"ordering": ordering})

    result = [(item["category"]["name"], item["id"]) for item in response.json()["results"]]
    categories = [name for name, _id in result]
    assert categories == sorted(categories, reverse=ordering.startswith("-"))
    for (first_category, first_id), (second_category, second_id) in zip(result, result[1:], strict=False):
        if first_category == second_category:
            assert first_id < second_id


def test_search_matches_name_description_category_and_company(user_api_client, catalogue):
    assert names(user_api_client.get(PRODUCTS, {"search": "kettle"})) == ["Kettle"]
    assert names(user_api_client.get(PRODUCTS, {"search": "wireless"})) == ["Headphones"]
    assert set(names(user_api_client.get(PRODUCTS, {"search": "audio"}))) == {"Headphones", "Speaker"}
    assert names(user_api_client.get(PRODUCTS, {"search": "PHILIPS"})) == ["Blender"]


def test_search_never_shows_inactive_products(user_api_client, catalogue):
    assert names(user_api_client.get(PRODUCTS, {"search": "hidden"})) == []


def test_search_with_an_explicit_ordering_follows_it(user_api_client, catalogue):
    response = user_api_client.get(PRODUCTS, {"search": "kitchen", "ordering": "-price"})

    assert names(response) == ["Blender", "Kettle"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"ordering": "bogus"}, "ordering"),
        ({"ordering": "stock"}, "ordering"),
        ({"min_price": "x"}, "min_price"),
        ({"max_price": "cheap"}, "max_price"),
        ({"min_price": "-1"}, "min_price"),
        ({"min_price": "NaN"}, "min_price"),
        ({"min_price": "500", "max_price": "100"}, "max_price"),
        ({"category": "999999"}, "category"),
        ({"category": "abc"}, "category"),
        ({"search": "x" * 201}, "search"),
    ],
)
def test_bad_filter_values_answer_400_with_the_error_shape(user_api_client, catalogue, params, field):
    assert_bad_request(user_api_client.get(PRODUCTS, params), field)


def test_a_huge_price_bound_is_not_a_server_error(user_api_client, catalogue):
    response = user_api_client.get(PRODUCTS, {"min_price": "9" * 30})

    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert response.json()["results"] == []


def test_a_bad_filter_does_not_log_the_search(user_api_client, catalogue):
    user_api_client.get(PRODUCTS, {"search": "kettle", "ordering": "bogus"})

    assert not SearchQuery.objects.exists()


# --- The search log and trending -------------------------------------------------------------


def test_search_logs_the_normalised_query_with_the_user(user_api_client, user, catalogue):
    user_api_client.get(PRODUCTS, {"search": "  Wireless   HEADPHONES "})

    logged = SearchQuery.objects.get()
    assert logged.query == "wireless headphones"
    assert logged.user == user


def test_search_is_logged_on_page_one_only(user_api_client):
    ProductFactory.create_batch(4, name="Kettle")

    user_api_client.get(PRODUCTS, {"search": "kettle", "page_size": 2})
    user_api_client.get(PRODUCTS, {"search": "kettle", "page_size": 2, "page": 1})
    user_api_client.get(PRODUCTS, {"search": "kettle", "page_size": 2, "page": 2})

    assert SearchQuery.objects.count() == 2


@pytest.mark.parametrize("page", ["", "01"])
def test_the_first_page_however_spelt_logs_the_search(user_api_client, page):
    ProductFactory.create_batch(2, name="Kettle")

    response = user_api_client.get(PRODUCTS, {"search": "kettle", "page": page})

    assert response.status_code == 200
    assert SearchQuery.objects.count() == 1


@pytest.mark.parametrize("query", ["ab", "  a  ", "cheap viagra", "XXX"])
def test_short_and_stop_word_searches_are_not_logged(user_api_client, query):
    response = user_api_client.get(PRODUCTS, {"search": query})

    assert response.status_code == 200
    assert not SearchQuery.objects.exists()


def test_a_list_without_search_logs_nothing(user_api_client, catalogue):
    user_api_client.get(PRODUCTS, {"ordering": "price"})

    assert not SearchQuery.objects.exists()


def test_trending_lists_the_most_frequent_recent_queries_first(user_api_client):
    for query, times in [("laptop", 3), ("kettle", 5), ("phone", 1), ("mouse", 2), ("desk", 4), ("lamp", 1)]:
        SearchQuery.objects.bulk_create([SearchQuery(query=query) for _ in range(times)])
    old = SearchQuery.objects.bulk_create([SearchQuery(query="ancient") for _ in range(9)])
    SearchQuery.objects.filter(pk__in=[row.pk for row in old]).update(created_at=timezone.now() - timedelta(days=8))

    response = user_api_client.get(TRENDING)

    assert response.status_code == 200
    assert response.json() == [
        {"query": "kettle", "count": 5},
        {"query": "desk", "count": 4},
        {"query": "laptop", "count": 3},
        {"query": "mouse", "count": 2},
        {"query": "lamp", "count": 1},
    ]


def test_trending_is_empty_without_searches(user_api_client):
    assert user_api_client.get(TRENDING).json() == []


def test_api_searches_feed_trending(user_api_client, catalogue):
    for _ in range(2):
        user_api_client.get(PRODUCTS, {"search": "Kettle"})
    user_api_client.get(PRODUCTS, {"search": "blender"})
    cache.clear()

    assert user_api_client.get(TRENDING).json() == [{"query": "kettle", "count": 2}, {"query": "blender", "count": 1}]


# --- The cart --------------------------------------------------------------------------------


def test_an_empty_cart(user_api_client):
    response = user_api_client.get(CART)

    assert response.status_code == 200
    assert response.json() == {"items": [], "total": 0, "count": 0}


def test_adding_to_the_cart_returns_the_cart(user_api_client, user):
    kettle = ProductFactory(name="Kettle", price=3000, stock=10)

    response = user_api_client.post(CART, {"product": kettle.pk, "quantity": 2})

    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 6000
    assert body["count"] == 2
    assert len(body["items"]) == 1
    line = body["items"][0]
    assert line["product"]["id"] == kettle.pk
    assert line["quantity"] == 2
    assert line["line_total"] == 6000
    assert cart_of(user) == {kettle.pk: 2}


def test_quantity_defaults_to_one(user_api_client, user):
    kettle = ProductFactory()

    user_api_client.post(CART, {"product": kettle.pk})

    assert cart_of(user) == {kettle.pk: 1}


def test_adding_twice_adds_up_the_quantities(user_api_client, user):
    kettle = ProductFactory(price=1000, stock=10)
    lamp = ProductFactory(price=500, stock=10)

    user_api_client.post(CART, {"product": kettle.pk, "quantity": 2})
    user_api_client.post(CART, {"product": lamp.pk, "quantity": 1})
    response = user_api_client.post(CART, {"product": kettle.pk, "quantity": 3})

    assert cart_of(user) == {kettle.pk: 5, lamp.pk: 1}
    assert response.json()["total"] == 5500
    assert response.json()["count"] == 6


def test_get_shows_what_was_added(user_api_client):
    kettle = ProductFactory(price=1200)
    user_api_client.post(CART, {"product": kettle.pk, "quantity": 2})

    body = user_api_client.get(CART).json()

    assert [(line["product"]["id"], line["quantity"]) for line in body["items"]] == [(kettle.pk, 2)]
    assert body["total"] == 2400


def test_the_cart_is_per_user(user_api_client, other_user):
    kettle = ProductFactory()
    user_api_client.post(CART, {"product": kettle.pk})
    other = APIClient()
    other.force_authenticate(other_user)

    assert other.get(CART).json() == {"items": [], "total": 0, "count": 0}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "product"),
        ({"product": "abc"}, "product"),
        ({"product": 999999}, "product"),
        ({"product": 0}, "product"),
        ({"product": 10**30}, "product"),
        ({"product": True}, "product"),
        ({"product": "{kettle}", "quantity": 0}, "quantity"),
        ({"product": "{kettle}", "quantity": -2}, "quantity"),
        ({"product": "{kettle}", "quantity": "two"}, "quantity"),
        ({"product": "{kettle}", "quantity": 100}, "quantity"),
        ({"product": "{kettle}", "quantity": 1.5}, "quantity"),
        ({"product": "{hidden}"}, "product"),
        ({"product": "{kettle}", "quantity": 4}, "quantity"),  # 2 in the cart + 4 > stock of 5
    ],
)
def test_bad_additions_answer_400_and_change_nothing(user_api_client, user, data, field):
    kettle = ProductFactory(stock=5)
    hidden = ProductFactory(is_active=False, stock=5)
    CartItem.objects.create(user=user, product=kettle, quantity=2)
    data = {
        key: {"{kettle}": kettle.pk, "{hidden}": hidden.pk}.get(value, value) if isinstance(value, str) else value
        for key, value in data.items()
    }

    assert_bad_request(user_api_client.post(CART, data), field)

    assert cart_of(user) == {kettle.pk: 2}


def test_more_than_the_stock_in_one_go_answers_400_naming_the_stock(user_api_client, user):
    kettle = ProductFactory(name="Kettle", stock=3)

    body = assert_bad_request(user_api_client.post(CART, {"product": kettle.pk, "quantity": 4}), "quantity")

    assert "3" in body["errors"]["quantity"][0]
    assert cart_of(user) == {}


def test_malformed_json_on_the_cart_answers_400_and_changes_nothing(user_api_client, user):
    response = user_api_client.post(CART, data='{"product": ', content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == 400
    assert cart_of(user) == {}


def test_deleting_a_product_removes_only_that_line(user_api_client, user):
    kettle = ProductFactory(price=1000)
    lamp = ProductFactory(price=300)
    CartItem.objects.create(user=user, product=kettle, quantity=2)
    CartItem.objects.create(user=user, product=lamp, quantity=1)

    response = user_api_client.delete(CART, {"product": kettle.pk})

    assert response.status_code == 200
    assert response.json()["total"] == 300
    assert cart_of(user) == {lamp.pk: 1}


@pytest.mark.parametrize("product", ["absent", 999999, "abc", 0, 10**30, 2**63])
def test_deleting_a_product_not_in_the_cart_answers_400_and_changes_nothing(user_api_client, user, product):
    kettle = ProductFactory()
    absent = ProductFactory()
    CartItem.objects.create(user=user, product=kettle, quantity=2)

    response = user_api_client.delete(CART, {"product": absent.pk if product == "absent" else product})

    assert_bad_request(response, "product")
    assert cart_of(user) == {kettle.pk: 2}


def test_deleting_another_users_line_is_refused(user_api_client, user, other_user):
    kettle = ProductFactory()
    CartItem.objects.create(user=other_user, product=kettle, quantity=2)

    assert_bad_request(user_api_client.delete(CART, {"product": kettle.pk}), "product")

    assert cart_of(other_user) == {kettle.pk: 2}


def test_delete_with_an_empty_body_clears_the_cart(user_api_client, user, other_user):
    kettle, lamp = ProductFactory(), ProductFactory()
    CartItem.objects.create(user=user, product=kettle, quantity=2)
    CartItem.objects.create(user=user, product=lamp, quantity=1)
    CartItem.objects.create(user=other_user, product=kettle, quantity=1)

    response = user_api_client.delete(CART)

    assert response.status_code == 200
    assert response.json() == {"items": [], "total": 0, "count": 0}
    assert cart_of(user) == {}
    assert cart_of(other_user) == {kettle.pk: 1}


def test_delete_with_an_empty_json_object_clears_the_cart(user_api_client, user):
    CartItem.objects.create(user=user, product=ProductFactory(), quantity=2)

    response = user_api_client.delete(CART, {})

    assert response.status_code == 200
    assert cart_of(user) == {}


def test_a_deactivated_product_drops_out_of_the_cart_total(user_api_client, user):
    kettle = ProductFactory(price=1000)
    lamp = ProductFactory(price=300)
    CartItem.objects.create(user=user, product=kettle, quantity=1)
    CartItem.objects.create(user=user, product=lamp, quantity=1)
    Product.objects.filter(pk=lamp.pk).update(is_active=False)

    body = user_api_client.get(CART).json()

    assert [line["product"]["id"] for line in body["items"]] == [kettle.pk]
    assert body["total"] == 1000


def test_the_cart_costs_the_same_queries_whatever_its_size(user_api_client, user, django_assert_max_num_queries):
    for number in range(30):
        product = ProductFactory(category=CategoryFactory(name=f"C{number}", slug=f"cart-{number}"))
        CartItem.objects.create(user=user, product=product, quantity=1)

    with django_assert_max_num_queries(3):
        response = user_api_client.get(CART)

    assert response.json()["count"] == 30


# --- Orders ----------------------------------------------------------------------------------


def test_ordering_the_cart_creates_an_order_and_empties_the_cart(user_api_client, user):
    kettle = ProductFactory(name="Kettle", price=3000, stock=5)
    lamp = ProductFactory(name="Lamp", price=700, stock=2)
    user_api_client.post(CART, {"product": kettle.pk, "quantity": 2})
    user_api_client.post(CART, {"product": lamp.pk, "quantity": 1})

    response = user_api_client.post(ORDERS, {})

    assert response.status_code == 201
    body = response.json()
    assert {"id", "items", "total", "status", "created_at"} <= set(body)
    assert body["total"] == 6700
    assert body["status"] == "placed"
    assert sorted((item["product_name"], item["price"], item["quantity"]) for item in body["items"]) == [
        ("Kettle", 3000, 2),
        ("Lamp", 700, 1),
    ]
    order = Order.objects.get()
    assert body["id"] == order.pk
    assert order.user == user
    assert cart_of(user) == {}
    assert user_api_client.get(CART).json()["count"] == 0
    assert stock_of(kettle) == 3
    assert stock_of(lamp) == 1
    assert AuditEvent.objects.filter(action="shop.order_placed", actor=user).count() == 1


def test_an_order_keeps_the_price_it_was_bought_at(user_api_client, user):
    kettle = ProductFactory(price=3000)
    user_api_client.post(CART, {"product": kettle.pk})
    order_id = user_api_client.post(ORDERS, {}).json()["id"]
    Product.objects.filter(pk=kettle.pk).update(price=9999, name="Renamed")

    body = user_api_client.get(order_url(order_id)).json()

    assert body["total"] == 3000
    assert body["items"][0]["price"] == 3000
    assert body["items"][0]["product_name"] != "Renamed"


def test_ordering_an_empty_cart_answers_400_and_creates_nothing(user_api_client):
    response = user_api_client.post(ORDERS, {})

    assert response.status_code == 400
    assert response.json()["code"] == 400
    assert response.json()["message"]
    assert not Order.objects.exists()


def test_ordering_more_than_is_left_answers_400_and_changes_nothing(user_api_client, user):
    kettle = ProductFactory(stock=5)
    lamp = ProductFactory(stock=5)
    CartItem.objects.create(user=user, product=kettle, quantity=2)
    CartItem.objects.create(user=user, product=lamp, quantity=4)
    Product.objects.filter(pk=lamp.pk).update(stock=3)  # sold elsewhere meanwhile

    response = user_api_client.post(ORDERS, {})

    assert response.status_code == 400
    assert response.json()["code"] == 400
    assert not Order.objects.exists()
    assert not OrderItem.objects.exists()
    assert stock_of(kettle) == 5
    assert stock_of(lamp) == 3
    assert cart_of(user) == {kettle.pk: 2, lamp.pk: 4}


def test_orders_list_shows_only_mine_newest_first(user_api_client, user, other_user):
    older = OrderFactory(user=user, products=[ProductFactory()])
    newer = OrderFactory(user=user, products=[ProductFactory()])
    OrderFactory(user=other_user, products=[ProductFactory()])

    body = user_api_client.get(ORDERS).json()

    assert set(body) == {"count", "next", "previous", "results"}
    assert [order["id"] for order in body["results"]] == [newer.pk, older.pk]


def test_my_order_detail(user_api_client, user):
    order = OrderFactory(user=user, products=[ProductFactory(name="Kettle", price=3000)])

    body = user_api_client.get(order_url(order)).json()

    assert body["id"] == order.pk
    assert body["total"] == 3000
    assert [item["product_name"] for item in body["items"]] == ["Kettle"]


@pytest.mark.parametrize("whose", ["other", "missing"])
def test_someone_elses_or_a_missing_order_is_404(user_api_client, other_user, whose):
    order = OrderFactory(user=other_user, products=[ProductFactory()])
    url = order_url(order) if whose == "other" else order_url(order.pk + 1000)

    response = user_api_client.get(url)

    assert response.status_code == 404
    assert response.json() == {"code": 404, "message": "Not found."}


def test_orders_cannot_be_changed_or_deleted_through_the_api(user_api_client, user):
    order = OrderFactory(user=user, products=[ProductFactory()])

    changed = user_api_client.patch(order_url(order), {"status": "shipped"})
    deleted = user_api_client.delete(order_url(order))

    assert changed.status_code == 405
    assert deleted.status_code == 405
    order.refresh_from_db()
    assert order.status == Order.Status.PLACED


def test_the_orders_list_costs_the_same_queries_whatever_its_size(user_api_client, user, django_assert_max_num_queries):
    for _ in range(30):
        OrderFactory(user=user, products=[ProductFactory(), ProductFactory()])

    with django_assert_max_num_queries(3):
        small = user_api_client.get(ORDERS, {"page_size": 2})
    with django_assert_max_num_queries(3):
        large = user_api_client.get(ORDERS, {"page_size": 100})

    assert len(small.json()["results"]) == 2
    assert len(large.json()["results"]) == 30


def test_a_user_whose_token_was_issued_can_order_with_jwt(api_client, password):
    buyer = UserFactory()
    kettle = ProductFactory(price=100, stock=1)
    token = api_client.post(LOGIN, {"login": buyer.email, "password": password}).json()["access"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    api_client.post(CART, {"product": kettle.pk})
    response = api_client.post(ORDERS, {})

    assert response.status_code == 201
    assert Order.objects.get().user == buyer
    assert stock_of(kettle) == 0


# --- The schema ------------------------------------------------------------------------------


def test_the_schema_documents_the_shop_routes_and_validates(tmp_path):
    schema = tmp_path / "schema.yml"

    call_command("spectacular", "--file", str(schema), "--validate", "--fail-on-warn")

    text = schema.read_text()
    for route in ["/api/products/", "/api/products/{id}/", "/api/cart/", "/api/orders/", "/api/search/trending/"]:
        assert f"{route}:" in text
