"""Reads of the site store: catalogue, the user's sites, their files and the home page numbers."""

import io
import json
import os
import stat
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from core.parsing import id_or_404
from sitestore.models import Preview, SiteTemplate, StageChange, TemplateCartItem, UserSite

# Bytes read from a file at a time while zipping: the stream never holds more than about this much.
ZIP_CHUNK_SIZE = 64 * 1024
# Zip cannot store dates before 1980.
ZIP_EARLIEST = (1980, 1, 1, 0, 0, 0)


# --- Catalogue -----------------------------------------------------------------------------


def templates_published() -> QuerySet[SiteTemplate]:
    return SiteTemplate.objects.filter(is_published=True).order_by("kind", "name", "id")


@dataclass(frozen=True)
class KindGroup:
    kind: str
    label: "str | Promise"
    templates: list[SiteTemplate]


def templates_by_kind() -> list[KindGroup]:
    """The published templates grouped by kind, in the order the kinds are declared (one query)."""
    groups: dict[str, list[SiteTemplate]] = {}
    for template in templates_published():
        groups.setdefault(template.kind, []).append(template)
    return [
        KindGroup(kind=kind, label=label, templates=groups[kind])
        for kind, label in SiteTemplate.Kind.choices
        if kind in groups
    ]


def template_for(slug: str) -> SiteTemplate:
    """A published template by slug; 404 for unknown or unpublished ones."""
    return get_object_or_404(templates_published(), slug=slug)


def cart_items_of(user: User) -> QuerySet[TemplateCartItem]:
    return TemplateCartItem.objects.filter(user=user).select_related("template").order_by("created_at", "id")


def template_bundle_directory(template: SiteTemplate) -> Path:
    """Where the template's files are: a plain directory name under ``SITESTORE_BUNDLES_ROOT``."""
    root = Path(settings.SITESTORE_BUNDLES_ROOT)
    # The name comes from admin input: no separators or dots, so it can never point elsewhere.
    if not template.bundle or template.bundle in {".", ".."} or "/" in template.bundle or "\\" in template.bundle:
        return root / "-invalid-"
    return root / template.bundle


def template_bundle_problems(template: SiteTemplate) -> list[str]:
    """What is wrong with a template's bundle (empty when it can be sold and run)."""
    directory = template_bundle_directory(template)
    if not directory.is_dir():
        return [_("The bundle directory “%(bundle)s” does not exist.") % {"bundle": template.bundle}]
    manifest_path = directory / "site.json"
    if not manifest_path.is_file():
        return [_("The bundle has no site.json manifest.")]
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        return [_("site.json cannot be read: %(error)s") % {"error": error}]
    if not isinstance(manifest, dict):
        return [_("site.json must hold an object.")]
    problems = []
    if not isinstance(manifest.get("title"), str) or not manifest["title"].strip():
        problems.append(_("site.json has no title."))
    # A command is a shell-like string or a list of arguments (as the previews accept both).
    command = manifest.get("command")
    parts = [command] if isinstance(command, str) else command if isinstance(command, list) else []
    if not all(isinstance(part, str) for part in parts) or not any("{port}" in part for part in parts):
        problems.append(_("site.json has no command with a {port} placeholder."))
    return problems


# --- The user's sites ----------------------------------------------------------------------


def sites_of(user: User) -> QuerySet[UserSite]:
    return UserSite.objects.filter(owner=user).select_related("template").order_by("-started_at", "-id")


def site_of(user: User, site_id: object) -> UserSite:
    """One of the user's own sites; 404 for anyone else's (no existence leak) and for bad ids."""
    return get_object_or_404(sites_of(user), pk=id_or_404(site_id))


def site_history(site: UserSite) -> QuerySet[StageChange]:
    return site.stage_changes.select_related("actor").order_by("created_at", "id")


def site_directory(site: UserSite) -> Path:
    """The site's own directory under ``PRIVATE_MEDIA_ROOT/sites/``; never anything outside it."""
    sites_root = (Path(settings.PRIVATE_MEDIA_ROOT) / "sites").resolve()
    if not site.directory:
        raise ValueError(f"Site {site.pk} has no directory.")
    directory = (Path(settings.PRIVATE_MEDIA_ROOT) / site.directory).resolve()
    if directory.parent != sites_root:
        raise ValueError(f"Site {site.pk} has a directory outside the sites root.")
    return directory


class _ChunkBuffer(io.RawIOBase):
    """A write-only, unseekable sink that hands over what was written since the last ``take``.

    ``zipfile`` writes into it; the stream yields its contents right after, so at any time it holds
    only the compressed form of one read chunk plus the entry headers.
    """

    def __init__(self) -> None:
        super().__init__()
        self._chunks: list[bytes] = []
        self._position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: "bytes | bytearray | memoryview") -> int:  # type: ignore[override]
        chunk = bytes(data)
        self._chunks.append(chunk)
        self._position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._position

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


def _regular_files(root: Path) -> Iterator[tuple[str, int, os.stat_result]]:
    """(name relative to root, open descriptor, status) of every regular file under root.

    Walks by directory descriptors without following links, and opens each file with O_NOFOLLOW, so
    a link (to /etc/passwd, or a directory elsewhere) is never followed, even if swapped in during
    the walk; FIFOs, devices and sockets are skipped. The caller closes each descriptor.
    """
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    for directory, dirnames, filenames, directory_fd in os.fwalk(root, follow_symlinks=False):
        dirnames.sort()
        relative = Path(directory).relative_to(root)
        for filename in sorted(filenames):
            try:
                descriptor = os.open(filename, flags, dir_fd=directory_fd)
            except OSError:
                continue  # a link, or gone meanwhile
            status = os.fstat(descriptor)
            if not stat.S_ISREG(status.st_mode):
                os.close(descriptor)
                continue
            yield (relative / filename).as_posix(), descriptor, status


def site_zip_stream(site: UserSite) -> Iterator[bytes]:
    """The site's directory as a zip, produced chunk by chunk in constant memory.

    Names are relative to the site's directory (no leading slash, no ``..``); only regular files
    inside it are included.
    """
    root = site_directory(site)
    buffer = _ChunkBuffer()
    with zipfile.ZipFile(buffer, mode="w", compression=zipfile.ZIP_DEFLATED) as archive:
        if root.is_dir():
            for name, descriptor, status in _regular_files(root):
                with os.fdopen(descriptor, "rb") as source:
                    modified = max(ZIP_EARLIEST, time.localtime(status.st_mtime)[:6])
                    info = zipfile.ZipInfo(name, date_time=modified)
                    info.compress_type = zipfile.ZIP_DEFLATED
                    info.file_size = status.st_size
                    info.external_attr = (status.st_mode & 0o777 | stat.S_IFREG) << 16
                    # force_zip64: the file may grow while it is read; the header must allow that.
                    with archive.open(info, mode="w", force_zip64=status.st_size > 2**30) as target:
                        while chunk := source.read(ZIP_CHUNK_SIZE):
                            target.write(chunk)
                            if data := buffer.take():
                                yield data
                if data := buffer.take():
                    yield data
    if data := buffer.take():
        yield data


def site_zip_filename(site: UserSite) -> str:
    """The download's file name: the site's id, never its directory."""
    return f"site-{site.pk}.zip"


# --- Home page -----------------------------------------------------------------------------


def home_stats() -> "list[tuple[str | Promise, int]]":
    """Numbers for the site store's widget on the platform home page."""
    return [
        (gettext_lazy("Templates"), templates_published().count()),
        (gettext_lazy("Sites sold"), UserSite.objects.count()),
        (gettext_lazy("Previews running"), Preview.objects.filter(status=Preview.Status.RUNNING).count()),
    ]
