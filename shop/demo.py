"""Demo catalogue for `fill`: categories, 200+ products per scale step, a few orders and searches."""

import random

from django.db import transaction
from django.utils.text import slugify

from accounts.models import User
from shop.models import CartItem, Category, Product, SearchQuery
from shop.services import order_place

CATALOGUE = {
    "Smartphones": (
        ["Samsung", "Apple", "Xiaomi", "Google", "OnePlus"],
        ["Galaxy {n} smartphone 128 GB", "Phone {n} Pro 256 GB", "Note {n} smartphone", "Lite {n} 64 GB"],
        (12_000, 140_000),
    ),
    "Laptops": (
        ["Lenovo", "ASUS", "HP", "Acer", "Apple"],
        ["ThinkBook {n} 14-inch laptop", "ZenBook {n} ultrabook", "Pavilion {n} 15-inch", "Swift {n} laptop"],
        (35_000, 260_000),
    ),
    "Headphones": (
        ["Sony", "JBL", "Sennheiser", "Bose", "Marshall"],
        ["WH-{n} wireless headphones", "Tune {n} earbuds", "Momentum {n} headset", "Sport {n} earphones"],
        (1_500, 45_000),
    ),
    "Kitchen": (
        ["Bosch", "Philips", "Tefal", "Redmond", "Kitfort"],
        ["Kettle KT-{n} 1.7 l", "Blender BL-{n}", "Coffee maker CM-{n}", "Toaster T-{n}", "Multicooker M-{n}"],
        (1_200, 38_000),
    ),
    "Books": (
        ["Penguin", "O'Reilly", "Eksmo", "AST", "Mann, Ivanov & Ferber"],
        ["Python in practice, vol. {n}", "The art of cooking {n}", "Science fiction stories {n}", "Travel guide {n}"],
        (300, 3_500),
    ),
    "Sports": (
        ["Nike", "Adidas", "Puma", "Demix", "Salomon"],
        ["Running shoes Air {n}", "Yoga mat Pro {n}", "Training ball {n}", "Hiking backpack {n} l"],
        (900, 18_000),
    ),
    "Home": (
        ["IKEA", "Hoff", "Askona", "Xiaomi", "Philips"],
        ["Desk lamp L-{n}", "Pillow comfort {n}", "Robot vacuum S{n}", "Air purifier AP-{n}"],
        (700, 55_000),
    ),
    "Games": (
        ["Sony", "Nintendo", "Microsoft", "Hasbro", "Hobby World"],
        ["Gamepad G-{n}", "Board game Quest {n}", "Console bundle {n}", "Puzzle 1000 pieces #{n}"],
        (800, 65_000),
    ),
}
SEARCHES = ["wireless headphones", "laptop", "smartphone 128 gb", "coffee maker", "running shoes", "board game"]


def fill(*, scale: int, stdout) -> None:
    if Product.objects.exists() and scale == 1:
        return
    generator = random.Random(2026 + scale)  # demo data, not security
    products = []
    with transaction.atomic():
        for name, (brands, patterns, (low, high)) in CATALOGUE.items():
            category, _created = Category.objects.get_or_create(
                slug=slugify(name), defaults={"name": name, "description": f"{name} from popular brands."}
            )
            for number in range(26 * scale):
                brand = brands[number % len(brands)]
                model = patterns[number % len(patterns)].format(n=generator.randint(2, 99) * 10 + number % 10)
                price = generator.randrange(low, high, 10) - 1 if high > 1000 else generator.randrange(low, high)
                products.append(
                    Product(
                        name=f"{brand} {model}",
                        price=price,
                        company=brand,
                        category=category,
                        stock=generator.choice([0, 3, 5, 10, 25, 50, 100]),
                        is_active=generator.random() > 0.06,
                        description=f"{brand} {model}. A popular choice in {name.lower()}, with a 1-year warranty.",
                    )
                )
        Product.objects.bulk_create(products, batch_size=1000)
    stdout.write(f"Shop: {len(products)} products in {len(CATALOGUE)} categories.")
    _orders_and_searches(generator, stdout)


def _orders_and_searches(generator: random.Random, stdout) -> None:
    buyers = list(User.objects.filter(username__in=["alice", "bob", "carol"]))
    on_sale = list(Product.objects.filter(is_active=True, stock__gte=5).order_by("id")[:60])
    if not buyers or len(on_sale) < 4:
        return
    placed = 0
    for index in range(9):
        buyer = buyers[index % len(buyers)]
        # Orders share a core of products, so "bought together" has something to show.
        basket = {on_sale[index % 4], *generator.sample(on_sale, 2)}
        CartItem.objects.bulk_create([CartItem(user=buyer, product=product, quantity=1) for product in basket])
        order_place(user=buyer)
        placed += 1
    SearchQuery.objects.bulk_create(
        [
            SearchQuery(query=query, user=generator.choice(buyers))
            for query in SEARCHES
            for _ in range(generator.randint(1, 6))
        ]
    )
    stdout.write(f"Shop: {placed} orders and {SearchQuery.objects.count()} logged searches.")
