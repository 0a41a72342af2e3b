"""Demo catalogue for `fill`: 8 categories, 26 products per category per scale step, with pictures,
a month of price history, running discounts, a few orders and searches.

Idempotent: each category is topped up to ``26 × scale`` products, so a second `fill` adds nothing
and `fill --scale 2` after `fill` adds the other half. Every product is derived from its category
and number alone, so the same catalogue comes out on every machine.
"""

import random
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from shop import demo_images
from shop.models import CartItem, Category, Order, PriceAdjustment, PriceChange, Product, SearchQuery
from shop.services import catalogue_changed, order_place, order_set_status, price_adjustment_start

PER_CATEGORY = 26
# category: [(brand, model pattern, model numbers, variants, (lowest, highest price))]
CATALOGUE: dict[str, list[Any]] = {
    "Smartphones": [
        ("Samsung", "Galaxy A{n} {v}", (15, 25, 35, 55), ("128 GB", "256 GB"), (14_000, 38_000)),
        ("Samsung", "Galaxy S{n} {v}", (23, 24, 25), ("256 GB", "512 GB"), (65_000, 130_000)),
        ("Apple", "iPhone {n} {v}", (14, 15, 16), ("128 GB", "256 GB", "512 GB"), (65_000, 160_000)),
        ("Xiaomi", "Redmi Note {n} {v}", (12, 13, 14), ("128 GB", "256 GB"), (13_000, 29_000)),
        ("Google", "Pixel {n} {v}", (7, 8, 9), ("128 GB", "256 GB"), (42_000, 95_000)),
    ],
    "Laptops": [
        ("Lenovo", "ThinkBook {n} G{v}", (14, 16), (4, 5, 6), (45_000, 95_000)),
        ("ASUS", "ZenBook {n} OLED {v}", (14, 15), ("16 GB", "32 GB"), (70_000, 150_000)),
        ("HP", "Pavilion {n} {v}", (14, 15), ("Core i5", "Ryzen 5", "Ryzen 7"), (48_000, 90_000)),
        ("Acer", "Swift Go {n} {v}", (14, 16), ("16 GB", "32 GB"), (55_000, 99_000)),
        ("Apple", 'MacBook Air {n}" {v}', (13, 15), ("M2", "M3", "M4"), (95_000, 190_000)),
    ],
    "Headphones": [
        ("Sony", "WH-1000XM{n} wireless headphones, {v}", (4, 5), ("black", "silver"), (22_000, 38_000)),
        ("JBL", "Tune {n} earbuds, {v}", (230, 520, 770), ("black", "white", "blue"), (2_500, 9_000)),
        ("Sennheiser", "Momentum {n} wireless, {v}", (3, 4), ("black", "white"), (24_000, 36_000)),
        ("Bose", "QuietComfort {n}, {v}", (45, 50), ("black", "white smoke"), (23_000, 35_000)),
        ("Marshall", "Major {n} headphones, {v}", ("IV", "V"), ("black", "brown"), (9_000, 15_000)),
    ],
    "Kitchen": [
        ("Bosch", "electric kettle TWK{n}, {v}", (3101, 7603), ("1.7 l", "1.5 l"), (2_500, 7_500)),
        ("Philips", "blender HR{n}", (2041, 2291, 3655), ("",), (3_000, 12_000)),
        ("Tefal", "frying pan {v} Ultimate {n} cm", (24, 26, 28), ("Ingenio", "Jamie Oliver"), (2_200, 6_500)),
        ("Redmond", "multicooker RMC-M{n}", (25, 40, 90), ("",), (4_000, 11_000)),
        ("Kitfort", "coffee maker KT-{n}", (705, 718, 740), ("",), (3_500, 14_000)),
    ],
    "Books": [
        (
            "O'Reilly",
            "{v}, {n} edition",
            ("2nd", "3rd"),
            ("Fluent Python", "Learning SQL", "Designing Data-Intensive Applications"),
            (2_400, 4_900),
        ),
        (
            "Penguin",
            "{v} (paperback, {n})",
            (2019, 2023),
            ("Crime and Punishment", "War and Peace", "Anna Karenina", "Dead Souls"),
            (600, 1_500),
        ),
        (
            "Eksmo",
            "{v}, vol. {n}",
            (1, 2),
            ("Travel guide: Saint Petersburg", "The art of cooking", "World history"),
            (500, 2_200),
        ),
        ("AST", "{v}, {n} stories", (12, 20), ("Science fiction", "Detective", "Fairy tales"), (400, 1_200)),
        (
            "Mann, Ivanov & Ferber",
            "{v} ({n})",
            (2022, 2024),
            ("Deep work", "The power of habit", "Atomic habits"),
            (700, 1_600),
        ),
    ],
    "Sports": [
        ("Nike", "Air Zoom Pegasus {n} running shoes, size {v}", (40, 41), (40, 42, 44), (9_000, 15_000)),
        ("Adidas", "Ultraboost {n} running shoes, size {v}", (22, 23), (39, 41, 43), (11_000, 19_000)),
        ("Puma", "training ball {v}, size {n}", (4, 5), ("Orbita", "Cage"), (1_200, 3_900)),
        ("Demix", "yoga mat {n} mm, {v}", (4, 6, 8), ("purple", "grey", "green"), (900, 2_900)),
        ("Salomon", "hiking backpack Trailblazer {n} l, {v}", (20, 30), ("black", "blue"), (5_500, 11_000)),
    ],
    "Home": [
        ("IKEA", "desk lamp {v} {n}", ("", "LED"), ("FORSÅ", "TERTIAL", "RANARP"), (1_000, 3_500)),
        ("Askona", "pillow {v} {n}×{n}", (50, 70), ("Comfort", "Ergo"), (1_500, 5_500)),
        ("Xiaomi", "robot vacuum {v} S{n}", (10, 20), ("Mi", "Dreame"), (17_000, 45_000)),
        ("Philips", "air purifier AC{n}, {v}", (1715, 2887, 3033), ("white", "grey"), (12_000, 33_000)),
        ("Hoff", "bath towel {v}, {n}×140 cm", (70,), ("white", "beige", "sea blue"), (800, 1_900)),
    ],
    "Games": [
        ("Sony", "DualSense gamepad, {v}{n}", ("",), ("white", "midnight black", "cosmic red"), (6_500, 8_500)),
        ("Nintendo", "Switch {v} console{n}", ("",), ("OLED", "Lite"), (22_000, 38_000)),
        ("Microsoft", "Xbox Series {v} {n}", ("512 GB", "1 TB"), ("S", "X"), (32_000, 62_000)),
        (
            "Hasbro",
            "board game {v} ({n} edition)",
            ("classic", "travel"),
            ("Monopoly", "Cluedo", "Scrabble"),
            (1_500, 4_500),
        ),
        (
            "Hobby World",
            "board game {v}{n}",
            ("", ": expansion"),
            ("Carcassonne", "Ticket to Ride", "Munchkin"),
            (1_200, 4_900),
        ),
    ],
}
EDITIONS_BEYOND = ["", " (2024)", " (2025)", " (bundle)", " (gift box)"]
SEARCHES = ["wireless headphones", "laptop", "iphone", "coffee maker", "running shoes", "board game"]


def _retail_price(generator: random.Random, low: int, high: int) -> int:
    """A shop-like price: 24 990 for a gadget, 549 for a book."""
    value = generator.randint(low, high)
    return max(99, round(value, -2) - 10) if high >= 5_000 else max(99, round(value, -1) - 1)


def _product(category: Category, lines: list, number: int, *, images: dict[str, str] | None = None) -> Product:
    """The ``number``-th demo product of a category, the same on every run; ``images`` by brand."""
    brand, pattern, numbers, variants, (low, high) = lines[number % len(lines)]
    turn = number // len(lines)
    model = pattern.format(n=numbers[turn % len(numbers)], v=variants[(turn // len(numbers)) % len(variants)])
    suffix = EDITIONS_BEYOND[(turn // (len(numbers) * len(variants))) % len(EDITIONS_BEYOND)]
    name = " ".join(f"{brand} {model}".replace(" ,", ",").split()) + suffix
    generator = random.Random(f"{category.slug}-{number}")  # demo data, not security
    return Product(
        name=name,
        price=_retail_price(generator, low, high),
        company=brand,
        category=category,
        stock=generator.choice([0, 2, 3, 5, 10, 25, 50, 100]),
        is_active=generator.random() > 0.07,
        description=f"{name}. A popular choice in {category.name.lower()}, with a one-year warranty.",
        image=(images or {}).get(brand, ""),
    )


def fill(*, scale: int, stdout) -> None:
    wanted = PER_CATEGORY * scale
    products = []
    with transaction.atomic():
        for name, lines in CATALOGUE.items():
            category, _created = Category.objects.get_or_create(
                name=name, defaults={"slug": slugify(name), "description": f"{name} from popular brands."}
            )
            images = _pictures(category, lines)
            have = Product.objects.filter(category=category).count()
            products += [_product(category, lines, number, images=images) for number in range(have, wanted)]
        Product.objects.bulk_create(products, batch_size=1000)
        # Bulk inserts bypass the services' writes, so the cached catalogue is told here.
        catalogue_changed()
    if products:
        stdout.write(f"Shop: {len(products)} products added in {len(CATALOGUE)} categories.")
    _price_history_and_discounts(stdout)
    _orders_and_searches(stdout)


def _pictures(category: Category, lines: list) -> dict[str, str]:
    """One stored picture per brand of the category, shared by all its products there.

    Products of an earlier `fill` that have no picture get theirs too (one update per brand).
    """
    storage = Product.image.field.storage
    images = {}
    for brand in dict.fromkeys(line[0] for line in lines):
        images[brand] = demo_images.ensure_picture(storage, category.name, brand)
        Product.objects.filter(category=category, company=brand, image="").update(image=images[brand])
    return images


HISTORY_PRODUCTS = 40
# Days ago of each demo price change: one before the 30-day window, so the chart starts mid-story.
HISTORY_DAYS = (41, 27, 18, 11, 4)
DISCOUNTS = (-10, -15, -20, -25, -30)


def _price_history_and_discounts(stdout) -> None:
    """Once: a month of price changes for some products, then discounts on half of them.

    The history ends at each product's current price, so it agrees with it; the discounts go through
    ``price_adjustment_start`` as a manager's would, and end in one to three weeks.
    """
    if PriceChange.objects.exists() or PriceAdjustment.objects.exists():
        return
    generator = random.Random(30)  # demo data, not security
    chosen = list(Product.objects.filter(is_active=True).order_by("id")[: HISTORY_PRODUCTS * 5 : 5])
    now = timezone.now()
    with transaction.atomic():
        changes, moments = [], []
        for product in chosen:
            prices = [
                _retail_price(generator, round(product.price * 0.85), round(product.price * 1.15))
                for _day in HISTORY_DAYS
            ] + [product.price]
            for days, (old, new) in zip(HISTORY_DAYS, zip(prices, prices[1:], strict=False), strict=True):
                if old != new:
                    changes.append(
                        PriceChange(product=product, old_price=old, new_price=new, reason=PriceChange.Reason.MANUAL)
                    )
                    moments.append(now - timedelta(days=days, hours=generator.randint(0, 20)))
        created = PriceChange.objects.bulk_create(changes)
        # auto_now_add ignores a given time on insert: put each change back on its day.
        for change, moment in zip(created, moments, strict=True):
            PriceChange.objects.filter(pk=change.pk).update(changed_at=moment)
    discounted = 0
    for index, product in enumerate(chosen[::2]):
        discounted += price_adjustment_start(
            products=Product.objects.filter(pk=product.pk),
            percent=DISCOUNTS[index % len(DISCOUNTS)],
            days=7 + index % 15,
            actor=None,
        )
    stdout.write(f"Shop: {len(created)} price changes over 6 weeks, {discounted} running discounts.")


def _orders_and_searches(stdout) -> None:
    """A few orders of the demo buyers and a week of searches, once."""
    generator = random.Random(2026)  # demo data, not security
    buyers = list(User.objects.filter(username__in=["alice", "bob", "carol"]).order_by("username"))
    on_sale = list(Product.objects.filter(is_active=True, stock__gte=5).order_by("id")[:60])
    untouched = (
        not Order.objects.filter(user__in=buyers).exists() and not CartItem.objects.filter(user__in=buyers).exists()
    )
    if buyers and len(on_sale) >= 4 and untouched:
        orders = []
        for index in range(9):
            buyer = buyers[index % len(buyers)]
            # Orders share a core of products, so "bought together" has something to show.
            basket = {on_sale[index % 4], *generator.sample(on_sale, 2)}
            CartItem.objects.bulk_create([CartItem(user=buyer, product=product, quantity=1) for product in basket])
            orders.append(order_place(user=buyer))
        # Some orders have moved on, so the admin's status actions have something to show.
        for order, statuses in zip(orders, [["paid"], ["paid", "shipped"], ["cancelled"]], strict=False):
            for status in statuses:
                order_set_status(order=order, status=status, actor=None)
        stdout.write(f"Shop: {len(orders)} orders.")
    if buyers and not SearchQuery.objects.exists():
        now = timezone.now()
        logged = SearchQuery.objects.bulk_create(
            [
                SearchQuery(query=query, user=generator.choice(buyers))
                for query in SEARCHES
                for _ in range(generator.randint(1, 6))
            ]
        )
        # Spread over the last week, as real searches would be (auto_now_add ignores a given time).
        for search in logged:
            SearchQuery.objects.filter(pk=search.pk).update(
                created_at=now - timedelta(hours=generator.randint(0, 6 * 24))
            )
        stdout.write(f"Shop: {len(logged)} logged searches.")
