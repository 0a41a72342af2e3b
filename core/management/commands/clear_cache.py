from typing import Any

from django.core.cache import caches
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Empty every configured cache (local memory or Redis)."

    def handle(self, *args: Any, **options: Any) -> None:
        for alias in caches:
            caches[alias].clear()
            self.stdout.write(self.style.SUCCESS(f"Cache '{alias}' cleared."))
