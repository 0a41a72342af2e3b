"""Storage for private files (chat attachments, purchased sites): outside MEDIA_ROOT, no URL.

They are served only by views that check permission, never straight from the web server.
"""

import logging
import os
from collections.abc import Iterable

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage
from django.db import transaction

logger = logging.getLogger(__name__)


class PrivateStorage(FileSystemStorage):
    @property
    def base_location(self) -> str:
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    @property
    def base_url(self) -> None:  # type: ignore[override]  # private files have no URL at all
        return None

    def url(self, name: str | None) -> str:
        raise ValueError("Private files have no public URL; serve them through a permission-checked view.")


private_storage = PrivateStorage()


def files_delete_on_commit(storage: Storage, names: Iterable[str]) -> None:
    """Delete these stored files once the current transaction commits (never if it rolls back).

    The rows that name them go first, so a rolled-back delete keeps both rows and files. Empty
    names (a field with no file) are skipped; a file that cannot be removed is logged, because the
    rows are already gone and the caller's work is done.
    """
    wanted = [name for name in names if name]
    if not wanted:
        return

    def delete() -> None:
        for name in wanted:
            try:
                storage.delete(name)
            except OSError:
                logger.exception("Could not delete the stored file %s", name)

    transaction.on_commit(delete)
