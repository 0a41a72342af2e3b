"""The blog's part of `fill`: ten published articles with pictures, a draft and a scheduled one; --scale."""

from io import StringIO

import pytest
from django.core.management import call_command

from blog import demo
from blog.models import Article
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def fill(*args: str) -> str:
    out = StringIO()
    call_command("fill", *args, stdout=out)
    return out.getvalue()


def test_fill_writes_a_realistic_blog_once():
    output = fill()

    published = Article.objects.filter(is_published=True)
    assert published.count() == 10
    assert all(article.image and len(article.body) > 300 for article in published)
    assert {article.author.username for article in Article.objects.all()} == {"blogger"}
    assert Article.objects.filter(is_published=False, publish_at=None).count() == 1
    assert Article.objects.filter(is_published=False, publish_at__isnull=False).count() == 1
    dates = list(published.order_by("pk").values_list("published_at", flat=True))
    assert dates == sorted(dates) and dates[0] < dates[-1]  # spread over the past weeks
    assert "Demo blog: 12 articles" in output

    fill()
    assert Article.objects.count() == 12


def test_scale_tops_the_blog_up():
    fill()
    fill("--scale", "3")
    assert Article.objects.filter(is_published=True).count() == 30


def test_without_a_blog_manager_the_blog_is_skipped():
    out = StringIO()
    demo.fill(scale=1, stdout=out)
    assert "blog skipped" in out.getvalue()
    assert not Article.objects.exists()


def test_a_superuser_writes_when_there_is_no_blogger():
    UserFactory(username="root-person", is_superuser=True)
    demo.fill(scale=1, stdout=StringIO())
    assert Article.objects.filter(author__username="root-person").count() == 12
