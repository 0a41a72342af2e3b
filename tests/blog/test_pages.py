"""Blog pages: the list (cached first page), article pages, drafts, and the blog managers' pages."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from blog.models import Article
from tests.blog.conftest import image_upload
from tests.blog.factories import ArticleFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0 Safari/537.36"


def detail(article) -> str:
    return f"/blog/{article.slug}/"


def titles(response) -> list[str]:
    assert response.status_code == 200
    return [card.title for card in response.context["page"].object_list]


# --- Reading --------------------------------------------------------------------------------


def test_the_list_shows_published_articles_only_newest_first_to_everyone(client, user):
    now = timezone.now()
    ArticleFactory(title="Old", published_at=now - timedelta(days=2))
    ArticleFactory(title="New", published_at=now - timedelta(hours=1))
    ArticleFactory(title="Secret draft", draft=True)

    assert titles(client.get("/blog/")) == ["New", "Old"]
    client.force_login(user)
    response = client.get("/blog/")
    assert titles(response) == ["New", "Old"]
    assert "Secret draft" not in response.content.decode()
    assert 'id="new-article"' not in response.content.decode()


def test_the_list_is_paginated(client, settings):
    settings.BLOG_PAGE_SIZE = 4
    ArticleFactory.create_batch(10)
    first = client.get("/blog/")
    assert len(titles(first)) == 4
    assert "1–4 of 10" in first.content.decode()
    assert len(titles(client.get("/blog/?page=3"))) == 2
    assert len(titles(client.get("/blog/?page=999"))) == 2  # past the end: the last page
    assert len(titles(client.get("/blog/?page=abc"))) == 4


def test_an_empty_blog_says_so(client):
    assert "No articles yet." in client.get("/blog/").content.decode()


def test_the_article_page_renders_text_as_paragraphs_and_escapes_html(client):
    article = ArticleFactory(body="Hello <script>alert(1)</script>\n\nSee https://example.com/x\nnext line")
    content = client.get(detail(article)).content.decode()
    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert '<a href="https://example.com/x" rel="nofollow">' in content
    assert "<br>next line" in content
    assert content.count("<p>") >= 2


def test_the_article_page_counts_a_view_once_a_day_per_reader(client, user):
    article = ArticleFactory()
    first = client.get(detail(article), HTTP_USER_AGENT=BROWSER)
    client.get(detail(article), HTTP_USER_AGENT=BROWSER)
    assert first.context["article"].views == 1
    assert "1 view" in first.content.decode()
    client.force_login(user)
    client.get(detail(article), HTTP_USER_AGENT=BROWSER)
    client.get(detail(article), HTTP_USER_AGENT="Googlebot/2.1")
    assert Article.objects.get(pk=article.pk).views == 2


def test_head_requests_are_not_counted(client):
    article = ArticleFactory()
    assert client.head(detail(article), HTTP_USER_AGENT=BROWSER).status_code == 200
    assert Article.objects.get(pk=article.pk).views == 0


def test_a_draft_is_404_for_everyone_but_blog_managers(client, user, manager, blog_manager):
    draft = ArticleFactory(draft=True, title="Work in progress")
    assert client.get(detail(draft)).status_code == 404
    for person in (user, manager):
        client.force_login(person)
        assert client.get(detail(draft)).status_code == 404
    client.force_login(blog_manager)
    response = client.get(detail(draft))
    assert response.status_code == 200
    assert 'id="article-status"' in response.content.decode()
    assert "Draft" in response.content.decode()
    assert Article.objects.get(pk=draft.pk).views == 0


def test_a_scheduled_article_shows_its_time_to_blog_managers(client, blog_manager):
    article = ArticleFactory(draft=True, publish_at=timezone.now() + timedelta(days=1))
    client.force_login(blog_manager)
    assert "Scheduled for" in client.get(detail(article)).content.decode()


def test_blog_managers_see_drafts_and_scheduled_articles_above_the_list(client, blog_manager, user):
    ArticleFactory(title="Draft one", draft=True)
    ArticleFactory(title="Tomorrow", draft=True, publish_at=timezone.now() + timedelta(days=1))
    ArticleFactory(title="Live")
    client.force_login(blog_manager)
    response = client.get("/blog/")
    assert titles(response) == ["Live"]
    assert [article.title for article in response.context["unpublished"]] == ["Tomorrow", "Draft one"]
    assert 'id="new-article"' in response.content.decode()
    # The cached part is the same for everyone; the manager's part never leaks into it.
    client.force_login(user)
    content = client.get("/blog/").content.decode()
    assert "Draft one" not in content and "Tomorrow" not in content


def test_list_and_detail_answer_get_only(client):
    article = ArticleFactory()
    assert client.post("/blog/").status_code == 405
    assert client.post(detail(article)).status_code == 405


# --- Cache and query counts -----------------------------------------------------------------


def test_the_list_page_is_cached_and_refreshed_when_an_article_changes(client, blog_manager):
    ArticleFactory(title="Before")
    assert titles(client.get("/blog/")) == ["Before"]
    # A change behind the services' back is not seen: the first page comes from the cache...
    Article.objects.update(title="Sneaky")
    assert titles(client.get("/blog/")) == ["Before"]
    # ...while every change through the services (here: the page) refreshes it.
    client.force_login(blog_manager)
    client.post("/blog/new/", {"title": "Fresh", "body": "News.", "is_published": "on"})
    assert titles(client.get("/blog/")) == ["Fresh", "Sneaky"]


@pytest.mark.parametrize("count", [3, 10])
def test_the_list_page_costs_the_same_queries_whatever_the_page_holds(
    client, count, django_assert_max_num_queries, settings
):
    settings.BLOG_PAGE_SIZE = 10
    ArticleFactory.create_batch(count + 10)  # a second page exists
    cache.clear()
    with django_assert_max_num_queries(2):  # COUNT + SELECT with the authors joined
        client.get("/blog/")
    with django_assert_max_num_queries(0):  # then from the cache
        client.get("/blog/")
    with django_assert_max_num_queries(2):
        client.get("/blog/?page=2")


def test_the_blog_manager_list_costs_a_constant_number_of_queries(client, blog_manager, django_assert_max_num_queries):
    ArticleFactory.create_batch(12)
    ArticleFactory.create_batch(8, draft=True)
    client.force_login(blog_manager)
    client.get("/blog/")  # the session's first request also records the device's last use
    with django_assert_max_num_queries(6):  # session, user, groups, count, page, drafts
        client.get("/blog/")


# --- Writing --------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(client):
    article = ArticleFactory()
    for path in ("/blog/new/", f"{detail(article)}edit/", f"{detail(article)}delete/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("who", ["user", "manager"])
def test_readers_get_403_for_writing_pages_of_published_articles_and_404_for_drafts(client, request, who):
    client.force_login(request.getfixturevalue(who))
    article, draft = ArticleFactory(), ArticleFactory(draft=True)

    assert client.get("/blog/new/").status_code == 403
    assert client.post("/blog/new/", {"title": "x", "body": "y"}).status_code == 403
    for action in ("edit/", "delete/"):
        assert client.get(detail(article) + action).status_code == 403
        assert client.get(detail(draft) + action).status_code == 404
    for action in ("publish/", "unpublish/", "delete/", "edit/"):
        assert client.post(detail(article) + action, {"title": "x", "body": "y"}).status_code == 403
        assert client.post(detail(draft) + action, {"title": "x", "body": "y"}).status_code == 404
    assert Article.objects.count() == 2
    assert Article.objects.filter(is_published=True).count() == 1


def test_a_blog_manager_writes_a_draft_with_an_image(client, blog_manager):
    client.force_login(blog_manager)
    assert client.get("/blog/new/").status_code == 200
    response = client.post(
        "/blog/new/", {"title": "Hello there", "body": "First words.", "image": image_upload((2400, 1200))}
    )
    article = Article.objects.get()
    assert response.status_code == 302 and response["Location"] == "/blog/hello-there/"
    assert not article.is_published and article.author == blog_manager
    assert article.image.width == 1200
    followed = client.get(response["Location"])
    assert "The draft is saved." in followed.content.decode()


def test_a_blog_manager_schedules_an_article(client, blog_manager):
    client.force_login(blog_manager)
    when = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    client.post("/blog/new/", {"title": "Later", "body": "Soon.", "publish_at": when})
    article = Article.objects.get()
    assert article.is_scheduled
    assert article.publish_at.strftime("%Y-%m-%dT%H:%M") == when


def test_the_form_shows_errors_beside_the_fields_and_saves_nothing(client, blog_manager):
    client.force_login(blog_manager)
    response = client.post("/blog/new/", {"title": "", "body": "", "image": image_upload(fmt="GIF", name="a.gif")})
    assert response.status_code == 200
    assert response.context["form"].errors.keys() >= {"title", "body"}
    past = (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post("/blog/new/", {"title": "T", "body": "B", "publish_at": past})
    assert "publish_at" in response.context["form"].errors
    fake = SimpleUploadedFile("x.png", b"not an image", content_type="image/png")
    response = client.post("/blog/new/", {"title": "T", "body": "B", "image": fake})
    assert "image" in response.context["form"].errors
    assert not Article.objects.exists()


def test_a_blog_manager_edits_publishes_unpublishes_and_deletes(client, blog_manager):
    article = ArticleFactory(draft=True, title="Draft", author=blog_manager)
    client.force_login(blog_manager)
    edit = detail(article) + "edit/"

    assert client.get(edit).context["form"].initial["title"] == "Draft"
    response = client.post(edit, {"title": "Final title", "body": "Final text."})
    assert response["Location"] == detail(article)
    article.refresh_from_db()
    assert (article.title, article.body, article.is_published) == ("Final title", "Final text.", False)

    client.post(detail(article) + "publish/")
    article.refresh_from_db()
    assert article.is_published
    assert "Unpublish" in client.get(detail(article)).content.decode()

    client.post(detail(article) + "unpublish/")
    article.refresh_from_db()
    assert not article.is_published

    assert "Delete “Final title” for good?" in client.get(detail(article) + "delete/").content.decode()
    response = client.post(detail(article) + "delete/")
    assert response["Location"] == "/blog/"
    assert not Article.objects.exists()


def test_the_edit_form_can_remove_the_image(client, blog_manager):
    client.force_login(blog_manager)
    client.post("/blog/new/", {"title": "Pic", "body": "B", "image": image_upload()})
    article = Article.objects.get()
    assert "remove_image" in client.get(detail(article) + "edit/").context["form"].fields
    client.post(detail(article) + "edit/", {"title": "Pic", "body": "B", "remove_image": "on"})
    article.refresh_from_db()
    assert not article.image


def test_publish_needs_post(client, blog_manager):
    article = ArticleFactory(draft=True)
    client.force_login(blog_manager)
    assert client.get(detail(article) + "publish/").status_code == 405


def test_a_superuser_may_write_too(client):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    client.post("/blog/new/", {"title": "By the owner", "body": "Text", "is_published": "on"})
    assert Article.objects.get().is_published


def test_the_home_page_links_the_blog_with_its_numbers(client):
    ArticleFactory(views=3)
    content = client.get("/").content.decode()
    assert 'href="/blog/"' in content


def test_the_edit_form_shows_service_errors_and_changes_nothing(client, blog_manager):
    article = ArticleFactory(title="Kept", body="Kept body", draft=True)
    client.force_login(blog_manager)
    past = (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(detail(article) + "edit/", {"title": "Changed", "body": "B", "publish_at": past})
    assert response.status_code == 200
    assert "publish_at" in response.context["form"].errors
    article.refresh_from_db()
    assert article.title == "Kept"
