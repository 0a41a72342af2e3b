from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core.registry import registered


class Command(BaseCommand):
    help = "Create demo data for every app (idempotent). --scale N makes N times more, for benchmarks."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--scale", type=int, default=1)
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when users already exist.")

    def handle(self, *args: Any, scale: int, if_empty: bool, **options: Any) -> None:
        if scale < 1:
            raise CommandError("--scale must be at least 1")
        if if_empty and get_user_model().objects.exists():
            self.stdout.write("Data already present; demo data not added.")
            return
        for filler in registered("DEMO_FILLERS"):
            filler(scale=scale, stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
