"""Product search: PostgreSQL full-text search with ranking, ``icontains`` on other databases.

The contract is the same on both: every word of the query must occur (as a word prefix on
PostgreSQL, as a substring elsewhere) in the product's name, description, category or company.
"""

import re

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Q, QuerySet

from shop.models import Product

WORD = re.compile(r"\w+", re.UNICODE)
SEARCH_FIELDS = ("name", "description", "category__name", "company")


def normalize_query(query: str) -> str:
    """Lower-case, trimmed, inner whitespace collapsed: the form queries are logged in."""
    return " ".join((query or "").lower().split())


def is_loggable(normalized: str) -> bool:
    """Queries shorter than 3 characters or containing a stop word are not logged."""
    if len(normalized) < settings.SHOP_SEARCH_MIN_LENGTH:
        return False
    return not any(word in normalized for word in settings.SHOP_SEARCH_STOP_WORDS)


def search_products(queryset: QuerySet[Product], query: str) -> QuerySet[Product]:
    """Products matching every word of ``query``; on PostgreSQL annotated with ``rank``."""
    words = WORD.findall(normalize_query(query))[:10]
    if not words:
        return queryset
    if connection.vendor == "postgresql":
        vector = (
            SearchVector("name", weight="A", config="simple")
            + SearchVector("company", weight="B", config="simple")
            + SearchVector("category__name", weight="B", config="simple")
            + SearchVector("description", weight="C", config="simple")
        )
        # Only \w characters reach the raw query, so no input can break the tsquery syntax.
        search = SearchQuery(" & ".join(f"{word}:*" for word in words), search_type="raw", config="simple")
        return queryset.annotate(document=vector, rank=SearchRank(vector, search)).filter(document=search)
    for word in words:
        any_field = Q()
        for field in SEARCH_FIELDS:
            any_field |= Q(**{f"{field}__icontains": word})
        queryset = queryset.filter(any_field)
    return queryset
