"""Reads do not depend on writes: ``mailings.selectors`` imports neither the services nor the sender."""

import ast
from pathlib import Path

import mailings.selectors


def test_mailings_selectors_import_no_write_module():
    tree = ast.parse(Path(mailings.selectors.__file__).read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    names = {
        f"{node.module}.{alias.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }

    assert not {"mailings.services", "mailings.sending", "mailings.tasks"} & (imported | names)
