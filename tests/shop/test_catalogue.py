"""The catalogue page (/shop/) and the product page: access, order, sorting, filters, page sizes, queries."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from shop.models import CategoryInterest, Product, SearchQuery
from tests.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db
SHOP = reverse("shop:product-list")


def listed(client, **params) -> list[str]:
    response = client.get(SHOP, params)
    assert response.status_code == 200
    return [product.name for product in response.context["page"].object_list]


def errors(response) -> list[str]:
    return [error for field_errors in response.context["filter"].form.errors.values() for error in field_errors]


def offered_companies(response) -> list[str]:
    """The company filter's options (the first, "All", has no value)."""
    select = re.search(r'<select name="company".*?</select>', response.content.decode(), re.DOTALL)
    assert select is not None
    return re.findall(r'<option value="([^"]+)"', select.group())


def detail(product) -> str:
    return reverse("shop:product-detail", args=[product.pk])


# --- Access ----------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_login_with_next(client):
    ProductFactory()
    response = client.get(SHOP, {"page": 2})
    assert response.status_code == 302
    assert response.url == f"{reverse('accounts:login')}?next=/shop/%3Fpage%3D2"


def test_the_product_page_needs_login_too(client):
    product = ProductFactory()
    response = client.get(detail(product))
    assert response.status_code == 302
    assert response.url == f"{reverse('accounts:login')}?next={detail(product)}"
    assert not CategoryInterest.objects.exists()


# --- What is listed, in which order ----------------------------------------------------------


def test_only_active_products_are_listed(signed_in):
    ProductFactory(name="On sale")
    ProductFactory(name="Withdrawn", is_active=False)
    response = signed_in.get(SHOP)
    assert [product.name for product in response.context["page"].object_list] == ["On sale"]
    assert "Withdrawn" not in response.content.decode()


def test_the_default_order_is_by_name_then_id_so_pages_never_overlap(signed_in):
    same = [ProductFactory(name="Same name") for _ in range(15)]
    ProductFactory(name="Alpha")
    first = signed_in.get(SHOP, {"page_size": 10}).context["page"].object_list
    second = signed_in.get(SHOP, {"page_size": 10, "page": 2}).context["page"].object_list
    ids = [product.pk for product in [*first, *second]]
    assert ids == [Product.objects.get(name="Alpha").pk, *[product.pk for product in same]]


def test_an_empty_catalogue_shows_the_empty_state(signed_in):
    response = signed_in.get(SHOP)
    assert 'id="no-products"' in response.content.decode()


@pytest.fixture
def sortable():
    """Three products whose every sortable column orders them differently."""
    now = timezone.now()
    rows = [
        # name, category, company, price, created days ago
        ("Banjo", "Music", "Yamaha", 300, 1),
        ("Anvil", "Tools", "Acme", 200, 3),
        ("Clock", "Home", "Braun", 100, 2),
    ]
    for name, category, company, price, days_ago in rows:
        product = ProductFactory(
            name=name,
            category=CategoryFactory(name=category, slug=category.lower()),
            company=company,
            price=price,
        )
        Product.objects.filter(pk=product.pk).update(created_at=now - timedelta(days=days_ago))


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("name", ["Anvil", "Banjo", "Clock"]),
        ("-name", ["Clock", "Banjo", "Anvil"]),
        ("category", ["Clock", "Banjo", "Anvil"]),
        ("-category", ["Anvil", "Banjo", "Clock"]),
        ("company", ["Anvil", "Clock", "Banjo"]),
        ("-company", ["Banjo", "Clock", "Anvil"]),
        ("price", ["Clock", "Anvil", "Banjo"]),
        ("-price", ["Banjo", "Anvil", "Clock"]),
        ("created", ["Anvil", "Clock", "Banjo"]),
        ("-created", ["Banjo", "Clock", "Anvil"]),
    ],
)
def test_sorting_by_each_column_in_both_directions(signed_in, sortable, ordering, expected):
    assert listed(signed_in, ordering=ordering) == expected


def test_sorting_breaks_ties_by_id(signed_in):
    products = [ProductFactory(name=f"P{number}", price=500) for number in (3, 1, 2)]
    assert listed(signed_in, ordering="price") == [product.name for product in products]
    assert listed(signed_in, ordering="-price") == [product.name for product in products]


def test_sort_links_toggle_the_direction_and_keep_the_filters(signed_in, sortable):
    html = signed_in.get(SHOP, {"ordering": "price", "company": "Acme", "page": 1}).content.decode()
    assert 'href="?company=Acme&amp;ordering=-price"' in html
    assert 'href="?company=Acme&amp;ordering=name"' in html


def test_an_unknown_ordering_is_an_error_not_a_crash(signed_in, sortable):
    response = signed_in.get(SHOP, {"ordering": "password"})
    assert response.status_code == 200
    assert errors(response)
    assert 'id="filter-errors"' in response.content.decode()


# --- Filters ---------------------------------------------------------------------------------


@pytest.fixture
def filterable():
    kitchen, garden = CategoryFactory(name="Kitchen", slug="kitchen"), CategoryFactory(name="Garden", slug="garden")
    ProductFactory(name="Kettle", category=kitchen, company="Bosch", price=2500)
    ProductFactory(name="Toaster", category=kitchen, company="Braun", price=1500)
    ProductFactory(name="Hose", category=garden, company="Gardena", price=900)
    ProductFactory(name="Mower", category=garden, company="Bosch", price=15000)
    ProductFactory(name="Old mower", category=garden, company="Bosch", price=100, is_active=False)
    return {"kitchen": kitchen, "garden": garden}


def test_filter_by_category(signed_in, filterable):
    assert listed(signed_in, category=filterable["garden"].pk) == ["Hose", "Mower"]


def test_filter_by_company_ignores_case(signed_in, filterable):
    assert listed(signed_in, company="bosch") == ["Kettle", "Mower"]


def test_filter_by_price_range_includes_the_bounds(signed_in, filterable):
    assert listed(signed_in, min_price=900, max_price=2500) == ["Hose", "Kettle", "Toaster"]
    assert listed(signed_in, min_price=2000) == ["Kettle", "Mower"]
    assert listed(signed_in, max_price=1500) == ["Hose", "Toaster"]


def test_filters_combine(signed_in, filterable):
    assert listed(signed_in, category=filterable["garden"].pk, company="Bosch", max_price=20000) == ["Mower"]


def test_the_filter_form_offers_categories_and_the_companies_of_active_products(signed_in, filterable):
    response = signed_in.get(SHOP)
    assert [category.name for category in response.context["categories"]] == ["Garden", "Kitchen"]
    assert offered_companies(response) == ["Bosch", "Braun", "Gardena"]


def test_the_filter_form_keeps_the_chosen_values(signed_in, filterable):
    garden = filterable["garden"].pk
    html = signed_in.get(SHOP, {"category": garden, "company": "Bosch", "min_price": 10}).content.decode()
    assert f'<option value="{garden}" selected>Garden</option>' in html
    assert '<option value="Bosch" selected>Bosch</option>' in html
    assert 'name="min_price" id="filter-min" value="10"' in html


def test_a_lower_bound_above_the_upper_one_is_a_clear_error(signed_in, filterable):
    response = signed_in.get(SHOP, {"min_price": 5000, "max_price": 100})
    assert response.status_code == 200
    assert errors(response) == ["The upper price must not be below the lower price."]
    assert list(response.context["page"].object_list) == []
    assert "The upper price must not be below the lower price." in response.content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"min_price": "cheap"}, "Enter a whole number."),
        ({"max_price": "1e5x"}, "Enter a whole number."),
        ({"min_price": "NaN"}, "Enter a whole number."),
        ({"min_price": "-5"}, "Ensure this value is greater than or equal to 0."),
        ({"category": "999999"}, "Select a valid choice. That choice is not one of the available choices."),
        ({"category": "kitchen"}, "Select a valid choice. That choice is not one of the available choices."),
        ({"search": "tea\x00pot"}, "Null characters are not allowed."),
        ({"company": "Ac\x00me"}, "Null characters are not allowed."),
    ],
)
def test_bad_filter_values_get_a_message_never_a_500(signed_in, filterable, params, message):
    response = signed_in.get(SHOP, params)
    assert response.status_code == 200
    assert errors(response) == [message]
    assert list(response.context["page"].object_list) == []
    assert not SearchQuery.objects.exists()


@pytest.mark.parametrize("value", ["99999999999999999999999", "1e400", "1" * 60])
def test_enormous_prices_never_crash(signed_in, filterable, value):
    for name in ("min_price", "max_price"):
        response = signed_in.get(SHOP, {name: value})
        assert response.status_code == 200


@pytest.mark.parametrize("page", ["0", "-1", "abc", "9999", "1.5"])
def test_a_bad_page_number_shows_a_page_not_an_error(signed_in, filterable, page):
    response = signed_in.get(SHOP, {"page": page})
    assert response.status_code == 200
    assert response.context["page"].object_list


# --- Page sizes and query counts -------------------------------------------------------------


@pytest.mark.parametrize(("asked", "used"), [(10, 10), (20, 20), (50, 50), (100, 100)])
def test_the_page_size_can_be_chosen(signed_in, asked, used):
    ProductFactory.create_batch(110)
    response = signed_in.get(SHOP, {"page_size": asked})
    assert response.context["page_size"] == used
    assert len(response.context["page"].object_list) == used
    assert f'<option value="{used}" selected>{used}</option>' in response.content.decode()


@pytest.mark.parametrize("asked", ["", "7", "25", "1000", "abc", "-10", "0"])
def test_other_page_sizes_fall_back_to_twenty(signed_in, asked):
    ProductFactory.create_batch(25)
    response = signed_in.get(SHOP, {"page_size": asked})
    assert response.context["page_size"] == 20
    assert len(response.context["page"].object_list) == 20


def test_pagination_links_keep_the_page_size_and_filters(signed_in):
    ProductFactory.create_batch(25, company="Acme")
    html = signed_in.get(SHOP, {"page_size": 10, "company": "Acme"}).content.decode()
    assert 'href="?page_size=10&amp;company=Acme&amp;page=2"' in html


def count_queries(client, **params) -> int:
    client.get(SHOP, params)  # the session's device use is noted once, by this first request
    cache.clear()  # the same cache state for every measured request (trending, "for you")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(SHOP, params)
    assert response.status_code == 200
    return len(queries)


def test_the_list_page_uses_a_constant_number_of_queries(signed_in, user, django_assert_max_num_queries):
    categories = CategoryFactory.create_batch(5)
    for number in range(120):
        ProductFactory(category=categories[number % 5], company=f"Brand {number % 7}")
    small = count_queries(signed_in, page_size=10)
    large = count_queries(signed_in, page_size=100)
    assert small == large
    with django_assert_max_num_queries(10):
        response = signed_in.get(SHOP, {"page_size": 100, "ordering": "-price"})
    assert len(response.context["page"].object_list) == 100


def test_a_search_page_uses_a_constant_number_of_queries(signed_in, django_assert_max_num_queries):
    ProductFactory.create_batch(120, name="Teapot")
    assert count_queries(signed_in, search="teapot", page_size=10) == count_queries(
        signed_in, search="teapot", page_size=100
    )


# --- The product page ------------------------------------------------------------------------


def test_the_product_page_shows_the_product(signed_in):
    product = ProductFactory(
        name="Steel kettle",
        company="Bosch",
        category=CategoryFactory(name="Kitchen"),
        price=2500,
        stock=3,
        description="Boils water.",
    )
    response = signed_in.get(detail(product))
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("Steel kettle", "Bosch", "Kitchen", "2,500 ₽", "3 in stock", "Boils water."):
        assert text in html


def test_an_out_of_stock_product_cannot_be_added_from_its_page(signed_in):
    html = signed_in.get(detail(ProductFactory(stock=0))).content.decode()
    assert "Out of stock" in html
    assert " disabled>" in html


def test_an_inactive_or_unknown_product_is_404(signed_in):
    hidden = ProductFactory(is_active=False)
    assert signed_in.get(detail(hidden)).status_code == 404
    assert signed_in.get(reverse("shop:product-detail", args=[hidden.pk + 1000])).status_code == 404
    assert not CategoryInterest.objects.exists()


def test_viewing_a_product_records_interest_in_its_category(signed_in, user):
    kitchen = CategoryFactory(name="Kitchen")
    kettle, toaster = ProductFactory(category=kitchen), ProductFactory(category=kitchen)
    signed_in.get(detail(kettle))
    signed_in.get(detail(toaster))
    interest = CategoryInterest.objects.get()
    assert (interest.user, interest.category, interest.views, interest.purchases) == (user, kitchen, 2, 0)


def test_the_product_page_uses_a_bounded_number_of_queries(signed_in, django_assert_max_num_queries):
    product = ProductFactory()
    signed_in.get(SHOP)  # the session's device use is noted once, by this first request
    with django_assert_max_num_queries(14):
        assert signed_in.get(detail(product)).status_code == 200


def test_a_fractional_price_filter_is_an_error_not_rounded(client, user):
    from tests.factories import ProductFactory

    ProductFactory(price=1)
    client.force_login(user)
    response = client.get("/shop/", {"min_price": "1.5"})
    assert response.status_code == 200
    assert "min_price" in response.context["filter"].form.errors
    assert list(response.context["page"].object_list) == []
