from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from core.backup import backup_restore


class Command(BaseCommand):
    help = "Restore a backup made by `backup`. Refuses a non-empty database unless --force is given."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--force", action="store_true", help="Replace a database that holds data.")

    def handle(self, *args: Any, path: Path, force: bool, **options: Any) -> None:
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            backup_restore(path, force=force)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(self.style.SUCCESS(f"Restored from {path}"))
