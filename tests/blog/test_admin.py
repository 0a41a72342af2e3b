"""The blog's admin: blog managers write through the services; other staff only look; views are read-only."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from blog.models import Article, ArticleView
from core.models import AuditEvent
from tests.blog.conftest import image_upload
from tests.blog.factories import ArticleFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ARTICLES = reverse("admin:blog_article_changelist")
ADD = reverse("admin:blog_article_add")


def change_url(article) -> str:
    return reverse("admin:blog_article_change", args=[article.pk])


@pytest.fixture
def staff_blog_manager(client):
    person = UserFactory(roles=["blog_manager"], is_staff=True)
    client.force_login(person)
    client.person = person
    return client


def test_the_data_migration_gives_blog_managers_the_blog_permissions():
    codenames = set(Group.objects.get(name="blog_manager").permissions.values_list("codename", flat=True))
    assert {"view_article", "add_article", "change_article", "delete_article", "view_articleview"} <= codenames
    assert "view_article" not in set(Group.objects.get(name="manager").permissions.values_list("codename", flat=True))


def test_the_list_searches_and_filters(staff_blog_manager):
    ArticleFactory(title="Gardening tips")
    ArticleFactory(title="Travel notes", draft=True)
    response = staff_blog_manager.get(ARTICLES, {"q": "garden"})
    assert response.status_code == 200
    assert [article.title for article in response.context["cl"].result_list] == ["Gardening tips"]
    response = staff_blog_manager.get(ARTICLES, {"is_published__exact": "0"})
    assert [article.title for article in response.context["cl"].result_list] == ["Travel notes"]


def test_adding_goes_through_the_service(staff_blog_manager):
    response = staff_blog_manager.post(
        ADD,
        {"title": "From the admin", "body": "Text", "is_published": "on", "image": image_upload((1500, 300))},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    article = Article.objects.get()
    assert article.slug == "from-the-admin" and article.is_published
    assert article.author == staff_blog_manager.person
    assert article.image.width == 1200
    assert AuditEvent.objects.filter(action="blog.article_created").exists()


def test_the_admin_form_shows_the_service_rules_beside_the_fields(staff_blog_manager):
    past = timezone.localtime() - timedelta(days=1)
    response = staff_blog_manager.post(
        ADD,
        {"title": "   ", "body": "Text", "publish_at_0": past.strftime("%Y-%m-%d"), "publish_at_1": "10:00"},
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "title" in errors and "publish_at" in errors
    assert not Article.objects.exists()


def test_changing_goes_through_the_service_and_keeps_the_slug(staff_blog_manager):
    article = ArticleFactory(title="Old", slug="old", draft=True)
    response = staff_blog_manager.post(change_url(article), {"title": "New title", "body": article.body})
    assert response.status_code == 302
    article.refresh_from_db()
    assert (article.title, article.slug) == ("New title", "old")
    assert AuditEvent.objects.filter(action="blog.article_updated").exists()


def test_publish_and_unpublish_actions(staff_blog_manager):
    draft, live = ArticleFactory(draft=True), ArticleFactory()
    staff_blog_manager.post(ARTICLES, {"action": "publish", "_selected_action": [draft.pk, live.pk]})
    assert Article.objects.filter(is_published=True).count() == 2
    assert AuditEvent.objects.filter(action="blog.article_published").count() == 1
    staff_blog_manager.post(ARTICLES, {"action": "unpublish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert not draft.is_published


def test_deleting_goes_through_the_service(staff_blog_manager):
    one, two = ArticleFactory(), ArticleFactory()
    staff_blog_manager.post(reverse("admin:blog_article_delete", args=[one.pk]), {"post": "yes"})
    staff_blog_manager.post(ARTICLES, {"action": "delete_selected", "_selected_action": [two.pk], "post": "yes"})
    assert not Article.objects.exists()
    assert AuditEvent.objects.filter(action="blog.article_deleted").count() == 2


def test_staff_who_are_not_blog_managers_cannot_write(client):
    person = UserFactory(roles=["manager"], is_staff=True)
    person.user_permissions.add(*Group.objects.get(name="blog_manager").permissions.all())
    client.force_login(person)
    article = ArticleFactory()
    assert client.get(ARTICLES).status_code == 200  # may look
    assert client.get(ADD).status_code == 403
    client.post(change_url(article), {"title": "Hacked", "body": "x"})
    client.post(ARTICLES, {"action": "unpublish", "_selected_action": [article.pk]})
    article.refresh_from_db()
    assert article.title != "Hacked" and article.is_published


def test_article_views_are_read_only(staff_blog_manager):
    article = ArticleFactory()
    ArticleView.objects.create(article=article, reader="u:1", day=timezone.localdate())
    response = staff_blog_manager.get(reverse("admin:blog_articleview_changelist"))
    assert response.status_code == 200
    assert staff_blog_manager.get(reverse("admin:blog_articleview_add")).status_code == 403


def test_the_clear_box_removes_the_image(staff_blog_manager):
    staff_blog_manager.post(ADD, {"title": "Pic", "body": "Text", "image": image_upload()})
    article = Article.objects.get()
    assert article.image
    staff_blog_manager.post(change_url(article), {"title": "Pic", "body": "Text", "image-clear": "on"})
    article.refresh_from_db()
    assert not article.image
