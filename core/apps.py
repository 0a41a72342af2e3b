from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Platform")

    def ready(self) -> None:
        # Database wiring, not an app flow: every SQLite connection gets a Unicode-aware lower().
        from django.db.backends.signals import connection_created

        from core.db import sqlite_unicode_lower

        connection_created.connect(sqlite_unicode_lower, dispatch_uid="core.db.sqlite_unicode_lower")
