"""Database wiring shared by every app.

SQLite's built-in ``lower()`` folds ASCII letters only, so ``ORDER BY lower(name)`` would put
"Яблоко" before "банан" and ``lower(email)`` would treat "Иван@…" and "иван@…" as different. Each
SQLite connection gets a Unicode-aware ``lower()`` (Python's ``str.lower``), as PostgreSQL's is;
it is deterministic, so expression indexes on ``lower(...)`` keep working and are built with it.
"""

from django.db.backends.base.base import BaseDatabaseWrapper


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def sqlite_unicode_lower(connection: BaseDatabaseWrapper, **kwargs: object) -> None:
    """``connection_created`` receiver: replace SQLite's ASCII-only ``lower()`` on this connection."""
    if connection.vendor == "sqlite" and connection.connection is not None:
        connection.connection.create_function("lower", 1, _lower, deterministic=True)
