"""The zip download: streamed in chunks, only the site's own regular files, names relative to it."""

import io
import os
import zipfile

import pytest

from sitestore import selectors, services
from sitestore.models import UserSite
from tests.sitestore.factories import SiteTemplateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(user) -> UserSite:
    return services.template_buy(user=user, template=SiteTemplateFactory())


def unzip(site: UserSite) -> zipfile.ZipFile:
    data = b"".join(selectors.site_zip_stream(site))
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    return archive


def test_the_zip_holds_every_file_of_the_site_by_its_relative_name(site):
    archive = unzip(site)

    assert sorted(archive.namelist()) == ["index.html", "site.json", "static/style.css"]
    assert archive.read("static/style.css") == b"h1 { color: teal; }"


def test_links_and_anything_outside_the_directory_are_left_out(site, tmp_path):
    directory = selectors.site_directory(site)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("not yours")
    (directory / "passwd").symlink_to("/etc/passwd")
    (directory / "elsewhere").symlink_to(outside)
    (directory / "up").symlink_to("../..")
    (directory / "static" / "secret-link.txt").symlink_to(outside / "secret.txt")
    os.mkfifo(directory / "pipe")

    archive = unzip(site)

    names = archive.namelist()
    assert sorted(names) == ["index.html", "site.json", "static/style.css"]
    assert all(not name.startswith("/") and ".." not in name.split("/") for name in names)
    contents = b"".join(archive.read(name) for name in names)
    assert b"root:" not in contents
    assert b"not yours" not in contents


def test_a_directory_record_pointing_outside_the_sites_root_is_refused(site):
    for directory in ["../", "/etc/", "sites/../../", "sites/1/../../etc/"]:
        site.directory = directory
        with pytest.raises(ValueError):
            list(selectors.site_zip_stream(site))


def test_a_large_site_is_streamed_in_small_chunks(site):
    directory = selectors.site_directory(site)
    # Random bytes do not compress, so the chunk sizes show what the stream holds at a time.
    (directory / "big.bin").write_bytes(os.urandom(3 * 1024 * 1024))

    chunks = list(selectors.site_zip_stream(site))

    assert len(chunks) > 40
    assert max(len(chunk) for chunk in chunks) < 256 * 1024
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert archive.getinfo("big.bin").file_size == 3 * 1024 * 1024
    assert archive.read("big.bin") == (directory / "big.bin").read_bytes()


def test_the_download_is_named_by_the_sites_id(site):
    assert selectors.site_zip_filename(site) == f"site-{site.pk}.zip"
