"""Product search: PostgreSQL full-text search with ranking, ``icontains`` on other databases.

The contract is the same on both: every word of the query must occur (as a word prefix on
PostgreSQL, as a substring elsewhere) in the product's name, description, category or company,
whatever the case. SQLite's own LIKE/LOWER only fold ASCII letters, so the fallback compares
Python-casefolded text (a function registered on each SQLite connection): "чайник" finds "Чайник".
"""

import re

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.db.models import F, Func, Q, QuerySet, TextField, Value

from shop.models import Product

WORD = re.compile(r"[^\W_]+", re.UNICODE)
SEARCH_FIELDS = ("name", "description", "category__name", "company")
# PostgreSQL's parser glues words across these ("WH-1000" is "wh" and the number "-1000", "1.7" a
# float, "a/b" a path); they become spaces so documents split into the words the query is split into.
GLUE = "-./@:+_<>"
CASEFOLD = "shop_casefold"


def _casefold(value: object) -> object:
    return value.casefold() if isinstance(value, str) else value


def register_casefold(connection: BaseDatabaseWrapper, **kwargs: object) -> None:
    """Give a SQLite connection a Unicode-aware ``shop_casefold(text)`` SQL function."""
    if connection.vendor == "sqlite" and connection.connection is not None:
        connection.connection.create_function(CASEFOLD, 1, _casefold, deterministic=True)


connection_created.connect(register_casefold, dispatch_uid="shop.search.register_casefold")


def normalize_query(query: str) -> str:
    """Lower-case, trimmed, inner whitespace collapsed: the form queries are logged in."""
    return " ".join((query or "").lower().split())


def is_loggable(normalized: str) -> bool:
    """Queries shorter than 3 characters or containing a stop word (a whole word, any case) are not logged."""
    if len(normalized) < settings.SHOP_SEARCH_MIN_LENGTH:
        return False
    for stop_word in filter(None, map(normalize_query, settings.SHOP_SEARCH_STOP_WORDS)):
        if re.search(rf"(?<!\w){re.escape(stop_word)}(?!\w)", normalized):
            return False
    return True


def _unglued(field: str) -> Func:
    return Func(F(field), Value(GLUE), Value(" " * len(GLUE)), function="translate", output_field=TextField())


def search_products(queryset: QuerySet[Product], query: str) -> QuerySet[Product]:
    """Products matching every word of ``query``; on PostgreSQL annotated with ``rank``."""
    words = WORD.findall(normalize_query(query))[:10]
    if not words:
        return queryset
    if connection.vendor == "postgresql":
        vector = (
            SearchVector(_unglued("name"), weight="A", config="simple")
            + SearchVector(_unglued("company"), weight="B", config="simple")
            + SearchVector(_unglued("category__name"), weight="B", config="simple")
            + SearchVector(_unglued("description"), weight="C", config="simple")
        )
        # Only letters and digits reach the raw query, so no input can break the tsquery syntax.
        search = SearchQuery(" & ".join(f"{word}:*" for word in words), search_type="raw", config="simple")
        return queryset.annotate(document=vector, rank=SearchRank(vector, search)).filter(document=search)
    lookups = [f"{field}__icontains" for field in SEARCH_FIELDS]
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        register_casefold(connection)  # for a connection opened before this module was imported
        folded = {f"_search_{number}": Func(F(field), function=CASEFOLD) for number, field in enumerate(SEARCH_FIELDS)}
        queryset = queryset.alias(**folded)
        lookups = [f"{alias}__contains" for alias in folded]
    for word in words:
        any_field = Q()
        for lookup in lookups:
            any_field |= Q(**{lookup: word.casefold()})
        queryset = queryset.filter(any_field)
    return queryset
