"""The Shop link's badge in the navigation bar (listed as ``badge`` in shop/sections.py)."""

from django.http import HttpRequest
from django.utils.translation import ngettext

from core.sections import Badge
from shop.selectors import cart_size


def cart_items(request: HttpRequest) -> Badge:
    """How many items the cart holds, as the shop's own pages count them."""
    count = cart_size(request)
    return Badge(count, ngettext("%(count)d item in the cart", "%(count)d items in the cart", count) % {"count": count})
