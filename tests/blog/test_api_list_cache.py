"""The public articles list (``GET /api/articles/``) kept serialized per blog version: what a hit
costs, and that every write through ``blog.services`` (and what changes without one: views, the
author's name) shows at the next read."""

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from blog import services
from blog.models import Article
from tests.blog.factories import ArticleFactory, blog_manager
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ARTICLES = "/api/articles/"


def _get(api_client, params=None) -> tuple[dict, int]:
    with CaptureQueriesContext(connection) as context:
        response = api_client.get(ARTICLES, params or {})
    assert response.status_code == 200, response.content
    return response.json(), len(context.captured_queries)


def test_a_cached_page_reads_one_query_and_answers_the_same_json(api_client):
    ArticleFactory.create_batch(25)
    ArticleFactory(draft=True)

    first, miss_queries = _get(api_client)
    second, hit_queries = _get(api_client)

    assert second == first
    assert first["count"] == 25 and len(first["results"]) == 20 and first["next"].endswith("?page=2")
    assert miss_queries == 2  # COUNT(*) and the page with its authors
    assert hit_queries == 1  # only the views and the authors' names of the page's articles


def test_later_cached_pages_and_page_sizes_are_kept_apart(api_client):
    ArticleFactory.create_batch(7)
    for params in ({"page": 2, "page_size": 3}, {"page_size": 3}, {"page": 3, "page_size": 3}):
        first, _ = _get(api_client, params)
        second, hit_queries = _get(api_client, params)
        assert second == first and hit_queries == 1
    assert [len(_get(api_client, {"page": page, "page_size": 3})[0]["results"]) for page in (1, 2, 3)] == [3, 3, 1]


def test_a_bad_page_is_still_a_400_cached_or_not(api_client):
    ArticleFactory.create_batch(3)
    _get(api_client)
    for page in ("9", "0", "x", "01"):
        assert api_client.get(ARTICLES, {"page": page}).status_code in (200, 400)
    assert api_client.get(ARTICLES, {"page": 9}).status_code == 400
    assert api_client.get(ARTICLES, {"page": 9}).status_code == 400


def test_every_article_write_through_the_services_shows_at_the_next_read(api_client):
    manager = blog_manager()
    article = ArticleFactory(author=manager)
    assert [item["title"] for item in _get(api_client)[0]["results"]] == [article.title]

    services.article_update(article=article, actor=manager, data={"title": "Renamed"})
    assert [item["title"] for item in _get(api_client)[0]["results"]] == ["Renamed"]

    created = services.article_create(actor=manager, title="Fresh", body="Some body text.", is_published=True)
    body = _get(api_client)[0]
    assert body["count"] == 2 and body["results"][0]["id"] == created.pk

    services.article_unpublish(article=created, actor=manager)
    assert [item["id"] for item in _get(api_client)[0]["results"]] == [article.pk]

    services.article_delete(article=article, actor=manager)
    assert _get(api_client)[0] == {"count": 0, "next": None, "previous": None, "results": []}


def test_views_and_the_authors_name_are_read_fresh_on_a_hit(api_client):
    article = ArticleFactory()
    assert _get(api_client)[0]["results"][0]["views"] == 0

    request = RequestFactory().get("/", HTTP_USER_AGENT="Mozilla/5.0")
    request.session = {}
    assert services.article_view_record(article=Article.objects.get(pk=article.pk), request=request)
    author = article.author
    author.last_name, author.first_name = "Petrova", "Anna"
    author.save()

    item = _get(api_client)[0]["results"][0]
    assert item["views"] == 1
    assert item["author"] == "Petrova Anna" == author.get_full_name()


def test_an_article_without_author_is_null_on_a_hit(api_client):
    ArticleFactory(author=None)
    _get(api_client)
    assert _get(api_client)[0]["results"][0]["author"] is None


def test_blog_managers_still_see_drafts_uncached(api_client):
    published, draft = ArticleFactory(), ArticleFactory(draft=True)
    _get(api_client)  # fills the public cache
    api_client.force_authenticate(blog_manager())
    ids = {item["id"] for item in api_client.get(ARTICLES).json()["results"]}
    assert ids == {published.pk, draft.pk}
    api_client.force_authenticate(UserFactory())
    assert [item["id"] for item in api_client.get(ARTICLES).json()["results"]] == [published.pk]
