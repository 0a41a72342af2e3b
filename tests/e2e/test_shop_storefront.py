"""The storefront in a real browser: cards with pictures, the cards/table toggle (remembered), out of
stock and discounts on both, the product page's 30-day price chart, and all of it at 390 px."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from shop import demo_images
from shop.models import PriceChange, Product
from shop.services import price_adjustment_start
from tests.e2e.helpers import PHONE, fits_width
from tests.factories import CategoryFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def storefront():
    """Pictured products of a few brands, one without a picture, one sold out, one on a discount
    with a month of price history."""
    storage = Product.image.field.storage
    phones = CategoryFactory(name="Smartphones", slug="smartphones")
    laptops = CategoryFactory(name="Laptops", slug="laptops")
    audio = CategoryFactory(name="Headphones", slug="headphones")

    def pictured(name: str, category, brand: str, **fields) -> Product:
        image = demo_images.ensure_picture(storage, category.name, brand)
        return ProductFactory(name=name, category=category, company=brand, image=image, **fields)

    products = {
        "galaxy": pictured("Samsung Galaxy S24 256 GB", phones, "Samsung", price=89990, stock=7),
        "pixel": pictured("Google Pixel 9 128 GB", phones, "Google", price=74990, stock=0),
        "macbook": pictured('Apple MacBook Air 13" M3', laptops, "Apple", price=129990, stock=3),
        "thinkbook": pictured("Lenovo ThinkBook 14 G6", laptops, "Lenovo", price=64990, stock=12),
        "sony": pictured("Sony WH-1000XM5 wireless headphones, silver", audio, "Sony", price=31990, stock=5),
        "plain": ProductFactory(name="Unbranded cable organiser", category=audio, company="Nameless", price=490),
    }
    # A month of price history, then a running 15 % discount (as `fill` makes them).
    galaxy = products["galaxy"]
    now = timezone.now()
    for old, new, days in ((94990, 99990, 26), (99990, 92990, 17), (92990, 89990, 8)):
        change = PriceChange.objects.create(product=galaxy, old_price=old, new_price=new, reason="manual")
        PriceChange.objects.filter(pk=change.pk).update(changed_at=now - timedelta(days=days))
    price_adjustment_start(products=Product.objects.filter(pk=galaxy.pk), percent=-15, days=10, actor=None)
    for product in products.values():
        product.refresh_from_db()
    return products


def card(page, product: Product):
    return page.locator(f"#product-grid .product-card[data-product='{product.pk}']")


def inside_the_width(page, locator) -> bool:
    box = locator.bounding_box()
    assert box is not None
    return box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"]


def test_cards_with_pictures_toggle_to_the_table_and_back_and_the_product_chart(
    page, server_url, shot, console_errors, log_in, storefront
):
    galaxy, pixel = storefront["galaxy"], storefront["pixel"]
    log_in(UserFactory())

    # Cards by default, in name order regardless of case, each with its picture loaded.
    page.goto(f"{server_url}/shop/")
    cards = page.locator("#product-grid .product-card")
    expect(cards).to_have_count(6)
    expect(page.locator("#product-table")).to_have_count(0)
    names = cards.locator(".product-link").all_inner_texts()
    assert names == sorted(names, key=str.lower)
    pictures = page.locator("#product-grid .product-card img")
    expect(pictures).to_have_count(5)
    for index in range(5):
        pictures.nth(index).scroll_into_view_if_needed()
        expect(pictures.nth(index)).to_have_js_property("complete", True)
        assert pictures.nth(index).evaluate("image => image.naturalWidth") == demo_images.WIDTH
    expect(card(page, storefront["plain"]).locator(".product-card-placeholder")).to_have_text("N")

    # Sold out: a label and no usable button. On a discount: the old price struck through, the badge.
    expect(card(page, pixel).locator(".out-of-stock")).to_have_text("Out of stock")
    expect(card(page, pixel).get_by_role("button", name="Add")).to_be_disabled()
    expect(card(page, galaxy).locator(".price")).to_have_text("76,491 ₽")
    expect(card(page, galaxy).locator("s.old-price")).to_have_text("89,990 ₽")
    expect(card(page, galaxy).locator(".discount-badge")).to_have_text("−15%")
    expect(card(page, galaxy).get_by_role("button", name="Add")).to_be_enabled()
    page.evaluate("window.scrollTo(0, 0)")
    shot("01-grid-1280")

    # The table, by a plain link; it is remembered for the next visit.
    page.locator("#view-table").click()
    expect(page).to_have_url(re.compile(r"/shop/\?view=table$"))
    rows = page.locator("#product-table tbody tr")
    expect(rows).to_have_count(6)
    pixel_row = rows.filter(has=page.get_by_role("link", name=pixel.name, exact=True))
    expect(pixel_row.locator(".out-of-stock")).to_have_text("Out of stock")
    expect(pixel_row.get_by_role("button", name="Add")).to_be_disabled()
    galaxy_row = rows.filter(has=page.get_by_role("link", name=galaxy.name, exact=True))
    expect(galaxy_row.locator("s.old-price")).to_have_text("89,990 ₽")
    expect(galaxy_row.locator(".badge")).to_have_text("−15%")
    shot("02-table-1280")
    page.goto(f"{server_url}/shop/")
    expect(page.locator("#product-table")).to_be_visible()
    expect(page.locator("#view-table")).to_have_attribute("aria-current", "true")

    # And back to the cards.
    page.locator("#view-grid").click()
    expect(page.locator("#product-grid")).to_be_visible()
    page.goto(f"{server_url}/shop/")
    expect(page.locator("#product-grid")).to_be_visible()

    # The product page: picture, discount, and the 30-day chart drawn on the server.
    card(page, galaxy).locator(".product-link").click()
    expect(page).to_have_url(f"{server_url}/shop/products/{galaxy.pk}/")
    expect(page.locator("#product-image")).to_have_js_property("complete", True)
    expect(page.locator("#price-range")).to_have_text("Last 30 days: from 76,491 ₽ to 99,990 ₽")
    chart = page.locator("#price-chart svg")
    expect(chart).to_be_visible()
    expect(chart.locator("title#price-chart-title")).to_have_text("Price over the last 30 days")
    expect(chart.locator("desc")).to_contain_text("4 price changes in 30 days")
    expect(chart.locator("circle")).to_have_count(4)
    box = chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 60
    shot("03-product-1280")

    assert console_errors == []


def test_at_390_px_name_price_and_add_stay_visible_in_both_views(
    page, server_url, shot, console_errors, log_in, storefront
):
    galaxy = storefront["galaxy"]
    log_in(UserFactory())
    page.set_viewport_size(PHONE)

    page.goto(f"{server_url}/shop/?view=grid")
    expect(page.locator("#product-grid .product-card")).to_have_count(6)
    assert fits_width(page)
    for product in storefront.values():
        item = card(page, product)
        item.scroll_into_view_if_needed()
        for part in (item.locator(".product-link"), item.locator(".price"), item.get_by_role("button", name="Add")):
            expect(part).to_be_visible()
            assert inside_the_width(page, part)
    page.evaluate("window.scrollTo(0, 0)")
    shot("01-grid-390")

    # Adding from a card works at this width too.
    card(page, galaxy).get_by_role("button", name="Add").click()
    expect(page.locator(".alert-success")).to_contain_text(f"“{galaxy.name}” is in your cart.")

    page.locator("#view-table").click()
    rows = page.locator("#product-table tbody tr")
    expect(rows).to_have_count(6)
    assert fits_width(page)
    for index in range(6):
        row = rows.nth(index)
        for part in (row.locator(".product-link"), row.locator(".price"), row.get_by_role("button", name="Add")):
            expect(part).to_be_visible()
            assert inside_the_width(page, part)
    shot("02-table-390")

    page.goto(f"{server_url}/shop/products/{galaxy.pk}/")
    expect(page.locator("#price-chart svg")).to_be_visible()
    assert inside_the_width(page, page.locator("#price-chart svg"))
    assert fits_width(page)
    shot("03-product-390")

    assert console_errors == []
