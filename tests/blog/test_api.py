"""The articles API: read for everyone (anonymous included), write for blog managers."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from blog.models import Article
from tests.blog.conftest import image_upload
from tests.blog.factories import ArticleFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ARTICLES = "/api/articles/"
UNAUTHORIZED = {"code": 401, "message": "Unauthorized"}
FORBIDDEN = {"code": 403, "message": "Forbidden"}


def url(article) -> str:
    return f"{ARTICLES}{getattr(article, 'pk', article)}/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def assert_bad_request(response, field: str) -> None:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == 400 and body["message"]
    assert field in body["errors"], body


# --- Reading --------------------------------------------------------------------------------


def test_anyone_lists_published_articles_newest_first_paginated(api_client):
    now = timezone.now()
    old = ArticleFactory(title="Old", published_at=now - timedelta(days=1))
    new = ArticleFactory(title="New", published_at=now)
    ArticleFactory(title="Draft", draft=True)

    response = api_client.get(ARTICLES)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2 and body["next"] is None and body["previous"] is None
    assert [item["id"] for item in body["results"]] == [new.pk, old.pk]
    item = body["results"][0]
    assert set(item) == {
        "id", "title", "slug", "body", "image", "author", "is_published", "published_at",
        "publish_at", "views", "created_at", "updated_at", "url",
    }  # fmt: skip
    assert item["url"] == f"http://testserver/blog/{new.slug}/"
    assert item["author"] == new.author.get_full_name()


def test_page_size_and_bad_pages(api_client):
    ArticleFactory.create_batch(5)
    body = api_client.get(ARTICLES, {"page_size": 2, "page": 2}).json()
    assert len(body["results"]) == 2 and body["count"] == 5
    assert_bad_request(api_client.get(ARTICLES, {"page": 99}), "page")


def test_anyone_reads_a_published_article_but_drafts_are_404(api_client, user):
    article, draft = ArticleFactory(), ArticleFactory(draft=True)
    assert api_client.get(url(article)).json()["title"] == article.title
    for client in (api_client, client_for(user), client_for(UserFactory(roles=["manager"]))):
        response = client.get(url(draft))
        assert response.status_code == 404
        assert response.json()["code"] == 404
    assert api_client.get(url(999999)).status_code == 404


def test_reading_through_the_api_does_not_count_views(api_client):
    article = ArticleFactory()
    api_client.get(url(article))
    assert Article.objects.get(pk=article.pk).views == 0


def test_blog_managers_also_see_drafts(blog_manager_api):
    ArticleFactory()
    draft = ArticleFactory(draft=True)
    ids = [item["id"] for item in blog_manager_api.get(ARTICLES).json()["results"]]
    assert ids[0] == draft.pk and len(ids) == 2
    assert blog_manager_api.get(url(draft)).json()["is_published"] is False


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_costs_the_same_queries_whatever_its_size(api_client, count, django_assert_max_num_queries):
    ArticleFactory.create_batch(count)
    with django_assert_max_num_queries(2):  # COUNT + SELECT with the authors joined
        assert len(api_client.get(ARTICLES, {"page_size": 100}).json()["results"]) == count


# --- Writing --------------------------------------------------------------------------------


def test_anonymous_writes_get_401_with_the_exact_body(api_client):
    article = ArticleFactory()
    for response in (
        api_client.post(ARTICLES, {"title": "x", "body": "y"}),
        api_client.patch(url(article), {"title": "x"}),
        api_client.delete(url(article)),
    ):
        assert response.status_code == 401
        assert response.json() == UNAUTHORIZED
    assert Article.objects.get().title == article.title


@pytest.mark.parametrize("roles", [[], ["manager"]])
def test_other_users_get_403_with_the_exact_body(roles):
    client = client_for(UserFactory(roles=roles))
    article = ArticleFactory()
    for response in (
        client.post(ARTICLES, {"title": "x", "body": "y", "is_published": True}),
        client.patch(url(article), {"title": "x"}),
        client.delete(url(article)),
    ):
        assert response.status_code == 403
        assert response.json() == FORBIDDEN
    assert Article.objects.count() == 1 and Article.objects.get().title == article.title


def test_a_blog_manager_creates_an_article(blog_manager_api, blog_manager):
    response = blog_manager_api.post(ARTICLES, {"title": "API news", "body": "Text.", "is_published": True})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["slug"] == "api-news" and body["is_published"] is True and body["published_at"]
    article = Article.objects.get(pk=body["id"])
    assert article.author == blog_manager


def test_create_is_a_draft_by_default_and_can_be_scheduled(blog_manager_api):
    assert blog_manager_api.post(ARTICLES, {"title": "D", "body": "B"}).json()["is_published"] is False
    when = (timezone.now() + timedelta(days=1)).isoformat()
    body = blog_manager_api.post(ARTICLES, {"title": "S", "body": "B", "publish_at": when}).json()
    assert body["is_published"] is False and body["publish_at"]


def test_create_with_an_image_as_multipart(blog_manager_api):
    response = blog_manager_api.post(
        ARTICLES, {"title": "Pic", "body": "B", "image": image_upload((1600, 800))}, format="multipart"
    )
    assert response.status_code == 201, response.content
    assert response.json()["image"].startswith("http://testserver/media/articles/")
    assert Article.objects.get().image.width == 1200


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"body": "B"}, "title"),
        ({"title": "T"}, "body"),
        ({"title": "", "body": "B"}, "title"),
        ({"title": "   ", "body": "B"}, "title"),
        ({"title": "x" * 201, "body": "B"}, "title"),
        ({"title": "T", "body": "B", "is_published": "maybe"}, "is_published"),
        ({"title": "T", "body": "B", "publish_at": "tomorrow"}, "publish_at"),
        ({"title": "T", "body": "B", "publish_at": "2001-01-01T00:00:00Z"}, "publish_at"),
        ({"title": ["T"], "body": "B"}, "title"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_creates_nothing(blog_manager_api, payload, field):
    assert_bad_request(blog_manager_api.post(ARTICLES, payload, format="json"), field)
    assert not Article.objects.exists()


def test_malformed_json_is_400(blog_manager_api):
    response = blog_manager_api.generic("POST", ARTICLES, "{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == 400


def test_a_fake_image_is_400(blog_manager_api):
    fake = SimpleUploadedFile("x.png", b"GIF89a but not really", content_type="image/png")
    assert_bad_request(blog_manager_api.post(ARTICLES, {"title": "T", "body": "B", "image": fake}), "image")


def test_a_blog_manager_patches_only_what_is_sent(blog_manager_api):
    article = ArticleFactory(draft=True, title="Before", body="Body stays")
    response = blog_manager_api.patch(url(article), {"title": "After"})
    assert response.status_code == 200, response.content
    article.refresh_from_db()
    assert (article.title, article.body, article.is_published) == ("After", "Body stays", False)

    assert blog_manager_api.patch(url(article), {"is_published": True}).json()["is_published"] is True
    assert_bad_request(blog_manager_api.patch(url(article), {"title": ""}), "title")


def test_put_is_not_offered(blog_manager_api):
    article = ArticleFactory()
    assert blog_manager_api.put(url(article), {"title": "x", "body": "y"}).status_code == 405


def test_a_blog_manager_deletes(blog_manager_api):
    article = ArticleFactory()
    assert blog_manager_api.delete(url(article)).status_code == 204
    assert not Article.objects.exists()
    assert blog_manager_api.delete(url(article)).status_code == 404


def test_jwt_bearer_works_for_blog_managers(blog_manager, password):
    client = APIClient()
    tokens = client.post("/api/auth/login/", {"login": blog_manager.username, "password": password}).json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert client.post(ARTICLES, {"title": "Via JWT", "body": "B"}).status_code == 201
