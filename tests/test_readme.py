"""The README is the newcomer's first page: its tables must render (GitHub needs a header row)."""

import re
from pathlib import Path

from django.conf import settings

DELIMITER_ROW = re.compile(r"^\|(\s*:?-{3,}:?\s*\|)+\s*$")


def _tables(text: str) -> list[list[str]]:
    tables: list[list[str]] = []
    current: list[str] = []
    in_code = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        if not in_code and line.startswith("|"):
            current.append(line)
            continue
        if current:
            tables.append(current)
            current = []
    if current:
        tables.append(current)
    return tables


def test_every_readme_table_has_a_header_row():
    readme = (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
    tables = _tables(readme)
    assert tables, "the README has tables (configuration, API)"
    headless = [table[0] for table in tables if len(table) < 2 or not DELIMITER_ROW.match(table[1])]
    assert headless == []


def test_a_table_without_header_row_is_found():
    rows = _tables("text\n\n| `GET /x` | y |\n| `GET /z` | w |\n")
    assert not DELIMITER_ROW.match(rows[0][1])
