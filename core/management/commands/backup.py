from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from core.backup import backup_write


class Command(BaseCommand):
    help = "Write the whole database and media files to a zip backup (SQLite and PostgreSQL)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--output", type=Path, help="Backup file (default: BACKUP_DIR/agora-<time>.zip).")

    def handle(self, *args: Any, output: Path | None = None, **options: Any) -> None:
        if output is None:
            output = Path(settings.BACKUP_DIR) / f"agora-{timezone.now():%Y%m%d-%H%M%S}.zip"
        output.parent.mkdir(parents=True, exist_ok=True)
        backup_write(output)
        self.stdout.write(self.style.SUCCESS(f"Backup written to {output}"))
