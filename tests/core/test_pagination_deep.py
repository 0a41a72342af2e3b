"""Deep pages are read through their ids first: the same rows in the same order, in two queries."""

import pytest

from core.api import pagination
from core.api.pagination import KnownCountPaginator
from shop.models import Product
from tests.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shallow_late_lookup(monkeypatch):
    monkeypatch.setattr(pagination, "LATE_LOOKUP_OFFSET", 6)


@pytest.fixture
def products():
    first, second = CategoryFactory(), CategoryFactory()
    # Names repeat, so the order also depends on the id that breaks the ties.
    for number in range(23):
        ProductFactory(name=f"Product {number % 7}", category=first if number % 2 else second)
    return Product.objects.select_related("category").order_by("name", "id")


def test_a_deep_page_holds_the_rows_of_the_plain_slice_in_order(shallow_late_lookup, products):
    for number in (3, 4, 5):
        page = KnownCountPaginator(products, 5, count=23).page(number)

        assert [product.pk for product in page] == [product.pk for product in products[(number - 1) * 5 :][:5]]


def test_a_deep_page_reads_ids_then_rows_with_their_joins(shallow_late_lookup, products, django_assert_num_queries):
    with django_assert_num_queries(2):
        page = KnownCountPaginator(products, 5, count=23).page(3)
        names = [product.category.name for product in page]  # joined: no query per row

    assert len(names) == 5


def test_the_last_page_keeps_django_s_orphans_rule(shallow_late_lookup, products):
    page = KnownCountPaginator(products, 5, count=23, orphans=3).page(4)

    assert [product.pk for product in page] == [product.pk for product in products[15:]]
    assert not page.has_next()


def test_shallow_pages_are_one_query(products, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert len(list(KnownCountPaginator(products, 5, count=23).page(2))) == 5
