"""Recommendations: "bought together" from order co-occurrence, "for you" from viewed and bought categories."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from shop import selectors
from shop.models import CartItem, CategoryInterest, Product
from tests.factories import CategoryFactory, OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db
SHOP = reverse("shop:product-list")
CART = reverse("shop:cart")


def names(products) -> list[str]:
    return [product.name for product in products]


def detail(product) -> str:
    return reverse("shop:product-detail", args=[product.pk])


# --- Bought together -------------------------------------------------------------------------


@pytest.fixture
def history():
    """A small order history whose answer is known.

    With P: A in 3 orders, B in 2, C, D and G in 1 each, E (inactive) in 1; F never with P.
    """
    p, a, b, c, d, e, f, g = (ProductFactory(name=name) for name in "PABCDEFG")
    Product.objects.filter(pk=e.pk).update(is_active=False)
    for products in ([p, a, b], [p, a, c], [p, a, b, d], [p, e], [p, g], [a, b, f]):
        OrderFactory(products=products)
    return {product.name: product for product in (p, a, b, c, d, e, f, g)}


def test_bought_together_is_the_top_four_most_co_occurring_first(history):
    # A (3 orders) and B (2) lead; C, D and G tie at 1 and keep the older product first.
    assert names(selectors.bought_together(product_ids=[history["P"].pk])) == ["A", "B", "C", "D"]


def test_bought_together_counts_orders_not_lines():
    p, a, b = ProductFactory(name="P"), ProductFactory(name="A"), ProductFactory(name="B")
    order = OrderFactory(products=[p, a])
    order.items.filter(product=a).update(quantity=50)
    OrderFactory(products=[p, b])
    OrderFactory(products=[p, b])
    assert names(selectors.bought_together(product_ids=[p.pk])) == ["B", "A"]


def test_bought_together_leaves_out_inactive_products(history):
    Product.objects.filter(pk=history["A"].pk).update(is_active=False)
    cache.clear()
    assert names(selectors.bought_together(product_ids=[history["P"].pk])) == ["B", "C", "D", "G"]


def test_bought_together_leaves_out_what_is_excluded_and_the_product_itself(history):
    together = selectors.bought_together(product_ids=[history["P"].pk], exclude_ids=[history["A"].pk])
    assert names(together) == ["B", "C", "D", "G"]
    with_a = names(selectors.bought_together(product_ids=[history["A"].pk]))
    assert with_a == ["P", "B", "C", "D"]  # P and B tie at 3 orders; never A itself


def test_bought_together_for_several_products_pools_their_orders(history):
    together = selectors.bought_together(
        product_ids=[history["P"].pk, history["B"].pk], exclude_ids=[history["P"].pk, history["B"].pk]
    )
    # A is in 4 of the orders holding P or B; C, D, F and G once each.
    assert names(together) == ["A", "C", "D", "F"]


def test_a_product_never_ordered_has_no_companions():
    assert selectors.bought_together(product_ids=[ProductFactory().pk]) == []
    assert selectors.bought_together(product_ids=[]) == []


def test_bought_together_is_cached(history):
    p = history["P"]
    assert names(selectors.bought_together(product_ids=[p.pk])) == ["A", "B", "C", "D"]
    for _ in range(5):
        OrderFactory(products=[p, history["G"]])
    assert names(selectors.bought_together(product_ids=[p.pk])) == ["A", "B", "C", "D"]
    cache.clear()
    assert names(selectors.bought_together(product_ids=[p.pk])) == ["G", "A", "B", "C"]


def test_a_product_deactivated_after_caching_is_not_shown(history):
    p = history["P"]
    selectors.bought_together(product_ids=[p.pk])
    Product.objects.filter(pk=history["A"].pk).update(is_active=False)
    assert names(selectors.bought_together(product_ids=[p.pk])) == ["B", "C", "D"]


def test_the_product_page_shows_bought_together_without_what_is_in_my_cart(signed_in, user, history):
    CartItem.objects.create(user=user, product=history["B"])
    response = signed_in.get(detail(history["P"]))
    assert names(response.context["bought_together"]) == ["A", "C", "D", "G"]
    html = response.content.decode()
    assert 'id="bought-together"' in html
    assert f'href="{detail(history["A"])}"' in html


def test_the_cart_page_shows_bought_together_for_the_whole_cart(signed_in, user, history):
    CartItem.objects.create(user=user, product=history["P"])
    CartItem.objects.create(user=user, product=history["B"])
    response = signed_in.get(CART)
    assert names(response.context["bought_together"]) == ["A", "C", "D", "F"]
    assert 'id="bought-together"' in response.content.decode()


def test_an_anonymous_cart_gets_bought_together_too(client, history):
    client.post(reverse("shop:cart-add"), {"product": history["P"].pk})
    assert names(client.get(CART).context["bought_together"]) == ["A", "B", "C", "D"]


def test_no_section_when_nothing_was_bought_together(signed_in):
    response = signed_in.get(detail(ProductFactory()))
    assert response.context["bought_together"] == []
    assert 'id="bought-together"' not in response.content.decode()


# --- For you ---------------------------------------------------------------------------------


def product_in(category, name: str, *, days_ago: int, **extra):
    product = ProductFactory(name=name, category=category, **extra)
    Product.objects.filter(pk=product.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
    return product


def interest(user, category, *, views: int = 0, purchases: int = 0) -> None:
    CategoryInterest.objects.create(user=user, category=category, views=views, purchases=purchases)


@pytest.fixture
def tastes(user):
    """Garden scores 1 view + 2 purchases × 3 = 7, Kitchen 5 views, Music 2, Tools 1 (4th, unused)."""
    garden, kitchen, music, tools = (CategoryFactory(name=name) for name in ("Garden", "Kitchen", "Music", "Tools"))
    interest(user, garden, views=1, purchases=2)
    interest(user, kitchen, views=5)
    interest(user, music, views=2)
    interest(user, tools, views=1)
    bought = product_in(garden, "Bought hose", days_ago=0)
    OrderFactory(user=user, products=[bought])
    product_in(garden, "Old rake", days_ago=9)
    product_in(garden, "New mower", days_ago=1)
    product_in(garden, "Hidden shears", days_ago=0, is_active=False)
    product_in(kitchen, "Kettle", days_ago=5)
    product_in(kitchen, "Toaster", days_ago=2)
    product_in(kitchen, "Whisk", days_ago=8)
    product_in(music, "Banjo", days_ago=0)
    product_in(tools, "Hammer", days_ago=0)
    return {"garden": garden, "kitchen": kitchen, "music": music}


def test_for_you_follows_the_best_scored_categories_newest_first(user, tastes):
    # Garden (7) before Kitchen (5); the bought hose and the inactive shears are left out.
    assert names(selectors.for_you(user=user)) == ["New mower", "Old rake", "Toaster", "Kettle"]


def test_a_purchase_weighs_three_views(user, tastes):
    CategoryInterest.objects.filter(user=user, category=tastes["garden"]).update(views=0, purchases=1)
    CategoryInterest.objects.filter(user=user, category=tastes["kitchen"]).update(views=2)
    # Garden 3 > Kitchen 2 = Music 2 (tie: the older category first)
    assert names(selectors.for_you(user=user, limit=6)) == [
        "New mower",
        "Old rake",
        "Toaster",
        "Kettle",
        "Whisk",
        "Banjo",
    ]
    CategoryInterest.objects.filter(user=user, category=tastes["kitchen"]).update(views=4)
    cache.clear()
    assert names(selectors.for_you(user=user, limit=3)) == ["Toaster", "Kettle", "Whisk"]


def test_for_you_leaves_out_products_i_bought(user, tastes):
    assert "Bought hose" not in names(selectors.for_you(user=user, limit=20))


def test_for_you_is_empty_without_interests(user):
    ProductFactory()
    assert selectors.for_you(user=user) == []


def test_for_you_is_per_user(user, other_user, tastes):
    assert selectors.for_you(user=other_user) == []
    assert selectors.for_you(user=user)


def test_for_you_is_cached(user, tastes):
    assert names(selectors.for_you(user=user))[0] == "New mower"
    interest(user, CategoryFactory(name="Books"), views=100)
    product_in(CategoryInterest.objects.get(category__name="Books").category, "Novel", days_ago=0)
    assert names(selectors.for_you(user=user))[0] == "New mower"
    cache.clear()
    assert names(selectors.for_you(user=user))[0] == "Novel"


def test_views_and_a_purchase_through_the_site_feed_for_you(signed_in, user):
    """Two views of Kitchen (2) lose to one purchase in Garden (3)."""
    kitchen, garden = CategoryFactory(name="Kitchen"), CategoryFactory(name="Garden")
    kettle = product_in(kitchen, "Kettle", days_ago=3)
    product_in(kitchen, "Toaster", days_ago=4)
    hose = product_in(garden, "Hose", days_ago=1)
    product_in(garden, "Rake", days_ago=2)
    signed_in.get(detail(kettle))
    signed_in.get(detail(kettle))
    CartItem.objects.create(user=user, product=hose)
    signed_in.post(reverse("shop:checkout"))
    assert CategoryInterest.objects.get(category=garden).purchases == 1
    assert CategoryInterest.objects.get(category=kitchen).views == 2
    cache.clear()
    assert names(selectors.for_you(user=user)) == ["Rake", "Kettle", "Toaster"]


def test_the_shop_front_shows_for_you(signed_in, tastes):
    response = signed_in.get(SHOP)
    assert names(response.context["for_you"]) == ["New mower", "Old rake", "Toaster", "Kettle"]
    html = response.content.decode()
    assert 'id="for-you"' in html
    assert html.index("New mower", html.index('id="for-you"')) > 0


def test_for_you_is_hidden_while_searching_or_filtering(signed_in, tastes):
    for params in ({"search": "kettle"}, {"category": tastes["kitchen"].pk}, {"min_price": 1}):
        response = signed_in.get(SHOP, params)
        assert response.context["for_you"] == []
        assert 'id="for-you"' not in response.content.decode()


def test_no_for_you_section_without_interests(signed_in):
    ProductFactory()
    assert 'id="for-you"' not in signed_in.get(SHOP).content.decode()
