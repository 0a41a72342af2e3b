"""What the preview tests share: their settings (own ports, own work root) and a bought site with files."""

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings

from sitestore import previews
from sitestore.models import Preview, UserSite
from tests.factories import UserFactory
from tests.sitestore.factories import SiteTemplateFactory, UserSiteFactory

TEST_BUNDLES = Path(__file__).resolve().parent / "bundles"
# Ports of these tests only, away from the default pool that a developer's own server may be using;
# each parallel worker (pytest-xdist's gw0, gw1, …) has its own ten.
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
PORTS = (18140 + 10 * _WORKER, 18149 + 10 * _WORKER)


@pytest.fixture(autouse=True)
def preview_settings(settings, tmp_path):
    settings.SITESTORE_BUNDLES_ROOT = str(TEST_BUNDLES)
    settings.SITE_PREVIEW_PORTS = f"{PORTS[0]}-{PORTS[1]}"
    settings.SITE_PREVIEW_WORK_ROOT = str(tmp_path / "previews")
    settings.SITE_PREVIEW_HOST = "preview-host-1"
    settings.SITE_PREVIEW_START_TIMEOUT = 10
    settings.SITE_PREVIEW_TTL = 600
    settings.SITE_PREVIEW_MAX = 10
    yield settings
    # Whatever a failing test left running is ended here, so the next test finds its ports free.
    for preview in Preview.objects.filter(status__in=Preview.ACTIVE_STATUSES):
        previews.process_group_kill(pid=preview.pid, started_at=preview.process_started_at)


def bought_site(owner=None, bundle: str = "echo") -> UserSite:
    """A user site whose files are a copy of a test bundle in the owner's private directory."""
    site = UserSiteFactory(owner=owner or UserFactory(), template=SiteTemplateFactory(bundle=bundle))
    site.directory = f"sites/{site.pk}/"
    shutil.copytree(TEST_BUNDLES / bundle, Path(settings.PRIVATE_MEDIA_ROOT) / site.directory)
    site.save(update_fields=["directory"])
    return site


def assert_nothing_left(preview: Preview) -> None:
    """No process of the preview's session lives, its port is free, its working copy is gone."""
    assert preview.pid is not None and preview.port is not None
    assert previews.process_start_time(preview.pid) is None
    assert previews.session_members(preview.pid) == []
    assert previews.port_is_free(preview.port)
    assert not previews.work_root(preview).exists()
