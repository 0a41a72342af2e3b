"""Reads of the blog: the published list (first page cached), one article, drafts, random picks."""

import random
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import F, QuerySet, Sum
from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from blog.cache import cache_version
from blog.models import Article
from core.parsing import page_number
from core.permissions import is_blog_manager

if TYPE_CHECKING:  # django-stubs-ext is a development tool, not installed in production
    from django_stubs_ext import StrOrPromise

EXCERPT_WORDS = 40


def published_articles() -> QuerySet[Article]:
    """Published articles, newest first."""
    return Article.objects.filter(is_published=True).select_related("author").order_by("-published_at", "-id")


def unpublished_articles() -> QuerySet[Article]:
    """Drafts and scheduled articles (blog managers only): next to be published first, then newest edits."""
    return (
        Article.objects.filter(is_published=False)
        .select_related("author")
        .order_by(F("publish_at").asc(nulls_last=True), "-updated_at", "-id")
    )


def visible_articles(user: object) -> QuerySet[Article]:
    """What ``user`` may read: everything for blog managers, published articles for everyone else."""
    if is_blog_manager(user):
        return Article.objects.select_related("author").order_by(
            F("published_at").desc(nulls_first=True), "-created_at", "-id"
        )
    return published_articles()


def article_for(user: object, slug: str) -> Article:
    """One article ``user`` may read; others (drafts for non-managers) raise ``Article.DoesNotExist``."""
    return visible_articles(user).get(slug=slug)


@dataclass(frozen=True)
class ArticleCard:
    """What the list page shows of an article: plain data, safe to cache for every visitor."""

    pk: int
    title: str
    slug: str
    excerpt: str
    image_url: str
    published_at: datetime | None
    author_name: str

    @property
    def url(self) -> str:
        return reverse("blog:detail", kwargs={"slug": self.slug})


def _card(article: Article) -> ArticleCard:
    return ArticleCard(
        pk=article.pk,
        title=article.title,
        slug=article.slug,
        excerpt=Truncator(article.body).words(EXCERPT_WORDS),
        image_url=article.image.url if article.image else "",
        published_at=article.published_at,
        author_name=article.author.get_full_name() if article.author else "",
    )


def published_page(page: object = 1, *, per_page: int | None = None) -> Page[Any]:
    """One page of published articles as ``ArticleCard``s.

    The first page — what nearly every visitor sees — is cached (the same for everyone: no per-user
    content) until an article changes; later pages cost two queries.
    """
    per_page = per_page or settings.BLOG_PAGE_SIZE
    # Pages hold ArticleCards, not the Articles they were read from.
    paginator: Paginator[Any] = Paginator(published_articles(), per_page)
    number = page_number(page)
    if number == 1:
        key = f"blog:list:{cache_version()}:{per_page}"
        data = cache.get(key)
        if data is None:
            first = paginator.page(1)
            data = {"count": paginator.count, "cards": [_card(article) for article in first.object_list]}
            cache.set(key, data, settings.BLOG_LIST_CACHE_SECONDS)
        paginator.count = data["count"]  # overrides the cached_property: no COUNT query
        return Page(data["cards"], 1, paginator)
    page_obj = paginator.get_page(number)
    page_obj.object_list = [_card(article) for article in page_obj.object_list]
    return page_obj


def random_published_articles(count: int = 3) -> list[Article]:
    """``count`` published articles picked at random (for the mailings home page).

    The pool of published ids is cached until an article changes, so a pick costs one query.
    """
    key = f"blog:published-ids:{cache_version()}"
    ids = cache.get(key)
    if ids is None:
        ids = list(Article.objects.filter(is_published=True).values_list("pk", flat=True))
        cache.set(key, ids, settings.BLOG_LIST_CACHE_SECONDS)
    chosen = random.sample(ids, min(count, len(ids)))  # a presentation choice, not security
    articles = published_articles().in_bulk(chosen)
    return [articles[pk] for pk in chosen if pk in articles]


def home_stats() -> "list[tuple[StrOrPromise, int]]":
    """Numbers for the blog's widget on the platform home page."""
    published = Article.objects.filter(is_published=True)
    return [
        (_("Articles"), published.count()),
        (_("Views"), published.aggregate(total=Sum("views"))["total"] or 0),
    ]


# --- The public API list ----------------------------------------------------------------------

# Pages of the public API list kept serialized (per blog version); later pages are read each time.
API_CACHED_PAGES = 10


def api_page_key(*, base: str, per_page: int, number: int, version: str | None = None) -> str:
    """The cache key of one serialized page of the public API list (``base``: the site's absolute
    address, since the rows carry absolute links)."""
    return f"blog:api-list:{version or cache_version()}:{base}:{per_page}:{number}"


def _live_fields_sql(count: int) -> str:
    """``SELECT`` of id, views and the author's name parts for ``count`` article ids, written out once
    per size: building it through the ORM cost more than running it."""
    sql = _LIVE_SQL.get(count)
    if sql is None:
        users = Article._meta.get_field("author").related_model._meta.db_table
        sql = (
            'SELECT "a"."id", "a"."views", "u"."last_name", "u"."first_name", "u"."middle_name", "u"."username" '  # noqa: S608  # nosec B608 (table names from the models, values bound)
            f'FROM "{Article._meta.db_table}" "a" LEFT OUTER JOIN "{users}" "u" ON "u"."id" = "a"."author_id" '
            f'WHERE "a"."id" IN ({", ".join(["%s"] * count)})'
        )
        _LIVE_SQL[count] = sql
    return sql


_LIVE_SQL: dict[int, str] = {}


def api_live_fields(ids: list[int]) -> dict[int, tuple[int, str | None]]:
    """What the cached API rows do not hold, read fresh for the articles ``ids``: the view count
    (counted without a blog version change) and the author's name (changed by the accounts app),
    in one query."""
    if not ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(_live_fields_sql(len(ids)), ids)
        rows = cursor.fetchall()
    live: dict[int, tuple[int, str | None]] = {}
    for pk, views, last, first, middle, username in rows:
        # ``User.get_full_name``, for a row read without the model.
        name = None if username is None else (" ".join(part for part in (last, first, middle) if part) or username)
        live[pk] = (views, name)
    return live
