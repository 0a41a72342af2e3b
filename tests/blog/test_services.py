"""The blog's write rules: who may write, slugs, images, publishing, the schedule, views, the cache."""

import os
import threading
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import RequestFactory
from django.utils import timezone
from PIL import Image

from blog import selectors, services
from blog.cache import blog_cache_clear, cache_version
from blog.jobs import publish_scheduled_articles
from blog.models import Article, ArticleView
from core.models import AuditEvent
from core.permissions import is_blog_manager
from tests.blog.conftest import image_upload
from tests.blog.factories import ArticleFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"


def create(actor, **kwargs) -> Article:
    return services.article_create(actor=actor, **{"title": "A title", "body": "Some text.", **kwargs})


def reading(user=None, *, agent: str = BROWSER, ip: str = "203.0.113.5"):
    request = RequestFactory().get("/blog/x/", HTTP_USER_AGENT=agent, REMOTE_ADDR=ip)
    request.user = user or AnonymousUser()
    return request


def views_of(article) -> int:
    return Article.objects.values_list("views", flat=True).get(pk=article.pk)


# --- Who may write --------------------------------------------------------------------------


def test_blog_managers_and_superusers_are_blog_managers_others_are_not(blog_manager, manager, user):
    superuser = UserFactory(is_superuser=True)
    assert is_blog_manager(blog_manager)
    assert is_blog_manager(superuser)
    assert not is_blog_manager(user)
    assert not is_blog_manager(manager)  # a shop/mailings manager is not a blog manager
    assert not is_blog_manager(None)
    blog_manager.is_active = False
    assert not is_blog_manager(blog_manager)


@pytest.mark.parametrize("who", ["user", "manager"])
def test_only_blog_managers_write(request, who):
    actor = request.getfixturevalue(who)
    article = ArticleFactory(draft=True)
    with pytest.raises(PermissionDenied):
        create(actor)
    for write in (services.article_publish, services.article_unpublish, services.article_delete):
        with pytest.raises(PermissionDenied):
            write(article=article, actor=actor)
    with pytest.raises(PermissionDenied):
        services.article_update(article=article, actor=actor, data={"title": "Hacked"})
    article.refresh_from_db()
    assert article.title != "Hacked" and not article.is_published
    assert Article.objects.count() == 1


def test_create_makes_a_draft_by_default_with_the_author_and_an_audit_row(blog_manager):
    article = create(blog_manager, title="  First post  ", body="  Hello.  ")

    assert (article.title, article.body, article.slug) == ("First post", "Hello.", "first-post")
    assert not article.is_published and article.published_at is None and article.publish_at is None
    assert article.author == blog_manager
    assert AuditEvent.objects.filter(action="blog.article_created", target_id=str(article.pk)).exists()


def test_create_published_sets_the_publication_time(blog_manager):
    article = create(blog_manager, is_published=True)
    assert article.is_published
    assert abs(article.published_at - timezone.now()) < timedelta(seconds=5)


@pytest.mark.parametrize(
    ("title", "body", "field"),
    [("", "text", "title"), ("   ", "text", "title"), ("x" * 201, "text", "title"), ("Title", "", "body")],
)
def test_bad_input_is_refused_with_the_field_named_and_changes_nothing(blog_manager, title, body, field):
    with pytest.raises(ValidationError) as error:
        create(blog_manager, title=title, body=body)
    assert field in error.value.message_dict
    assert not Article.objects.exists()


def test_a_schedule_in_the_past_is_refused(blog_manager):
    with pytest.raises(ValidationError) as error:
        create(blog_manager, publish_at=timezone.now() - timedelta(hours=1))
    assert "publish_at" in error.value.message_dict


# --- Slugs ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Hello, World!", "hello-world"),
        ("Привет, мир!", "privet-mir"),
        ("Объявление: съезд", "obyavlenie-sezd"),
        ("Ça va? Élan", "ca-va-elan"),
        ("🎉🎉🎉", "article"),
        ("数据", "article"),
    ],
)
def test_slugs_are_ascii_from_any_title_with_a_fallback(blog_manager, title, slug):
    assert create(blog_manager, title=title).slug == slug


def test_slugs_are_unique_and_never_shadow_the_new_article_page(blog_manager):
    slugs = [create(blog_manager, title="Same title").slug for _ in range(3)]
    assert slugs == ["same-title", "same-title-2", "same-title-3"]
    assert create(blog_manager, title="New").slug == "new-2"


def test_a_long_title_gives_a_bounded_slug(blog_manager):
    article = create(blog_manager, title="word " * 40)
    assert len(article.slug) <= 210
    assert not article.slug.endswith("-")


def test_the_slug_stays_when_the_title_changes(blog_manager):
    article = create(blog_manager, title="Original title", is_published=True)
    services.article_update(article=article, actor=blog_manager, data={"title": "Better title"})
    article.refresh_from_db()
    assert (article.title, article.slug) == ("Better title", "original-title")


# --- Images ---------------------------------------------------------------------------------


def test_an_image_is_verified_resized_to_1200_and_stored_as_jpeg_under_a_random_name(blog_manager):
    article = create(blog_manager, image=image_upload((3000, 1500), name="../../etc/holiday.png"))

    assert article.image.name.startswith("articles/") and article.image.name.endswith(".jpg")
    assert "holiday" not in article.image.name
    with Image.open(article.image.path) as stored:
        assert stored.format == "JPEG"
        assert stored.size == (1200, 600)


def test_a_transparent_image_gets_a_white_background(blog_manager):
    article = create(blog_manager, image=image_upload((50, 50), mode="RGBA"))
    with Image.open(article.image.path) as stored:
        assert stored.mode == "RGB"
        assert stored.getpixel((10, 10))[0] > 240


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("fake.png", b"<?php echo 'not an image'; ?>", content_type="image/png"),
        SimpleUploadedFile("empty.png", b"", content_type="image/png"),
    ],
    ids=["not-an-image", "empty"],
)
def test_a_file_that_is_not_an_image_is_refused(blog_manager, upload):
    with pytest.raises(ValidationError) as error:
        create(blog_manager, image=upload)
    assert "image" in error.value.message_dict
    assert not Article.objects.exists()


def test_an_oversized_image_is_refused(blog_manager, settings):
    settings.BLOG_IMAGE_MAX_MB = 0
    with pytest.raises(ValidationError) as error:
        create(blog_manager, image=image_upload())
    assert "too large" in error.value.message_dict["image"][0]


def test_replacing_and_removing_the_image_deletes_the_old_file(blog_manager, django_capture_on_commit_callbacks):
    article = create(blog_manager, image=image_upload())
    first = article.image.path

    with django_capture_on_commit_callbacks(execute=True):
        services.article_update(article=article, actor=blog_manager, data={"image": image_upload((80, 60))})
    second = article.image.path
    assert second != first
    assert not os.path.exists(first) and os.path.exists(second)

    with django_capture_on_commit_callbacks(execute=True):
        services.article_update(article=article, actor=blog_manager, data={"image": None})
    article.refresh_from_db()
    assert not article.image
    assert not os.path.exists(second)


def test_delete_removes_the_article_and_its_image(blog_manager, django_capture_on_commit_callbacks):
    article = create(blog_manager, image=image_upload(), is_published=True)
    path = article.image.path
    with django_capture_on_commit_callbacks(execute=True):
        services.article_delete(article=article, actor=blog_manager)
    assert not Article.objects.exists()
    assert not os.path.exists(path)
    assert AuditEvent.objects.filter(action="blog.article_deleted").exists()


# --- Publishing -----------------------------------------------------------------------------


def test_publish_and_unpublish(blog_manager):
    article = create(blog_manager)
    services.article_publish(article=article, actor=blog_manager)
    assert article.is_published and article.published_at is not None
    services.article_unpublish(article=article, actor=blog_manager)
    article.refresh_from_db()
    assert not article.is_published and article.published_at is None
    actions = list(AuditEvent.objects.filter(target_id=str(article.pk)).values_list("action", flat=True))
    assert "blog.article_published" in actions and "blog.article_unpublished" in actions


def test_publishing_a_published_article_changes_nothing(blog_manager):
    article = create(blog_manager, is_published=True)
    published_at = article.published_at
    services.article_publish(article=article, actor=blog_manager)
    assert article.published_at == published_at
    assert not AuditEvent.objects.filter(action="blog.article_published").exists()


def test_update_can_publish_schedule_and_unpublish(blog_manager):
    article = create(blog_manager)
    later = timezone.now() + timedelta(days=1)
    services.article_update(article=article, actor=blog_manager, data={"publish_at": later})
    assert article.is_scheduled and article.publish_at == later
    services.article_update(article=article, actor=blog_manager, data={"is_published": True})
    assert article.is_published and article.publish_at is None
    services.article_update(article=article, actor=blog_manager, data={"is_published": False})
    assert not article.is_published


def test_update_refuses_unknown_fields(blog_manager):
    article = create(blog_manager)
    with pytest.raises(ValidationError) as error:
        services.article_update(article=article, actor=blog_manager, data={"views": 1000})
    assert "views" in error.value.message_dict


def test_an_update_that_changes_nothing_writes_no_audit_row(blog_manager):
    article = create(blog_manager, title="Same")
    services.article_update(article=article, actor=blog_manager, data={"title": "Same"})
    assert not AuditEvent.objects.filter(action="blog.article_updated").exists()


# --- The scheduled job ----------------------------------------------------------------------


def scheduled(minutes: int) -> Article:
    return ArticleFactory(draft=True, publish_at=timezone.now() + timedelta(minutes=minutes))


def test_the_job_publishes_due_articles_only_and_is_idempotent():
    due, later, draft = scheduled(-1), scheduled(30), ArticleFactory(draft=True)

    assert publish_scheduled_articles() == 1
    assert publish_scheduled_articles() == 0

    due.refresh_from_db(), later.refresh_from_db(), draft.refresh_from_db()
    assert due.is_published and due.publish_at is None
    assert not later.is_published and later.publish_at is not None
    assert not draft.is_published
    event = AuditEvent.objects.get(action="blog.article_published")
    assert event.details == {"scheduled": True} and event.target_id == str(due.pk)


def test_a_missed_run_publishes_on_the_next_one_dated_at_the_scheduled_time():
    # The job did not run for two days (server down): the next run catches up.
    missed = ArticleFactory(draft=True, publish_at=timezone.now() - timedelta(days=2))
    publish_at = missed.publish_at

    assert publish_scheduled_articles() == 1

    missed.refresh_from_db()
    assert missed.is_published
    assert missed.published_at == publish_at


def test_unpublishing_drops_the_schedule_so_the_job_does_not_republish(blog_manager):
    article = scheduled(-5)
    services.article_unpublish(article=article, actor=blog_manager)
    assert publish_scheduled_articles() == 0
    article.refresh_from_db()
    assert not article.is_published and article.publish_at is None


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_publish_each_article_once():
    if connection.vendor != "postgresql":
        pytest.skip("true concurrency needs PostgreSQL")
    articles = [scheduled(-1) for _ in range(5)]
    results, barrier = [], threading.Barrier(2)

    def run() -> None:
        barrier.wait()
        try:
            results.append(publish_scheduled_articles())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(results) == 5
    assert Article.objects.filter(pk__in=[a.pk for a in articles], is_published=True).count() == 5
    assert AuditEvent.objects.filter(action="blog.article_published").count() == 5


# --- Views ----------------------------------------------------------------------------------


def test_a_reader_is_counted_once_a_day(user):
    article = ArticleFactory()
    assert services.article_view_record(article=article, request=reading(user))
    assert not services.article_view_record(article=article, request=reading(user))
    assert views_of(article) == 1
    assert ArticleView.objects.get().reader == f"u:{user.pk}"


def test_the_next_day_counts_again(user, monkeypatch):
    article = ArticleFactory()
    services.article_view_record(article=article, request=reading(user))
    tomorrow = timezone.localdate() + timedelta(days=1)
    monkeypatch.setattr(services.timezone, "localdate", lambda: tomorrow)
    assert services.article_view_record(article=article, request=reading(user))
    assert views_of(article) == 2


def test_anonymous_readers_are_told_apart_by_ip_and_browser_without_storing_either():
    article = ArticleFactory()
    assert services.article_view_record(article=article, request=reading(ip="203.0.113.5"))
    assert not services.article_view_record(article=article, request=reading(ip="203.0.113.5"))
    assert services.article_view_record(article=article, request=reading(ip="203.0.113.6"))
    assert services.article_view_record(article=article, request=reading(ip="203.0.113.6", agent=BROWSER + " Edg/126"))
    assert views_of(article) == 3
    readers = list(ArticleView.objects.values_list("reader", flat=True))
    assert all(reader.startswith("a:") and "203.0.113" not in reader for reader in readers)


def test_different_users_count_separately(user, other_user):
    article = ArticleFactory()
    services.article_view_record(article=article, request=reading(user))
    services.article_view_record(article=article, request=reading(other_user))
    assert views_of(article) == 2


@pytest.mark.parametrize(
    "agent",
    [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "facebookexternalhit/1.1",
        "curl/8.5.0",
        "python-requests/2.32",
        "Mozilla/5.0 (compatible; AhrefsBot/7.0) crawler",
    ],
)
def test_bots_are_not_counted(user, agent):
    article = ArticleFactory()
    assert not services.article_view_record(article=article, request=reading(user, agent=agent))
    assert views_of(article) == 0
    assert not ArticleView.objects.exists()


def test_the_bot_pattern_comes_from_settings(settings):
    settings.BLOG_BOT_PATTERN = r"firefox"
    article = ArticleFactory()
    assert not services.article_view_record(article=article, request=reading(agent="Mozilla/5.0 Firefox/128.0"))
    assert services.article_view_record(article=article, request=reading(agent="curl/8.5.0"))


def test_drafts_are_not_counted(blog_manager):
    article = ArticleFactory(draft=True)
    assert not services.article_view_record(article=article, request=reading(blog_manager))
    assert views_of(article) == 0


def test_a_view_does_not_touch_updated_at():
    article = ArticleFactory()
    before = Article.objects.get(pk=article.pk).updated_at
    services.article_view_record(article=article, request=reading())
    assert Article.objects.get(pk=article.pk).updated_at == before


def test_the_counter_adds_in_the_database_not_from_a_stale_copy(user, other_user):
    article = ArticleFactory()
    stale = Article.objects.get(pk=article.pk)
    Article.objects.filter(pk=article.pk).update(views=41)  # another request counted meanwhile
    services.article_view_record(article=stale, request=reading(user))
    assert views_of(article) == 42


@pytest.mark.django_db(transaction=True)
def test_concurrent_readers_are_all_counted_and_one_reader_once():
    if connection.vendor != "postgresql":
        pytest.skip("true concurrency needs PostgreSQL")
    article = ArticleFactory()
    readers = [UserFactory() for _ in range(6)]
    barrier = threading.Barrier(12)
    outcomes = []

    def read(person) -> None:
        barrier.wait()
        try:
            outcomes.append(services.article_view_record(article=article, request=reading(person)))
        finally:
            connection.close()

    threads = [threading.Thread(target=read, args=(person,)) for person in readers * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count(True) == 6
    assert views_of(article) == 6
    assert ArticleView.objects.count() == 6


# --- The cache ------------------------------------------------------------------------------


def test_blog_cache_clear_starts_a_new_generation():
    first = cache_version()
    assert cache_version() == first
    blog_cache_clear()
    assert cache_version() != first


@pytest.mark.parametrize(
    "change",
    [
        lambda manager, article: create(manager, title="Brand new", is_published=True),
        lambda manager, article: services.article_update(article=article, actor=manager, data={"title": "Renamed"}),
        lambda manager, article: services.article_unpublish(article=article, actor=manager),
        lambda manager, article: services.article_delete(article=article, actor=manager),
    ],
    ids=["create", "update", "unpublish", "delete"],
)
def test_every_change_invalidates_the_cached_list(blog_manager, change, django_capture_on_commit_callbacks):
    article = ArticleFactory(title="Old title")
    assert [card.title for card in selectors.published_page(1).object_list] == ["Old title"]

    with django_capture_on_commit_callbacks(execute=True):
        change(blog_manager, Article.objects.get(pk=article.pk))

    expected = list(selectors.published_articles().values_list("title", flat=True))
    assert [card.title for card in selectors.published_page(1).object_list] == expected


def test_the_scheduled_job_invalidates_the_cached_list():
    article = scheduled(-1)
    assert selectors.published_page(1).object_list == []
    publish_scheduled_articles()
    assert [card.pk for card in selectors.published_page(1).object_list] == [article.pk]


def test_the_first_page_is_served_from_the_cache(django_assert_num_queries):
    ArticleFactory.create_batch(3)
    selectors.published_page(1)
    with django_assert_num_queries(0):
        page = selectors.published_page(1)
    assert len(page.object_list) == 3
    assert page.paginator.count == 3


def test_random_published_articles_are_published_distinct_and_at_most_count(django_assert_max_num_queries):
    published = {article.pk for article in ArticleFactory.create_batch(5)}
    ArticleFactory(draft=True)

    picks = selectors.random_published_articles(count=3)
    assert len(picks) == 3 and len({article.pk for article in picks}) == 3
    assert {article.pk for article in picks} <= published
    with django_assert_max_num_queries(1):
        assert len(selectors.random_published_articles()) == 3
    assert len(selectors.random_published_articles(count=10)) == 5


def test_random_published_articles_follow_changes(blog_manager, django_capture_on_commit_callbacks):
    article = ArticleFactory()
    assert selectors.random_published_articles() == [article]
    with django_capture_on_commit_callbacks(execute=True):
        services.article_unpublish(article=article, actor=blog_manager)
    assert selectors.random_published_articles() == []


def test_home_stats_count_published_articles_and_their_views():
    ArticleFactory(views=5)
    ArticleFactory(views=7)
    ArticleFactory(draft=True, views=100)
    assert [value for _label, value in selectors.home_stats()] == [2, 12]


def test_an_overlong_text_is_refused(blog_manager):
    with pytest.raises(ValidationError) as error:
        create(blog_manager, body="x" * (services.BODY_MAX + 1))
    assert "body" in error.value.message_dict


def test_a_slug_taken_by_a_concurrent_writer_is_retried_with_the_next_one(blog_manager, monkeypatch):
    ArticleFactory(slug="race")
    picks = iter(["race", "race-2"])  # the first pick lost the race to another writer
    monkeypatch.setattr(services, "_unique_slug", lambda title: next(picks))
    article = create(blog_manager, title="Race", image=image_upload())
    assert article.slug == "race-2"
    assert Article.objects.count() == 2


def test_without_redis_the_blog_version_expires_so_other_processes_writes_are_seen_within_a_minute(settings):
    from django.core.cache import cache

    from blog import cache as blog_cache

    settings.REDIS_URL = ""
    blog_cache_clear()  # as this process would after its own write
    before = cache_version()
    assert blog_cache._version_timeout() == 60
    cache.delete(blog_cache.VERSION_KEY)  # what the expiry does a minute later

    assert cache_version() != before  # a new generation: keys built on the old one are not read again
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    assert blog_cache._version_timeout() is None
