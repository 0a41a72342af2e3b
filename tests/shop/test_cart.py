"""``shop.cart.Cart`` on its own: a plain class over a list of products, no database."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from shop.cart import Cart
from tests.factories import ProductFactory

ROOT = Path(__file__).resolve().parents[2]


def product(pk: int, price: int = 100):
    return ProductFactory.build(pk=pk, price=price, name=f"Product {pk}")


def test_an_empty_cart_has_nothing_and_totals_zero():
    cart = Cart()
    assert len(cart) == 0
    assert list(cart) == []
    assert cart.total == 0


def test_add_one_product():
    cart, tea = Cart(), product(1, 250)
    cart.add(tea)
    assert list(cart) == [tea]
    assert len(cart) == 1
    assert cart.total == 250


def test_add_a_list_of_products():
    cart, tea, cup = Cart(), product(1, 250), product(2, 90)
    cart.add([tea, cup, tea])
    assert list(cart) == [tea, cup, tea]
    assert cart.total == 590


def test_add_a_generator_of_products():
    cart = Cart()
    cart.add(product(pk, 10 * pk) for pk in range(1, 4))
    assert len(cart) == 3
    assert cart.total == 60


def test_add_an_empty_iterable_changes_nothing():
    cart = Cart([product(1)])
    cart.add([])
    assert len(cart) == 1


def test_total_is_the_sum_of_the_prices_and_counts_repeats():
    cart = Cart([product(1, 100), product(2, 5)])
    cart.add(product(1, 100))
    assert cart.total == 205


def test_a_cart_can_start_from_products():
    cart = Cart(product(pk) for pk in (1, 2))
    assert [item.pk for item in cart] == [1, 2]


def test_remove_takes_out_one_occurrence():
    tea, cup = product(1), product(2)
    cart = Cart([tea, cup, tea])
    cart.remove(tea)
    assert list(cart) == [cup, tea]
    assert cart.quantity_of(tea) == 1


def test_remove_finds_an_equal_product_loaded_separately():
    cart = Cart([product(7)])
    cart.remove(product(7))  # another instance of the same row
    assert len(cart) == 0


def test_removing_a_product_not_in_the_cart_is_a_clear_error_and_changes_nothing():
    tea, cup = product(1, 100), product(2, 50)
    cart = Cart([tea])
    with pytest.raises(ValueError, match="not in the cart"):
        cart.remove(cup)
    assert list(cart) == [tea]
    assert cart.total == 100


def test_clear_empties_the_cart():
    cart = Cart([product(1), product(2)])
    cart.clear()
    assert len(cart) == 0
    assert cart.total == 0


def test_contains_and_quantity_of():
    tea, cup, pen = product(1), product(2), product(3)
    cart = Cart([tea, tea, cup])
    assert tea in cart
    assert cup in cart
    assert pen not in cart
    assert "tea" not in cart
    assert cart.quantity_of(tea) == 2
    assert cart.quantity_of(pen) == 0


def test_iterating_does_not_expose_the_inner_list():
    cart = Cart([product(1)])
    cart.products.append(product(2))
    assert len(cart) == 1


def test_iter_walks_the_products_in_order():
    items = [product(3), product(1), product(2)]
    cart = Cart(items)
    assert [item.pk for item in iter(cart)] == [3, 1, 2]


SNIPPET = """
    from collections.abc import Iterator

    from shop.cart import Cart
    from shop.models import Product

    def products() -> Iterator[Product]:
        yield Product(name="cup", price=1)

    product = Product(name="tea", price=2)
    cart = Cart()
    cart.add(product)
    cart.add([product, product])
    cart.add(products())
    reveal_type(Cart.add)
    total: int = cart.total
    count: int = len(cart)
    for item in cart:
        reveal_type(item)
    cart.remove(product)
    cart.clear()
"""


def run_mypy(tmp_path: Path, source: str) -> subprocess.CompletedProcess:
    snippet = tmp_path / "snippet.py"
    snippet.write_text(textwrap.dedent(source))
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--ignore-missing-imports",
            "--follow-imports=silent",
            "--no-incremental",
            "--cache-dir=/dev/null",
            "--no-error-summary",
            "--hide-error-context",
            str(snippet),
        ],
        cwd=ROOT,
        env={**os.environ, "MYPYPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_both_add_overloads_type_check_with_mypy(tmp_path):
    result = run_mypy(tmp_path, SNIPPET)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error" not in result.stdout
    assert 'Revealed type is "Overload(def (self: shop.cart.Cart, product: shop.models.Product)' in result.stdout
    assert "product: typing.Iterable[shop.models.Product])" in result.stdout.replace("collections.abc.", "typing.")
    assert 'Revealed type is "shop.models.Product"' in result.stdout


def test_mypy_refuses_adding_something_that_is_not_a_product(tmp_path):
    result = run_mypy(
        tmp_path,
        """
        from shop.cart import Cart

        Cart().add(42)
        Cart().add(["tea"])
        """,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 2
    assert 'snippet.py:4: error: No overload variant of "add" of "Cart" matches argument type "int"' in errors[0]
    assert 'snippet.py:5: error: List item 0 has incompatible type "str"; expected "Product"' in errors[1]


def test_repr_names_the_size_and_total():
    assert repr(Cart([product(1, 100), product(2, 50)])) == "<Cart of 2 products, total 150>"
