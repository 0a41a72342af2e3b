"""The web cart (session and database), the merge at login, checkout, orders and their statuses."""

import threading

import pytest
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import AuditEvent
from shop import services
from shop.models import CartItem, Order, OrderItem, Product
from shop.selectors import SESSION_CART_KEY
from tests.factories import PASSWORD, OrderFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

SHOP = reverse("shop:product-list")
CART = reverse("shop:cart")
ADD = reverse("shop:cart-add")
UPDATE = reverse("shop:cart-update")
REMOVE = reverse("shop:cart-remove")
CLEAR = reverse("shop:cart-clear")
CHECKOUT = reverse("shop:checkout")
ORDERS = reverse("shop:order-list")
LOGIN = reverse("accounts:login")


def flash(response) -> str:
    """The newest flash message (earlier redirects were not followed, so theirs are still queued)."""
    return [str(message) for message in get_messages(response.wsgi_request)][-1]


def add(client, product, quantity=1, **extra):
    return client.post(ADD, {"product": getattr(product, "pk", product), "quantity": quantity, **extra})


def cart_of(user) -> dict[int, int]:
    return dict(CartItem.objects.filter(user=user).values_list("product_id", "quantity"))


def stock_of(product) -> int:
    return Product.objects.values_list("stock", flat=True).get(pk=product.pk)


def detail(product) -> str:
    return reverse("shop:product-detail", args=[product.pk])


# --- Adding to the cart ----------------------------------------------------------------------


def test_add_from_the_list_goes_back_to_the_list_page(signed_in, user):
    product = ProductFactory(name="Teapot")
    response = add(signed_in, product, 2, next=f"{SHOP}?page=2&ordering=price")
    assert response.status_code == 302
    assert response.url == f"{SHOP}?page=2&ordering=price"
    assert cart_of(user) == {product.pk: 2}
    assert flash(response) == "“Teapot” is in your cart."


def test_add_from_the_product_page_goes_back_to_the_product_page(signed_in, user):
    product = ProductFactory()
    response = add(signed_in, product, next=detail(product))
    assert response.url == detail(product)
    assert cart_of(user) == {product.pk: 1}


def test_the_add_forms_on_list_and_product_pages_carry_next(signed_in):
    product = ProductFactory()
    listing = signed_in.get(SHOP, {"ordering": "price"}).content.decode()
    assert 'name="next" value="/shop/?ordering=price"' in listing
    assert f'name="next" value="{detail(product)}"' in signed_in.get(detail(product)).content.decode()


def test_an_outside_next_is_ignored(signed_in, user):
    product = ProductFactory()
    response = add(signed_in, product, next="https://evil.example.com/")
    assert response.url == CART
    assert cart_of(user) == {product.pk: 1}


def test_adding_again_adds_up_the_quantities(signed_in, user):
    product = ProductFactory(stock=10)
    add(signed_in, product, 2)
    add(signed_in, product, 3)
    assert cart_of(user) == {product.pk: 5}


def test_adding_more_than_the_stock_is_refused_with_the_stock_left(signed_in, user):
    product = ProductFactory(name="Teapot", stock=3)
    add(signed_in, product, 2)
    response = add(signed_in, product, 2)
    assert flash(response) == "Only 3 of “Teapot” left."
    assert cart_of(user) == {product.pk: 2}


def test_an_out_of_stock_product_cannot_be_added(signed_in, user):
    product = ProductFactory(name="Teapot", stock=0)
    response = add(signed_in, product)
    assert flash(response) == "Only 0 of “Teapot” left."
    assert cart_of(user) == {}


@pytest.mark.parametrize("product_id", ["inactive", "999999", "abc", ""])
def test_an_inactive_unknown_or_malformed_product_is_refused(signed_in, user, product_id):
    inactive = ProductFactory(is_active=False)
    response = signed_in.post(ADD, {"product": inactive.pk if product_id == "inactive" else product_id})
    assert response.status_code == 302
    assert flash(response) == "This product does not exist or is not on sale."
    assert cart_of(user) == {}


@pytest.mark.parametrize("quantity", ["0", "-1", "100", "abc", "1.5"])
def test_a_bad_quantity_is_refused(signed_in, user, quantity):
    product = ProductFactory(stock=500)
    response = add(signed_in, product, quantity)
    assert flash(response).startswith(("Enter", "Only"))
    assert cart_of(user) == {}


@pytest.mark.parametrize("signed", [True, False])
def test_enormous_ids_and_quantities_get_a_message_never_a_500(client, user, signed):
    if signed:
        client.force_login(user)
    tea = ProductFactory(stock=5)
    add(client, tea, 2)
    huge = "9" * 25
    for url, data in [
        (ADD, {"product": huge}),
        (ADD, {"product": tea.pk, "quantity": huge}),
        (UPDATE, {"product": huge, "quantity": 1}),
        (UPDATE, {"product": tea.pk, "quantity": huge}),
        (REMOVE, {"product": huge}),
    ]:
        response = client.post(url, data)
        assert response.status_code == 302, (url, data)
        assert flash(response).startswith(("This product", "Enter a quantity", "Enter a valid product id")), (url, data)
    assert client.get(reverse("shop:product-detail", args=[int(huge)])).status_code == (404 if signed else 302)
    cart = client.get(CART).context["cart"]
    assert [(line.product, line.quantity) for line in cart.lines] == [(tea, 2)]


def test_the_cart_views_only_accept_post(signed_in):
    for url in (ADD, UPDATE, REMOVE, CLEAR, CHECKOUT):
        assert signed_in.get(url).status_code == 405


# --- The cart page, quantities, remove, clear ------------------------------------------------


def test_the_cart_page_shows_lines_quantities_and_the_total(signed_in):
    tea, cup = ProductFactory(name="Tea", price=300), ProductFactory(name="Cup", price=150)
    add(signed_in, tea, 2)
    add(signed_in, cup, 1)
    response = signed_in.get(CART)
    cart = response.context["cart"]
    assert [(line.product.name, line.quantity, line.line_total) for line in cart.lines] == [
        ("Cup", 1, 150),
        ("Tea", 2, 600),
    ]
    assert (cart.total, cart.count) == (750, 3)
    html = response.content.decode()
    assert 'id="cart-total">750 ₽' in html
    assert 'id="cart-count">3<' in html


def test_the_quantity_can_be_changed(signed_in, user):
    product = ProductFactory(stock=10)
    add(signed_in, product, 1)
    response = signed_in.post(UPDATE, {"product": product.pk, "quantity": 4})
    assert response.url == CART
    assert cart_of(user) == {product.pk: 4}


@pytest.mark.parametrize(
    ("quantity", "message"), [("0", "Enter a quantity from 1 to 99."), ("x", "Enter a whole number.")]
)
def test_a_bad_quantity_change_is_refused_and_changes_nothing(signed_in, user, quantity, message):
    product = ProductFactory(stock=10)
    add(signed_in, product, 2)
    response = signed_in.post(UPDATE, {"product": product.pk, "quantity": quantity})
    assert flash(response) == message
    assert cart_of(user) == {product.pk: 2}


def test_a_quantity_above_the_stock_is_refused(signed_in, user):
    product = ProductFactory(name="Teapot", stock=3)
    add(signed_in, product, 1)
    response = signed_in.post(UPDATE, {"product": product.pk, "quantity": 5})
    assert flash(response) == "Only 3 of “Teapot” left."
    assert cart_of(user) == {product.pk: 1}


def test_remove_takes_the_line_out(signed_in, user):
    tea, cup = ProductFactory(), ProductFactory()
    add(signed_in, tea)
    add(signed_in, cup)
    response = signed_in.post(REMOVE, {"product": tea.pk})
    assert response.url == CART
    assert cart_of(user) == {cup.pk: 1}


@pytest.mark.parametrize(
    ("product_id", "expected"),
    [
        ("absent", "This product is not in your cart."),
        ("9" * 19, "This product is not in your cart."),
        ("9" * 25, "Enter a valid product id."),
        ("-1", "Enter a valid product id."),
        ("²", "Enter a valid product id."),
        ("abc", "Enter a valid product id."),
        ("", "Enter a valid product id."),
    ],
)
def test_removing_what_is_not_in_the_cart_is_a_clear_error_and_changes_nothing(signed_in, user, product_id, expected):
    tea, absent = ProductFactory(), ProductFactory()
    add(signed_in, tea, 2)
    response = signed_in.post(REMOVE, {"product": absent.pk if product_id == "absent" else product_id})
    assert flash(response) == expected
    assert cart_of(user) == {tea.pk: 2}


def test_clear_empties_the_cart(signed_in, user):
    add(signed_in, ProductFactory())
    add(signed_in, ProductFactory())
    response = signed_in.post(CLEAR)
    assert flash(response) == "Your cart is empty now."
    assert cart_of(user) == {}
    assert 'id="empty-cart"' in signed_in.get(CART).content.decode()


def test_a_product_deactivated_after_adding_leaves_the_cart_page(signed_in, user):
    tea, cup = ProductFactory(name="Tea"), ProductFactory(name="Cup")
    add(signed_in, tea)
    add(signed_in, cup)
    Product.objects.filter(pk=cup.pk).update(is_active=False)
    cart = signed_in.get(CART).context["cart"]
    assert [line.product.name for line in cart.lines] == ["Tea"]


# --- The anonymous cart and the merge at login -----------------------------------------------


def test_an_anonymous_cart_lives_in_the_session(client):
    tea = ProductFactory(name="Tea", price=200)
    add(client, tea, 2)
    assert client.session[SESSION_CART_KEY] == {str(tea.pk): 2}
    assert not CartItem.objects.exists()
    cart = client.get(CART).context["cart"]
    assert [(line.product.name, line.quantity) for line in cart.lines] == [("Tea", 2)]
    assert cart.total == 400


def test_an_anonymous_visitor_can_change_remove_and_clear(client):
    tea, cup = ProductFactory(), ProductFactory()
    add(client, tea)
    add(client, cup)
    client.post(UPDATE, {"product": tea.pk, "quantity": 3})
    assert client.session[SESSION_CART_KEY] == {str(tea.pk): 3, str(cup.pk): 1}
    client.post(REMOVE, {"product": cup.pk})
    assert client.session[SESSION_CART_KEY] == {str(tea.pk): 3}
    response = client.post(REMOVE, {"product": cup.pk})
    assert flash(response) == "This product is not in your cart."
    assert client.session[SESSION_CART_KEY] == {str(tea.pk): 3}
    client.post(CLEAR)
    assert SESSION_CART_KEY not in client.session


def test_an_anonymous_visitor_is_asked_to_log_in_to_check_out(client):
    add(client, ProductFactory())
    assert f'href="{LOGIN}?next={CART}"' in client.get(CART).content.decode()
    response = client.post(CHECKOUT)
    assert response.status_code == 302
    assert response.url.startswith(f"{LOGIN}?next=")
    assert not Order.objects.exists()


def test_the_session_cart_merges_into_the_users_cart_at_login(client, user):
    tea, cup, pot = ProductFactory(stock=10), ProductFactory(stock=10), ProductFactory(stock=10)
    CartItem.objects.create(user=user, product=tea, quantity=2)
    CartItem.objects.create(user=user, product=pot, quantity=1)
    add(client, tea, 3)
    add(client, cup, 1)
    response = client.post(LOGIN, {"login": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert cart_of(user) == {tea.pk: 5, cup.pk: 1, pot.pk: 1}
    assert SESSION_CART_KEY not in client.session
    cart = client.get(CART).context["cart"]
    assert cart.count == 7


def test_the_merge_caps_the_quantity_at_the_stock_and_skips_inactive_products(client, user):
    tea, gone = ProductFactory(stock=4), ProductFactory(stock=10)
    CartItem.objects.create(user=user, product=tea, quantity=3)
    add(client, tea, 3)
    add(client, gone, 1)
    Product.objects.filter(pk=gone.pk).update(is_active=False)
    client.post(LOGIN, {"login": user.email, "password": PASSWORD})
    assert cart_of(user) == {tea.pk: 4}


def test_a_failed_login_keeps_the_session_cart(client, user):
    tea = ProductFactory()
    add(client, tea, 2)
    client.post(LOGIN, {"login": user.username, "password": "Wrong$Pass1"})
    assert client.session[SESSION_CART_KEY] == {str(tea.pk): 2}
    assert cart_of(user) == {}


# --- Checkout --------------------------------------------------------------------------------


def test_checkout_places_an_order_with_a_price_snapshot(signed_in, user):
    tea = ProductFactory(name="Tea", price=300, stock=5)
    cup = ProductFactory(name="Cup", price=150, stock=1)
    add(signed_in, tea, 2)
    add(signed_in, cup, 1)
    response = signed_in.post(CHECKOUT)
    order = Order.objects.get()
    assert response.url == reverse("shop:order-detail", args=[order.pk])
    assert flash(response) == f"Thank you! Your order #{order.pk} is placed."
    assert (order.user, order.status, order.total) == (user, Order.Status.PLACED, 750)
    assert list(order.items.values_list("product_id", "product_name", "price", "quantity")) == [
        (tea.pk, "Tea", 300, 2),
        (cup.pk, "Cup", 150, 1),
    ]
    assert (stock_of(tea), stock_of(cup)) == (3, 0)
    assert cart_of(user) == {}
    event = AuditEvent.objects.get(action="shop.order_placed")
    assert (event.actor, event.target_id, event.details["total"]) == (user, str(order.pk), 750)
    assert event.ip_address == "127.0.0.1"


def test_later_price_and_name_changes_do_not_alter_the_order(signed_in, user):
    tea = ProductFactory(name="Tea", price=300)
    add(signed_in, tea, 2)
    signed_in.post(CHECKOUT)
    services.product_price_set(product=tea, price=999, actor=None)
    Product.objects.filter(pk=tea.pk).update(name="Renamed tea")
    order = Order.objects.get()
    html = signed_in.get(reverse("shop:order-detail", args=[order.pk])).content.decode()
    assert order.total == 600
    assert list(order.items.values_list("product_name", "price")) == [("Tea", 300)]
    assert 'id="order-total">600 ₽' in html
    assert "Renamed tea" not in html


def test_the_order_survives_the_products_deletion(signed_in, user):
    tea = ProductFactory(name="Tea", price=300)
    add(signed_in, tea)
    signed_in.post(CHECKOUT)
    Product.objects.filter(pk=tea.pk).delete()
    item = OrderItem.objects.get()
    assert (item.product, item.product_name, item.price) == (None, "Tea", 300)
    assert signed_in.get(reverse("shop:order-detail", args=[item.order_id])).status_code == 200


def test_an_empty_cart_cannot_be_checked_out(signed_in):
    response = signed_in.post(CHECKOUT)
    assert response.url == CART
    assert flash(response) == "Your cart is empty."
    assert not Order.objects.exists()
    assert not AuditEvent.objects.filter(action="shop.order_placed").exists()


def test_insufficient_stock_refuses_the_whole_order_and_changes_nothing(signed_in, user):
    tea = ProductFactory(name="Tea", stock=5)
    cup = ProductFactory(name="Cup", stock=5)
    add(signed_in, tea, 2)
    add(signed_in, cup, 3)
    Product.objects.filter(pk=cup.pk).update(stock=2)  # someone else bought some meanwhile
    response = signed_in.post(CHECKOUT)
    assert response.url == CART
    assert flash(response) == "Not enough “Cup” in stock any more. Please change the quantity."
    assert not Order.objects.exists()
    assert not OrderItem.objects.exists()
    assert (stock_of(tea), stock_of(cup)) == (5, 2)
    assert cart_of(user) == {tea.pk: 2, cup.pk: 3}
    assert not AuditEvent.objects.filter(action="shop.order_placed").exists()


def test_a_product_deactivated_in_the_cart_is_not_ordered(signed_in, user):
    tea, cup = ProductFactory(price=100, stock=5), ProductFactory(price=50, stock=5)
    add(signed_in, tea)
    add(signed_in, cup)
    Product.objects.filter(pk=cup.pk).update(is_active=False)
    signed_in.post(CHECKOUT)
    order = Order.objects.get()
    assert list(order.items.values_list("product_id", flat=True)) == [tea.pk]
    assert order.total == 100
    assert stock_of(cup) == 5


def test_a_cart_of_only_deactivated_products_counts_as_empty(signed_in, user):
    tea = ProductFactory()
    add(signed_in, tea)
    Product.objects.filter(pk=tea.pk).update(is_active=False)
    response = signed_in.post(CHECKOUT)
    assert flash(response) == "Your cart is empty."
    assert not Order.objects.exists()


# --- Order history and order page ------------------------------------------------------------


def test_order_history_lists_only_my_orders_newest_first(signed_in, user, other_user):
    tea = ProductFactory()
    first = OrderFactory(user=user, products=[tea])
    second = OrderFactory(user=user, products=[tea, ProductFactory()])
    OrderFactory(user=other_user, products=[tea])
    response = signed_in.get(ORDERS)
    orders = list(response.context["page"].object_list)
    assert orders == [second, first]
    assert [order.item_count for order in orders] == [2, 1]


def test_order_history_with_no_orders_shows_the_empty_state(signed_in):
    assert "You have no orders yet." in signed_in.get(ORDERS).content.decode()


def test_order_history_uses_a_constant_number_of_queries(signed_in, user, django_assert_max_num_queries):
    products = ProductFactory.create_batch(3)
    for _ in range(20):
        OrderFactory(user=user, products=products)
    signed_in.get(CART)  # the session's device use is noted once, by this first request
    with django_assert_max_num_queries(7):
        response = signed_in.get(ORDERS)
    assert len(response.context["page"].object_list) == 20


def test_the_order_page_shows_my_order(signed_in, user):
    order = OrderFactory(user=user, products=[ProductFactory(name="Tea", price=300)])
    response = signed_in.get(reverse("shop:order-detail", args=[order.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Tea" in html
    assert 'id="order-total">300 ₽' in html


def test_someone_elses_or_an_unknown_order_is_404(signed_in, other_user):
    order = OrderFactory(user=other_user, products=[ProductFactory()])
    assert signed_in.get(reverse("shop:order-detail", args=[order.pk])).status_code == 404
    assert signed_in.get(reverse("shop:order-detail", args=[order.pk + 100])).status_code == 404


def test_order_pages_need_login(client, user):
    order = OrderFactory(user=user)
    for url in (ORDERS, reverse("shop:order-detail", args=[order.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url == f"{LOGIN}?next={url}"


# --- Order statuses --------------------------------------------------------------------------


@pytest.fixture
def placed(user):
    """An order of 2 teapots (stock 8 left) and 1 cup (stock 4 left) placed through the service."""
    tea, cup = ProductFactory(stock=10), ProductFactory(stock=5)
    CartItem.objects.create(user=user, product=tea, quantity=2)
    CartItem.objects.create(user=user, product=cup, quantity=1)
    order = services.order_place(user=user)
    return order, tea, cup


def test_an_order_moves_placed_paid_shipped(placed, manager):
    order, tea, _cup = placed
    services.order_set_status(order=order, status=Order.Status.PAID, actor=manager)
    assert order.status == Order.Status.PAID
    services.order_set_status(order=order, status=Order.Status.SHIPPED, actor=manager)
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    assert stock_of(tea) == 8
    assert list(
        AuditEvent.objects.filter(action__in=["shop.order_paid", "shop.order_shipped"])
        .order_by("id")
        .values_list("action", "actor")
    ) == [("shop.order_paid", manager.pk), ("shop.order_shipped", manager.pk)]


@pytest.mark.parametrize("first", [None, Order.Status.PAID])
def test_cancelling_a_placed_or_paid_order_returns_the_stock(placed, manager, first):
    order, tea, cup = placed
    if first:
        services.order_set_status(order=order, status=first, actor=manager)
    services.order_set_status(order=order, status=Order.Status.CANCELLED, actor=manager)
    assert order.status == Order.Status.CANCELLED
    assert (stock_of(tea), stock_of(cup)) == (10, 5)


def test_cancelling_returns_stock_even_for_a_deactivated_product_and_skips_deleted_ones(placed, manager):
    order, tea, cup = placed
    Product.objects.filter(pk=tea.pk).update(is_active=False)
    Product.objects.filter(pk=cup.pk).delete()
    services.order_set_status(order=order, status=Order.Status.CANCELLED, actor=manager)
    assert stock_of(tea) == 10


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        ([], Order.Status.SHIPPED),
        ([], Order.Status.PLACED),
        ([Order.Status.PAID], Order.Status.PLACED),
        ([Order.Status.PAID], Order.Status.PAID),
        ([Order.Status.PAID, Order.Status.SHIPPED], Order.Status.CANCELLED),
        ([Order.Status.PAID, Order.Status.SHIPPED], Order.Status.PAID),
        ([Order.Status.CANCELLED], Order.Status.PAID),
        ([Order.Status.CANCELLED], Order.Status.CANCELLED),
        ([], "bogus"),
    ],
)
def test_illegal_transitions_are_refused_and_change_nothing(placed, manager, path, illegal):
    order, tea, cup = placed
    for status in path:
        services.order_set_status(order=order, status=status, actor=manager)
    before = (order.status, stock_of(tea), stock_of(cup), AuditEvent.objects.count())
    with pytest.raises(ValidationError):
        services.order_set_status(order=order, status=illegal, actor=manager)
    order.refresh_from_db()
    assert (order.status, stock_of(tea), stock_of(cup), AuditEvent.objects.count()) == before


def test_the_refusal_names_both_statuses(placed, manager):
    order, _tea, _cup = placed
    with pytest.raises(ValidationError) as error:
        services.order_set_status(order=order, status=Order.Status.SHIPPED, actor=manager)
    assert error.value.messages == ["An order that is placed cannot become shipped."]


def test_a_second_cancel_from_a_stale_copy_does_not_return_the_stock_twice(placed, manager):
    order, tea, _cup = placed
    stale = Order.objects.get(pk=order.pk)  # e.g. a second admin tab still showing "placed"
    services.order_set_status(order=order, status=Order.Status.CANCELLED, actor=manager)
    with pytest.raises(ValidationError):
        services.order_set_status(order=stale, status=Order.Status.CANCELLED, actor=manager)
    assert stock_of(tea) == 10


# --- Concurrency (PostgreSQL) ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_checkouts_of_the_last_unit_sell_it_once():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; real concurrent checkouts are tested on PostgreSQL")
    last = ProductFactory(name="Last teapot", stock=1)
    buyers = [UserFactory(), UserFactory()]
    for buyer in buyers:
        CartItem.objects.create(user=buyer, product=last, quantity=1)
    barrier = threading.Barrier(len(buyers))
    outcomes: dict[int, object] = {}

    def checkout(buyer) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[buyer.pk] = services.order_place(user=buyer)
        except Exception as error:  # noqa: BLE001 - the outcome is what the test checks
            outcomes[buyer.pk] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=checkout, args=(buyer,)) for buyer in buyers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(outcomes) == 2
    orders = [outcome for outcome in outcomes.values() if isinstance(outcome, Order)]
    errors = [outcome for outcome in outcomes.values() if not isinstance(outcome, Order)]
    assert len(orders) == 1
    assert len(errors) == 1
    assert isinstance(errors[0], services.OutOfStock), repr(errors[0])
    assert errors[0].messages == ["Not enough “Last teapot” in stock any more. Please change the quantity."]
    assert Order.objects.count() == 1
    assert stock_of(last) == 0
    loser = next(pk for pk, outcome in outcomes.items() if outcome is errors[0])
    assert CartItem.objects.filter(user_id=loser).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_concurrent_double_submit_of_one_cart_places_one_order():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; real concurrent checkouts are tested on PostgreSQL")
    buyer = UserFactory()
    tea = ProductFactory(stock=10)
    CartItem.objects.create(user=buyer, product=tea, quantity=3)
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def checkout() -> None:
        try:
            barrier.wait(timeout=10)
            outcomes.append(services.order_place(user=buyer))
        except Exception as error:  # noqa: BLE001 - the outcome is what the test checks
            outcomes.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=checkout) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["Order", "ValidationError"]
    error = next(outcome for outcome in outcomes if isinstance(outcome, ValidationError))
    assert error.messages == ["Your cart is empty."]
    assert Order.objects.count() == 1
    assert stock_of(tea) == 7


def test_the_cart_page_uses_a_constant_number_of_queries(signed_in, user, django_assert_max_num_queries):
    signed_in.get(CART)  # the session's device use is noted once, by this first request

    def queries_for(lines: int) -> int:
        CartItem.objects.filter(user=user).delete()
        for product in ProductFactory.create_batch(lines):
            CartItem.objects.create(user=user, product=product, quantity=2)
        OrderFactory(products=ProductFactory.create_batch(3))
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            response = signed_in.get(CART)
        assert len(response.context["cart"].lines) == lines
        return len(queries)

    assert queries_for(1) == queries_for(30)
    with django_assert_max_num_queries(8):
        signed_in.get(CART)


def test_logging_in_without_a_session_cart_keeps_the_users_cart(client, user):
    tea = ProductFactory()
    CartItem.objects.create(user=user, product=tea, quantity=2)
    client.post(LOGIN, {"login": user.username, "password": PASSWORD})
    assert cart_of(user) == {tea.pk: 2}


def test_adding_beyond_the_line_limit_is_refused_and_changes_nothing(client, user):
    from shop.models import CartItem
    from tests.factories import ProductFactory

    product = ProductFactory(stock=500)
    client.force_login(user)
    client.post("/shop/cart/add/", {"product": product.pk, "quantity": 99})
    response = client.post("/shop/cart/add/", {"product": product.pk, "quantity": 5}, follow=True)
    assert CartItem.objects.get(user=user, product=product).quantity == 99
    assert any("At most 99" in str(message) for message in response.context["messages"])
