"""Search (full-text on PostgreSQL, icontains on SQLite), the search log, trending queries, the purge job."""

from datetime import timedelta

import factory
import pytest
from django.core.cache import cache
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from core.jobs import run_job
from shop import selectors, services
from shop.models import SearchQuery
from shop.search import normalize_query, search_products
from tests.factories import CategoryFactory, OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db
SHOP = reverse("shop:product-list")

only_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="full-text search and ranking exist only on PostgreSQL"
)
only_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="the icontains fallback runs only on SQLite")


@pytest.fixture
def catalogue():
    kitchen, garden = CategoryFactory(name="Kitchen", slug="kitchen"), CategoryFactory(name="Garden", slug="garden")
    return {
        "kettle": ProductFactory(name="Steel kettle", description="Boils water.", category=kitchen, company="Bosch"),
        "toaster": ProductFactory(
            name="Toaster", description="Two slots for bread.", category=kitchen, company="Braun"
        ),
        "hose": ProductFactory(
            name="Garden hose", description="Twenty metres, green.", category=garden, company="Gardena"
        ),
        "mower": ProductFactory(name="Lawn mower", description="Quiet and green.", category=garden, company="Bosch"),
        "hidden": ProductFactory(name="Old kettle", description="Boils water.", category=kitchen, is_active=False),
    }


def names(products) -> list[str]:
    return sorted(product.name for product in products)


def found(client, query: str, **params) -> list[str]:
    response = client.get(SHOP, {"search": query, **params})
    assert response.status_code == 200
    return [product.name for product in response.context["page"].object_list]


def log(query: str, *, days_ago: float = 0, times: int = 1) -> None:
    for _ in range(times):
        entry = SearchQuery.objects.create(query=query)
        if days_ago:
            SearchQuery.objects.filter(pk=entry.pk).update(created_at=timezone.now() - timedelta(days=days_ago))


# --- What is found (the same contract on SQLite and PostgreSQL) --------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kettle", ["Steel kettle"]),  # name
        ("slots", ["Toaster"]),  # description
        ("garden", ["Garden hose", "Lawn mower"]),  # category (and a name)
        ("kitchen", ["Steel kettle", "Toaster"]),  # category only
        ("bosch", ["Lawn mower", "Steel kettle"]),  # company
        ("BRAUN", ["Toaster"]),  # case does not matter
        ("kett", ["Steel kettle"]),  # a word prefix
    ],
)
def test_search_covers_name_description_category_and_company(catalogue, query, expected):
    assert names(search_products(selectors.active_products(), query)) == expected


@pytest.mark.parametrize("query", ["чайник", "Чайник", "ЧАЙНИК стальной", "стал"])
def test_case_does_not_matter_for_non_latin_letters_either(query):
    ProductFactory(name="Чайник Стальной", description="Кипятит воду.")
    ProductFactory(name="Тостер")
    assert names(search_products(selectors.active_products(), query)) == ["Чайник Стальной"]


@pytest.mark.parametrize("query", ["WH-1000", "wh 1000", "1000", "KT-100 1.7", "kettle 1.7", "shop/kettles", "kt_100"])
def test_model_numbers_and_punctuated_words_are_found(query):
    kitchen, audio = CategoryFactory(name="Kitchen", slug="kitchen"), CategoryFactory(name="Audio", slug="audio")
    ProductFactory(name="Kettle KT-100 1.7 l", description="See shop/kettles.", company="Kitfort", category=kitchen)
    ProductFactory(name="WH-1000 wireless headphones", description="Noise cancelling.", company="Sony", category=audio)
    ProductFactory(name="Toaster", description="Two slots.", company="Braun", category=kitchen)
    expected = {"WH-1000", "wh 1000", "1000"}
    assert names(search_products(selectors.active_products(), query)) == (
        ["WH-1000 wireless headphones"] if query in expected else ["Kettle KT-100 1.7 l"]
    )


def test_every_word_of_a_multi_word_query_must_match(catalogue):
    assert names(search_products(selectors.active_products(), "bosch green")) == ["Lawn mower"]
    assert names(search_products(selectors.active_products(), "green  garden")) == ["Garden hose", "Lawn mower"]
    assert names(search_products(selectors.active_products(), "bosch toaster")) == []


def test_words_may_match_different_fields(catalogue):
    # "kitchen" is the category, "boils" the description, "steel" the name.
    assert names(search_products(selectors.active_products(), "kitchen boils steel")) == ["Steel kettle"]


def test_the_page_shows_only_active_products(signed_in, catalogue):
    assert found(signed_in, "kettle") == ["Steel kettle"]


def test_query_syntax_characters_never_break_the_search(signed_in, catalogue):
    assert found(signed_in, "kettle & | ! ( ) : * ' \\") == ["Steel kettle"]
    assert found(signed_in, "kettle:* | hose") == []


def test_a_query_without_words_lists_everything(signed_in, catalogue):
    assert len(found(signed_in, "!!! ???")) == 4


def test_no_match_shows_the_empty_state(signed_in, catalogue):
    response = signed_in.get(SHOP, {"search": "piano"})
    assert list(response.context["page"].object_list) == []
    assert 'id="no-products"' in response.content.decode()


def test_search_combines_with_filters_and_ordering(signed_in, catalogue):
    garden = catalogue["hose"].category
    assert found(signed_in, "green", category=garden.pk, ordering="-name") == ["Lawn mower", "Garden hose"]


def test_a_too_long_query_is_a_clear_error_not_a_crash(signed_in, catalogue):
    response = signed_in.get(SHOP, {"search": "x" * 201})
    assert response.status_code == 200
    assert "filter-errors" in response.content.decode()
    assert not SearchQuery.objects.exists()


@only_postgresql
def test_postgresql_ranks_a_name_match_above_a_description_only_match(signed_in):
    in_description = ProductFactory(name="Aardvark box", description="Comes with a kettle.")
    in_name = ProductFactory(name="Zebra kettle", description="Boils water.")
    ranked = search_products(selectors.active_products(), "kettle")
    assert ranked.get(pk=in_name.pk).rank > ranked.get(pk=in_description.pk).rank
    assert found(signed_in, "kettle") == ["Zebra kettle", "Aardvark box"]
    # An explicit order wins over the rank.
    assert found(signed_in, "kettle", ordering="name") == ["Aardvark box", "Zebra kettle"]


@only_postgresql
def test_postgresql_matches_word_prefixes_not_inner_substrings(catalogue):
    assert names(search_products(selectors.active_products(), "stee kett")) == ["Steel kettle"]
    assert names(search_products(selectors.active_products(), "ettle")) == []


@only_postgresql
def test_postgresql_search_uses_full_text_search():
    sql = str(search_products(selectors.active_products(), "kettle").query)
    assert "to_tsvector" in sql
    assert "to_tsquery" in sql


@only_sqlite
def test_sqlite_falls_back_to_icontains_which_also_matches_inside_words(catalogue):
    assert names(search_products(selectors.active_products(), "ettle")) == ["Steel kettle"]
    assert "rank" not in search_products(selectors.active_products(), "kettle").query.annotations


# --- The search log --------------------------------------------------------------------------


def test_a_query_is_logged_normalised_with_the_user(signed_in, user, catalogue):
    signed_in.get(SHOP, {"search": "  Steel   KETTLE\t"})
    entry = SearchQuery.objects.get()
    assert entry.query == "steel kettle"
    assert entry.user == user


def test_normalize_query_lower_cases_trims_and_collapses_spaces():
    assert normalize_query("  Red \n\t Kettle  ") == "red kettle"
    assert normalize_query("") == ""


@pytest.mark.parametrize("query", ["", "  ", "ab", " A  ", "tv"])
def test_queries_shorter_than_three_characters_are_not_logged(signed_in, query):
    signed_in.get(SHOP, {"search": query})
    assert not SearchQuery.objects.exists()


def test_a_three_character_query_is_logged(signed_in):
    signed_in.get(SHOP, {"search": " Tea "})
    assert list(SearchQuery.objects.values_list("query", flat=True)) == ["tea"]


def test_queries_with_a_stop_word_are_not_logged(signed_in, settings):
    settings.SHOP_SEARCH_STOP_WORDS = ["casino", "Free Money"]
    for query in ["casino", "best CASINO chips", "free   money now"]:
        signed_in.get(SHOP, {"search": query})
    assert not SearchQuery.objects.exists()


def test_the_stop_word_list_comes_from_settings(signed_in, settings):
    settings.SHOP_SEARCH_STOP_WORDS = ["kettle"]
    signed_in.get(SHOP, {"search": "steel kettle"})
    signed_in.get(SHOP, {"search": "casino royale"})
    assert list(SearchQuery.objects.values_list("query", flat=True)) == ["casino royale"]


def test_a_stop_word_inside_a_longer_word_does_not_block_the_query(signed_in, settings):
    settings.SHOP_SEARCH_STOP_WORDS = ["sex"]
    signed_in.get(SHOP, {"search": "Sussex tea"})
    signed_in.get(SHOP, {"search": "sex toys"})
    assert list(SearchQuery.objects.values_list("query", flat=True)) == ["sussex tea"]


def test_later_pages_do_not_log_the_query_again(signed_in):
    ProductFactory.create_batch(25, name=factory.Sequence(lambda number: f"Teapot {number}"))
    signed_in.get(SHOP, {"search": "teapot"})
    response = signed_in.get(SHOP, {"search": "teapot", "page": 2})
    assert response.context["page"].number == 2
    assert SearchQuery.objects.count() == 1


def test_browsing_without_a_query_logs_nothing(signed_in, catalogue):
    signed_in.get(SHOP)
    signed_in.get(SHOP, {"ordering": "price"})
    assert not SearchQuery.objects.exists()


def test_an_invalid_filter_does_not_log_the_query(signed_in):
    signed_in.get(SHOP, {"search": "kettle", "min_price": "abc"})
    assert not SearchQuery.objects.exists()


def test_anonymous_searches_are_refused_and_not_logged(client):
    response = client.get(SHOP, {"search": "kettle"})
    assert response.status_code == 302
    assert not SearchQuery.objects.exists()


# --- Trending --------------------------------------------------------------------------------


def test_trending_is_the_top_five_of_the_last_seven_days_most_frequent_first():
    log("kettle", times=5)
    log("toaster", times=4)
    log("garden hose", times=3)
    log("lawn mower", times=2, days_ago=6.9)
    log("teapot", times=2)
    log("piano", times=1)
    log("ancient", times=9, days_ago=7.1)  # older than 7 days: does not count
    trending = selectors.trending_queries()
    assert [(item["query"], item["count"]) for item in trending] == [
        ("kettle", 5),
        ("toaster", 4),
        ("garden hose", 3),
        ("lawn mower", 2),
        ("teapot", 2),
    ]


def test_trending_is_cached_until_the_cache_is_cleared():
    log("kettle", times=2)
    assert [item["query"] for item in selectors.trending_queries()] == ["kettle"]
    log("toaster", times=3)
    assert [item["query"] for item in selectors.trending_queries()] == ["kettle"]
    cache.clear()
    assert [item["query"] for item in selectors.trending_queries()] == ["toaster", "kettle"]


def test_trending_is_cached_for_the_configured_time(settings, monkeypatch):
    settings.SHOP_TRENDING_CACHE_SECONDS = 120
    stored = {}
    monkeypatch.setattr(cache, "set", lambda key, value, timeout: stored.update({key: timeout}))
    selectors.trending_queries()
    assert stored == {selectors.TRENDING_CACHE_KEY: 120}


def test_trending_with_no_searches_is_empty_and_hidden(signed_in):
    response = signed_in.get(SHOP)
    assert response.context["trending"] == []
    assert 'id="trending"' not in response.content.decode()


def test_trending_queries_are_suggested_under_the_search_box_on_every_shop_page(signed_in, user):
    log("steel kettle", times=3)
    log("garden hose")
    product = ProductFactory()
    order = OrderFactory(user=user, products=[product])
    pages = [
        SHOP,
        reverse("shop:product-detail", args=[product.pk]),
        reverse("shop:cart"),
        reverse("shop:order-list"),
        reverse("shop:order-detail", args=[order.pk]),
    ]
    for url in pages:
        html = signed_in.get(url).content.decode()
        assert 'id="shop-search"' in html, url
        assert 'id="trending"' in html, url
        assert html.index("steel kettle") < html.index("garden hose"), url
        assert f'href="{SHOP}?search=steel%20kettle"' in html, url


def test_a_first_search_appears_in_trending_once_the_cache_expires(signed_in):
    signed_in.get(SHOP, {"search": "Steel Kettle"})
    cache.clear()
    response = signed_in.get(SHOP)
    assert [item["query"] for item in response.context["trending"]] == ["steel kettle"]


# --- Purge job -------------------------------------------------------------------------------


def test_the_purge_job_deletes_entries_past_retention_and_is_idempotent(settings):
    settings.SHOP_SEARCH_LOG_RETENTION_DAYS = 10
    log("ancient", days_ago=10.1)
    log("old", days_ago=30)
    log("recent", days_ago=9.9)
    log("today")
    assert run_job("shop.purge_search_log") == 2
    assert run_job("shop.purge_search_log") == 0
    assert sorted(SearchQuery.objects.values_list("query", flat=True)) == ["recent", "today"]


def test_the_purge_job_uses_thirty_days_by_default():
    log("old", days_ago=31)
    log("kept", days_ago=29)
    assert services.search_log_purge() == 1
    assert list(SearchQuery.objects.values_list("query", flat=True)) == ["kept"]


@only_sqlite
@pytest.mark.django_db(transaction=True)
def test_sqlite_connections_opened_later_can_casefold_too():
    ProductFactory(name="Чайник")
    connection.close()
    assert names(search_products(selectors.active_products(), "ЧАЙНИК")) == ["Чайник"]
