"""This app's section of the platform (navigation bar and home page), listed in HOME_SECTIONS."""

from django.utils.translation import gettext_lazy as _

from core.sections import Section

SECTION = Section(
    "sites",
    _("Sites"),
    _("Ready-made site templates with live previews of the sites you buy."),
    url_name="sitestore:home",
    stats="sitestore.selectors.home_stats",
)
