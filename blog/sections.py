"""This app's section of the platform (navigation bar and home page), listed in HOME_SECTIONS."""

from django.utils.translation import gettext_lazy as _

from core.sections import Section

SECTION = Section(
    "blog",
    _("Blog"),
    _("News and articles from the Agora team."),
    url_name="blog:list",
    stats="blog.selectors.home_stats",
)
