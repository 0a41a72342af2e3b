"""``Cart``: a plain shopping cart over a list of products.

The web and API carts are built on it (``shop.selectors.cart_for``); a product bought twice
appears twice in the list.
"""

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, overload

if TYPE_CHECKING:
    from shop.models import Product


class Cart:
    def __init__(self, products: "Iterable[Product] | None" = None) -> None:
        self._products: list[Product] = list(products or [])

    @property
    def products(self) -> "list[Product]":
        return list(self._products)

    @property
    def total(self) -> int:
        """The sum of the prices of everything in the cart."""
        return sum(product.price for product in self._products)

    @overload
    def add(self, product: "Product") -> None: ...

    @overload
    def add(self, product: "Iterable[Product]") -> None: ...

    def add(self, product: "Product | Iterable[Product]") -> None:
        """Add one product, or every product of an iterable."""
        if isinstance(product, Iterable):
            self._products.extend(product)
        else:
            self._products.append(product)

    def remove(self, product: "Product") -> None:
        """Remove one occurrence of ``product``; a product not in the cart is an error."""
        try:
            self._products.remove(product)
        except ValueError:
            raise ValueError(f"{product!r} is not in the cart") from None

    def clear(self) -> None:
        self._products.clear()

    def quantity_of(self, product: "Product") -> int:
        return self._products.count(product)

    def __len__(self) -> int:
        return len(self._products)

    def __iter__(self) -> "Iterator[Product]":
        return iter(self._products)

    def __contains__(self, product: object) -> bool:
        return product in self._products

    def __repr__(self) -> str:
        return f"<Cart of {len(self)} products, total {self.total}>"
