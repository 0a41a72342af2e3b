"""The shop in a real browser: log in, search, trending suggestions, cart, checkout, order history."""

import re
from datetime import timedelta

import pytest
from django.db.models.functions import Lower
from django.utils import timezone
from playwright.sync_api import expect

from shop.models import CartItem, Order, Product, SearchQuery
from shop.services import price_adjustment_start
from tests.factories import PASSWORD, CategoryFactory, OrderFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def table_view(page, server_url):
    """These journeys read the catalogue as a table (the cards: test_shop_storefront.py)."""
    page.context.add_cookies([{"name": "shop_view", "value": "table", "url": server_url}])


def amount(text: str) -> int:
    """``"79,971 ₽"`` → ``79971``: the digits of a price shown on the page."""
    digits = re.sub(r"\D", "", text)
    assert digits, f"no amount in {text!r}"
    return int(digits)


def rub(value: int) -> str:
    """A price as the English pages show it: ``79971`` → ``"79,971 ₽"``."""
    return f"{value:,} ₽"


def product_row(page, name: str):
    """The catalogue table's row of the product called ``name``."""
    return page.locator("#product-table tbody tr").filter(has=page.get_by_role("link", name=name, exact=True))


def shown_names(page) -> list[str]:
    return page.locator("#product-table tbody .product-link").all_inner_texts()


def shown_prices(page) -> list[int]:
    return [amount(text) for text in page.locator("#product-table tbody .price").all_inner_texts()]


def log_in_with_the_form(page, user) -> None:
    page.locator("#id_login").fill(user.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#login-form button[type=submit]").click()


def searches(query: str, times: int, *, days_ago: int = 0) -> None:
    SearchQuery.objects.bulk_create([SearchQuery(query=query) for _ in range(times)])
    if days_ago:
        SearchQuery.objects.filter(query=query).update(created_at=timezone.now() - timedelta(days=days_ago))


@pytest.fixture
def catalogue():
    """Two categories of named products, filler to make a second page, inactive ones, past orders."""
    laptops = CategoryFactory(name="Laptops", slug="laptops")
    audio = CategoryFactory(name="Headphones", slug="headphones")
    products = {
        "aurora": ProductFactory(name="Aurora Laptop 14", price=59990, category=laptops, company="Lumen", stock=5),
        "nimbus": ProductFactory(name="Nimbus Laptop 15", price=61990, category=laptops, company="Skyline", stock=4),
        "echo": ProductFactory(
            name="Echo Headphones",
            price=8990,
            category=audio,
            company="Sonora",
            description="Wireless, with noise cancelling.",
        ),
        "pulse": ProductFactory(name="Pulse Studio Headphones", price=12990, category=audio, company="Sonora", stock=8),
        "breeze": ProductFactory(
            name="Breeze Wireless Earbuds", price=5490, category=audio, company="Airtone", stock=20
        ),
    }
    # Inactive products match the same searches but must never be shown.
    ProductFactory(name="Retired Wireless Laptop", price=19990, category=laptops, company="Lumen", is_active=False)
    ProductFactory(name="Hidden Headphones", price=990, category=audio, company="Sonora", is_active=False)
    cables = CategoryFactory(name="Cables", slug="cables")
    for number in range(1, 21):
        ProductFactory(name=f"Zeta Cable {number:02d}", price=300 + number * 10, category=cables, company="Wireworks")
    # A running 10 % discount on Aurora: struck-through old price and a 30-day price range.
    price_adjustment_start(products=Product.objects.filter(pk=products["aurora"].pk), percent=-10, days=7, actor=None)
    products["aurora"].refresh_from_db()
    # Other people's orders: Aurora was bought with Nimbus twice, with Echo and with Pulse once.
    OrderFactory(products=[products["aurora"], products["nimbus"]])
    OrderFactory(products=[products["aurora"], products["nimbus"], products["pulse"]])
    OrderFactory(products=[products["aurora"], products["echo"]])
    return products


def test_log_in_search_trending_add_two_products_check_out_and_see_the_order(
    page, server_url, shot, console_errors, catalogue
):
    user = UserFactory(last_name="Smirnova", first_name="Olga")
    searches("headphones", 4)
    searches("laptop", 2)
    searches("usb charger", 9, days_ago=8)  # older than a week: not trending
    aurora, pulse = catalogue["aurora"], catalogue["pulse"]
    stock_before = {aurora.pk: aurora.stock, pulse.pk: pulse.stock}

    # The shop needs an account: the login form comes first and leads back to the shop.
    page.goto(f"{server_url}/shop/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=(/|%2F)shop(/|%2F)$"))
    shot("01-login")
    log_in_with_the_form(page, user)
    expect(page).to_have_url(f"{server_url}/shop/")
    expect(page.locator("#nav-user")).to_contain_text("Smirnova Olga")

    # The catalogue: active products only, by name, 20 a page, with pagination.
    active = Product.objects.filter(is_active=True)
    expect(page.locator("#product-table tbody tr")).to_have_count(20)
    assert shown_names(page) == list(active.order_by(Lower("name"), "id").values_list("name", flat=True)[:20])
    expect(page.locator("#product-table")).not_to_contain_text("Retired Wireless Laptop")
    expect(page.locator("#product-table")).not_to_contain_text("Hidden Headphones")
    pagination = page.locator("nav[aria-label=Pages]")
    expect(pagination).to_contain_text(f"1–20 of {active.count()}")
    expect(pagination.locator(".page-item.active")).to_have_text("1")
    # The trending queries of the last week, most frequent first, under the search box.
    expect(page.locator("#trending .trending-query")).to_have_text(["headphones", "laptop"])
    shot("02-catalogue")

    # Search from the box: the query is logged normalised; inactive matches stay hidden.
    search_box = page.locator("#shop-search input[name=search]")
    search_box.fill("  WIRELESS   ")
    page.locator("#shop-search button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/shop/\?search=\+*WIRELESS\+*$"))
    expect(page.locator("#product-table tbody tr")).to_have_count(2)
    assert sorted(shown_names(page)) == ["Breeze Wireless Earbuds", "Echo Headphones"]
    expect(search_box).to_have_value("  WIRELESS   ")
    assert SearchQuery.objects.filter(query="wireless").count() == 1
    shot("03-search-results")

    # A trending suggestion is one click away and shows its results.
    page.locator("#trending").get_by_role("link", name="headphones", exact=True).click()
    expect(page).to_have_url(f"{server_url}/shop/?search=headphones")
    expect(search_box).to_have_value("headphones")
    # By name or by category: the earbuds are in the Headphones category. (The order is the
    # search ranking on PostgreSQL and the name on SQLite, so compare the set.)
    expect(page.locator("#product-table tbody .product-link")).to_have_count(3)
    assert sorted(shown_names(page)) == ["Breeze Wireless Earbuds", "Echo Headphones", "Pulse Studio Headphones"]
    expect(page.locator("#product-table")).not_to_contain_text("Hidden Headphones")
    shot("04-trending-headphones")

    # Add the first product from the list; the page comes back with a message and the cart badge.
    product_row(page, "Pulse Studio Headphones").get_by_role("button", name="Add").click()
    expect(page).to_have_url(f"{server_url}/shop/?search=headphones")
    expect(page.locator(".alert-success")).to_contain_text("“Pulse Studio Headphones” is in your cart.")
    expect(page.locator("#cart-count")).to_have_text("1")
    shot("05-added-from-list")

    # The second from its product page: discount, 30-day price range, "bought together".
    page.locator("#shop-search input[name=search]").fill("aurora")
    page.locator("#shop-search button[type=submit]").click()
    page.get_by_role("link", name="Aurora Laptop 14", exact=True).click()
    expect(page).to_have_url(f"{server_url}/shop/products/{aurora.pk}/")
    expect(page.locator("#product-name")).to_have_text("Aurora Laptop 14")
    assert aurora.price == 53991
    expect(page.locator("#product-price .price")).to_have_text(rub(53991))
    expect(page.locator("#product-price .old-price")).to_have_text(rub(59990))
    expect(page.locator("#product-price .badge")).to_have_text("−10%")
    expect(page.locator("#price-range")).to_have_text(f"Last 30 days: from {rub(53991)} to {rub(59990)}")
    # Nimbus was bought with it twice, Echo once; Pulse too, but Pulse is already in the cart.
    expect(page.locator("#bought-together .recommendation a")).to_have_text(["Nimbus Laptop 15", "Echo Headphones"])
    shot("06-product-page")
    page.locator("form.add-to-cart button[type=submit]").click()
    expect(page).to_have_url(f"{server_url}/shop/products/{aurora.pk}/")
    expect(page.locator(".alert-success")).to_contain_text("“Aurora Laptop 14” is in your cart.")
    expect(page.locator("#cart-count")).to_have_text("2")

    # The cart: two lines, the total is the sum of the two prices in the database.
    page.locator("#cart-link").click()
    expect(page).to_have_url(f"{server_url}/shop/cart/")
    lines = page.locator("#cart-table tbody tr.cart-line")
    expect(lines).to_have_count(2)
    expect(lines.locator("td:first-child")).to_have_text(["Aurora Laptop 14", "Pulse Studio Headphones"])
    prices = dict(Product.objects.filter(pk__in=[aurora.pk, pulse.pk]).values_list("pk", "price"))
    expect(page.locator("#cart-total")).to_have_text(re.compile(r"\d"))
    assert amount(page.locator("#cart-total").inner_text()) == prices[aurora.pk] + prices[pulse.pk] == 66981
    expect(page.locator("#bought-together .recommendation a")).to_have_text(["Nimbus Laptop 15", "Echo Headphones"])
    shot("07-cart")

    # Two of the headphones: the line and the total follow.
    pulse_line = page.locator(f"#cart-table tr.cart-line[data-product='{pulse.pk}']")
    pulse_line.locator("input[name=quantity]").fill("2")
    pulse_line.get_by_role("button", name="Update").click()
    expect(pulse_line.locator(".line-total")).to_have_text(rub(25980))
    expect(page.locator("#cart-total")).to_have_text(rub(prices[aurora.pk] + 2 * prices[pulse.pk]))
    expect(page.locator("#cart-count")).to_have_text("3")
    shot("08-cart-quantity-changed")

    # Check out: the order page lists the items at their prices and the total.
    page.locator("#checkout").click()
    order = Order.objects.get(user=user)
    expect(page).to_have_url(f"{server_url}/shop/orders/{order.pk}/")
    expect(page.locator(".alert-success")).to_contain_text(f"Thank you! Your order #{order.pk} is placed.")
    expect(page.locator("h1")).to_have_text(f"Order #{order.pk}")
    expect(page.locator("#order-status")).to_have_text("Placed")
    rows = page.locator("#order-items tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Aurora Laptop 14")
    expect(rows.nth(0)).to_contain_text(rub(53991))
    expect(rows.nth(1)).to_contain_text("Pulse Studio Headphones")
    expect(rows.nth(1)).to_contain_text(rub(25980))
    expect(page.locator("#order-total")).to_have_text(rub(79971))
    expect(page.locator("#cart-count")).to_have_text("0")
    shot("09-order-placed")
    assert order.total == 79971
    assert sorted(order.items.values_list("product_name", "price", "quantity")) == [
        ("Aurora Laptop 14", 53991, 1),
        ("Pulse Studio Headphones", 12990, 2),
    ]

    # The order history lists it; the stock went down and the cart is empty.
    page.get_by_role("link", name="My orders", exact=True).click()
    expect(page).to_have_url(f"{server_url}/shop/orders/")
    history = page.locator("#order-table tbody tr")
    expect(history).to_have_count(1)
    expect(history.first).to_contain_text(f"#{order.pk}")
    expect(history.first).to_contain_text("Placed")
    expect(history.first).to_contain_text(rub(79971))
    expect(history.first.locator("td").nth(2)).to_have_text("3")
    shot("10-order-history")
    history.first.get_by_role("link", name=f"#{order.pk}").click()
    expect(page).to_have_url(f"{server_url}/shop/orders/{order.pk}/")

    stock_after = dict(Product.objects.filter(pk__in=stock_before).values_list("pk", "stock"))
    assert stock_after == {aurora.pk: stock_before[aurora.pk] - 1, pulse.pk: stock_before[pulse.pk] - 2}
    assert not CartItem.objects.filter(user=user).exists()
    page.locator("#cart-link").click()
    expect(page.locator("#empty-cart")).to_contain_text("Your cart is empty.")
    shot("11-cart-empty")

    assert console_errors == []


def test_anonymous_visitor_is_sent_to_login_and_keeps_the_session_cart(
    page, server_url, shot, console_errors, catalogue
):
    user = UserFactory()
    echo, nimbus = catalogue["echo"], catalogue["nimbus"]
    CartItem.objects.create(user=user, product=nimbus, quantity=1)  # left in the cart last time

    for path in ("/shop/", f"/shop/products/{echo.pk}/", "/shop/orders/"):
        page.goto(f"{server_url}{path}")
        expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
        expect(page.locator("#login-form")).to_be_visible()
    shot("01-shop-asks-to-log-in")

    # The cart page itself is open to visitors: empty at first.
    page.goto(f"{server_url}/shop/cart/")
    expect(page.locator("#empty-cart")).to_be_visible()
    shot("02-anonymous-empty-cart")

    # What an "Add" button posts, from this browser session (the catalogue itself needs a login).
    token = next(cookie["value"] for cookie in page.context.cookies() if cookie["name"] == "csrftoken")
    response = page.request.post(
        f"{server_url}/shop/cart/add/",
        form={"csrfmiddlewaretoken": token, "product": str(echo.pk), "quantity": "2"},
    )
    assert response.ok, response.status
    page.reload()
    lines = page.locator("#cart-table tbody tr.cart-line")
    expect(lines).to_have_count(1)
    expect(lines.first).to_contain_text("Echo Headphones")
    expect(page.locator("#cart-total")).to_have_text(rub(17980))
    expect(page.locator("#checkout")).to_have_count(0)
    shot("03-anonymous-cart")

    # Logging in from the cart keeps what was put in it, next to what the account had.
    page.get_by_role("link", name="Log in to place the order").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=(/|%2F)shop(/|%2F)cart(/|%2F)$"))
    log_in_with_the_form(page, user)
    expect(page).to_have_url(f"{server_url}/shop/cart/")
    expect(lines).to_have_count(2)
    expect(lines.locator("td:first-child")).to_have_text(["Echo Headphones", "Nimbus Laptop 15"])
    expect(page.locator("#cart-total")).to_have_text(rub(2 * echo.price + nimbus.price))
    expect(page.locator("#checkout")).to_be_visible()
    shot("04-cart-merged-after-login")
    assert dict(CartItem.objects.filter(user=user).values_list("product_id", "quantity")) == {echo.pk: 2, nimbus.pk: 1}

    assert console_errors == []


def test_sort_by_price_both_ways_filter_by_category_and_choose_the_page_size(
    page, server_url, shot, console_errors, log_in
):
    cameras = CategoryFactory(name="Cameras", slug="cameras")
    lenses = CategoryFactory(name="Lenses", slug="lenses")
    for number in range(1, 16):
        ProductFactory(name=f"Camera {number:02d}", price=20000 + number * 1733 % 9000, category=cameras)
        ProductFactory(name=f"Lens {number:02d}", price=5000 + number * 911 % 7000, category=lenses)
    ProductFactory(name="Gold Camera", price=999999, category=cameras, is_active=False)
    ProductFactory(name="Free Camera", price=1, category=cameras, is_active=False)
    log_in(UserFactory())
    active = Product.objects.filter(is_active=True)

    page.goto(f"{server_url}/shop/")
    header = page.locator("#product-table thead a.sort-link", has_text="Price")

    # Price, cheapest first; then the other way round.
    header.click()
    expect(page).to_have_url(re.compile(r"[?&]ordering=price$"))
    expect(header).to_have_text("Price ▲")
    cheapest = list(active.order_by("price", "id").values_list("price", flat=True)[:20])
    assert shown_prices(page) == cheapest == sorted(cheapest)
    shot("01-price-ascending")
    header.click()
    expect(page).to_have_url(re.compile(r"[?&]ordering=-price$"))
    expect(header).to_have_text("Price ▼")
    dearest = list(active.order_by("-price", "id").values_list("price", flat=True)[:20])
    assert shown_prices(page) == dearest == sorted(dearest, reverse=True)
    expect(page.locator("#product-table")).not_to_contain_text("Gold Camera")
    shot("02-price-descending")

    # Only cameras, still dearest first.
    page.locator("#filter-category").select_option(label="Cameras")
    page.locator("#product-filters button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"[?&]category={cameras.pk}(&|$)"))
    expect(page.locator("#filter-category")).to_have_value(str(cameras.pk))
    rows = page.locator("#product-table tbody tr")
    expect(rows).to_have_count(15)
    assert set(rows.locator("td:nth-child(2)").all_inner_texts()) == {"Cameras"}
    assert shown_prices(page) == list(
        active.filter(category=cameras).order_by("-price", "id").values_list("price", flat=True)
    )
    expect(page.locator("nav[aria-label=Pages]")).to_have_count(0)
    shot("03-cameras-only")

    # Ten a page: a pagination control appears and the next page keeps the filter and the order.
    page.locator("#filter-size").select_option("10")
    page.locator("#product-filters button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"[?&]page_size=10(&|$)"))
    expect(rows).to_have_count(10)
    pagination = page.locator("nav[aria-label=Pages]")
    expect(pagination).to_contain_text("1–10 of 15")
    shot("04-ten-a-page")
    pagination.get_by_role("link", name="Next").click()
    expect(page).to_have_url(re.compile(r"[?&]page=2(&|$)"))
    expect(rows).to_have_count(5)
    expect(pagination).to_contain_text("11–15 of 15")
    expect(pagination.locator(".page-item.active")).to_have_text("2")
    expected = list(active.filter(category=cameras).order_by("-price", "id").values_list("price", flat=True))
    assert shown_prices(page) == expected[10:]
    expect(page.locator("#filter-size")).to_have_value("10")
    shot("05-page-two")

    assert console_errors == []
