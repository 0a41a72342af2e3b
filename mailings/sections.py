"""This app's section of the platform (navigation bar and home page), listed in HOME_SECTIONS."""

from django.utils.translation import gettext_lazy as _

from core.sections import Section

SECTION = Section(
    "mailings",
    _("Mailings"),
    _("Email campaigns to your clients on a schedule, with statistics."),
    url_name="mailings:home",
    stats="mailings.selectors.home_stats",
)
