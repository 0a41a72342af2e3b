"""Whole-database backups as a zip of a JSON dump (portable between SQLite and PostgreSQL) and media."""

import io
import zipfile
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core import management
from django.core.exceptions import ValidationError
from django.core.serializers.base import DeserializationError
from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _

from core.services import audit_record

# Rebuilt by migrate/flush from the code itself; dumping them only causes conflicts on restore.
EXCLUDED = ["contenttypes", "auth.permission", "sessions", "admin.logentry"]
PROJECT_APPS = ["core", "accounts", "shop", "sitestore", "chat", "crowdfunding", "mailings", "blog"]


def _file_roots() -> dict[str, Path]:
    """Uploaded files travel with the data: public media and private files (chat attachments)."""
    return {"media/": Path(settings.MEDIA_ROOT), "private/": Path(settings.PRIVATE_MEDIA_ROOT)}


def database_is_empty() -> bool:
    """True when no model of the project's own apps holds a row (migrations' groups do not count)."""
    for label in PROJECT_APPS:
        for model in apps.get_app_config(label).get_models():
            if model._default_manager.exists():
                return False
    return True


def backup_write(destination: Path | io.BytesIO, *, actor: object = None) -> None:
    data = io.StringIO()
    # Natural foreign keys point at content types and permissions by name (they are rebuilt, with
    # new ids, on restore). Primary keys are kept: ids appear in URLs, tokens and audit events.
    management.call_command(
        "dumpdata",
        exclude=EXCLUDED,
        natural_foreign=True,
        stdout=data,
        verbosity=0,
    )
    with zipfile.ZipFile(destination, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", data.getvalue())
        for prefix, root in _file_roots().items():
            if root.is_dir():
                for path in sorted(root.rglob("*")):
                    if path.is_file():
                        archive.write(path, f"{prefix}{path.relative_to(root).as_posix()}")
    with transaction.atomic():
        audit_record(action="core.backup_created", actor=actor)


def backup_restore(source: Path, *, force: bool = False) -> None:
    """Replace the database (and media) with a backup. Refuses a non-empty database unless forced."""
    if not zipfile.is_zipfile(source):
        raise ValidationError(_("%(name)s is not an Agora backup file.") % {"name": source})
    with zipfile.ZipFile(source) as archive:
        names = archive.namelist()
        if "data.json" not in names:
            raise ValidationError(_("%(name)s is not an Agora backup file.") % {"name": source})
        if not database_is_empty() and not force:
            raise ValidationError(
                _("The database is not empty; restoring would overwrite it. Use --force to replace it.")
            )
        fixture = Path(settings.BACKUP_DIR) / ".restore-data.json"
        fixture.parent.mkdir(parents=True, exist_ok=True)
        fixture.write_bytes(archive.read("data.json"))
        try:
            with transaction.atomic():
                management.call_command("flush", interactive=False, verbosity=0)
                management.call_command("loaddata", str(fixture), verbosity=0)
        except (DeserializationError, DatabaseError) as error:
            # The transaction was rolled back: the database is as it was before.
            raise ValidationError(
                _("%(name)s could not be restored; nothing was changed. %(error)s") % {"name": source, "error": error}
            ) from error
        finally:
            fixture.unlink(missing_ok=True)
        for prefix, root in _file_roots().items():
            root = root.resolve()
            for name in names:
                if not name.startswith(prefix) or name.endswith("/"):
                    continue
                target = (root / name.removeprefix(prefix)).resolve()
                # A crafted archive must not write outside its root.
                if root not in target.parents:
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(archive.read(name))
