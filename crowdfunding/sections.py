"""This app's section of the platform (navigation bar and home page), listed in HOME_SECTIONS."""

from django.utils.translation import gettext_lazy as _

from core.sections import Section

SECTION = Section(
    "crowdfunding",
    _("Crowdfunding"),
    _("Fund beginner bloggers, join their teams and promote their work."),
    url_name="crowdfunding:home",
    stats="crowdfunding.selectors.home_stats",
)
