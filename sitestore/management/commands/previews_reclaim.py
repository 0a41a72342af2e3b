"""``manage.py previews_reclaim``: run at the start of a preview host (before its worker or server)."""

from typing import Any

from django.core.management.base import BaseCommand

from sitestore.previews import previews_reclaim


class Command(BaseCommand):
    help = "End the previews this host ran before a restart: kill their processes if still alive, free their ports."

    def handle(self, *args: Any, **options: Any) -> None:
        ended = previews_reclaim()
        self.stdout.write(f"previews reclaimed: {ended}")
