"""Dependencies point one way: apps build on ``accounts``, which builds on ``core``.

``core`` imports no app of ours and ``accounts`` imports no product app; what they need from the
apps (home widgets, profile panels, demo data, account hooks) comes through dotted paths in settings
(``core/registry.py``). Read from the source with ``ast``, so an import inside a function counts too.
"""

import ast
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
OUR_APPS = {app for app in settings.INSTALLED_APPS if "." not in app and (ROOT / app / "apps.py").exists()}
PRODUCT_APPS = OUR_APPS - {"core", "accounts"}


def imported_packages(path: Path) -> set[str]:
    """The top-level package of every absolute import in the module."""
    packages: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            packages.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            packages.add(node.module.split(".")[0])
    return packages


def forbidden_imports(package: str, forbidden: set[str]) -> dict[str, set[str]]:
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        wrong = imported_packages(path) & forbidden
        if wrong:
            found[str(path.relative_to(ROOT))] = wrong
    return found


def test_the_app_lists_are_what_this_test_assumes():
    assert {"core", "accounts", "shop", "chat", "mailings", "blog"} <= OUR_APPS


def test_a_nested_import_is_found(tmp_path):
    module = tmp_path / "module.py"
    module.write_text("def handle():\n    from accounts.models import User\n    import chat.selectors\n")

    assert imported_packages(module) == {"accounts", "chat"}


@pytest.mark.parametrize(("package", "forbidden"), [("core", OUR_APPS - {"core"}), ("accounts", PRODUCT_APPS)])
def test_shared_layers_import_no_app_above_them(package, forbidden):
    assert forbidden_imports(package, forbidden) == {}
