"""This app's section of the platform (navigation bar and home page), listed in HOME_SECTIONS."""

from django.utils.translation import gettext_lazy as _

from core.sections import Section

SECTION = Section(
    "shop",
    _("Shop"),
    _("Products from trusted brands, a cart, orders and recommendations."),
    url_name="shop:product-list",
    stats="shop.selectors.home_stats",
    badge="shop.badges.cart_items",
)
