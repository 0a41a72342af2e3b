from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SitestoreConfig(AppConfig):
    name = "sitestore"
    verbose_name = _("Site store")
