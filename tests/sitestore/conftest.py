import json
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def site_bundles(settings, tmp_path) -> Path:
    """A bundles root with one small static site, "tiny", that SiteTemplateFactory points at."""
    root = tmp_path / "bundles"
    tiny = root / "tiny"
    (tiny / "static").mkdir(parents=True)
    (tiny / "site.json").write_text(
        json.dumps({"title": "Tiny", "command": "python3 -m http.server {port} --bind 127.0.0.1"})
    )
    (tiny / "index.html").write_text("<!doctype html><title>Tiny</title><h1>Tiny site</h1>")
    (tiny / "static" / "style.css").write_text("h1 { color: teal; }")
    settings.SITESTORE_BUNDLES_ROOT = str(root)
    return root
