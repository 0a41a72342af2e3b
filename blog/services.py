"""Every write of the blog goes through these functions."""

import re
from datetime import datetime, timedelta
from functools import cache as memoize
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import User
from blog.cache import blog_cache_clear
from blog.models import Article, ArticleView
from core.images import jpeg_bytes, verified_image
from core.permissions import check_blog_manager
from core.request_info import client_ip
from core.services import audit_record
from core.storage import files_delete_on_commit

TITLE_MAX = 200
BODY_MAX = 100_000
SLUG_MAX: int = Article._meta.get_field("slug").max_length or 200
# Slugs that would shadow a page under /blog/.
RESERVED_SLUGS = {"new"}
FALLBACK_SLUG = "article"
# Russian and Ukrainian letters, transliterated so that a Cyrillic title still gives a readable slug.
LATIN = "a b v g d e e zh z i y k l m n o p r s t u f h ts ch sh sch _ y _ e yu ya i yi ye g"
# "_" stands for a letter with no Latin counterpart (ъ, ь), which is dropped.
CYRILLIC = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґ", LATIN.replace("_", "").split(" "), strict=True))
SCHEDULE_GRACE = timedelta(minutes=1)
EDITABLE_FIELDS = {"title", "body", "image", "publish_at", "is_published"}


# --- Helpers ------------------------------------------------------------------------------


def _changed() -> None:
    """Drop the cached blog reads now, and again once the change is committed (so a reader who
    refilled the cache in between with the old rows does not keep them)."""
    blog_cache_clear()
    transaction.on_commit(blog_cache_clear)


def slug_base(title: str) -> str:
    """An ASCII slug for ``title``: Cyrillic transliterated, other letters stripped of accents;
    a title with nothing usable left (emoji, Chinese…) gets the fallback ``article``."""
    text = "".join(CYRILLIC.get(char, char) for char in title.lower())
    text = text.replace("-", " ").replace("'", "")
    slug = slugify(text)[: SLUG_MAX - 10].strip("-")
    return slug or FALLBACK_SLUG


def _unique_slug(title: str) -> str:
    """The title's slug, with ``-2``, ``-3``… when it is taken (or reserved)."""
    base = slug_base(title)
    taken = set(Article.objects.filter(slug__startswith=base).values_list("slug", flat=True)) | RESERVED_SLUGS
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def _clean_text(*, title: object, body: object) -> tuple[str, str]:
    errors: dict[str, list[str]] = {}
    title = str(title or "").strip()
    body = str(body or "").strip()
    if not title:
        errors["title"] = [_("Enter a title.")]
    elif len(title) > TITLE_MAX:
        errors["title"] = [_("The title is too long: at most %(max)s characters.") % {"max": TITLE_MAX}]
    if not body:
        errors["body"] = [_("Write the text of the article.")]
    elif len(body) > BODY_MAX:
        errors["body"] = [_("The text is too long: at most %(max)s characters.") % {"max": f"{BODY_MAX:,}"}]
    if errors:
        raise ValidationError(errors)
    return title, body


def _clean_publish_at(value: object) -> datetime | None:
    """A new schedule must lie ahead (a minute's grace for the time it took to fill the form)."""
    if value in (None, ""):
        return None
    if not isinstance(value, datetime):
        raise ValidationError({"publish_at": [_("Enter a valid date and time.")]})
    value = timezone.make_aware(value) if timezone.is_naive(value) else value
    if value < timezone.now() - SCHEDULE_GRACE:
        raise ValidationError({"publish_at": [_("Choose a moment in the future, or publish the article now.")]})
    return value


def _article_image(upload: "UploadedFile[bytes]") -> "ContentFile[bytes]":
    """Verify the upload is a real image with Pillow and shrink it to at most BLOG_IMAGE_MAX_SIDE (JPEG)."""
    image = verified_image(
        upload, field="image", max_mb=settings.BLOG_IMAGE_MAX_MB, max_side=settings.BLOG_IMAGE_MAX_SIDE
    )
    return ContentFile(jpeg_bytes(image), name="preview.jpg")


def article_check(
    *, title: object, body: object, publish_at: object = None, image: "UploadedFile[bytes] | None" = None
) -> None:
    """Raise the ``ValidationError`` the write would raise, without writing (for forms that show
    errors beside their fields, such as the admin's)."""
    errors: dict[str, list[str]] = {}
    for check in (
        lambda: _clean_text(title=title, body=body),
        lambda: _clean_publish_at(publish_at),
        lambda: _article_image(image) if image else None,
    ):
        try:
            check()
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)


# --- Articles -----------------------------------------------------------------------------


def article_create(
    *,
    actor: User,
    title: str,
    body: str,
    image: "UploadedFile[bytes] | None" = None,
    is_published: bool = False,
    publish_at: datetime | None = None,
    request: HttpRequest | None = None,
) -> Article:
    """Write a new article (a draft, scheduled, or published at once). Blog managers only."""
    check_blog_manager(actor)
    title, body = _clean_text(title=title, body=body)
    publish_at = _clean_publish_at(publish_at)
    content = _article_image(image) if image else None
    now = timezone.now()
    for attempt in range(3):
        article = Article(
            title=title,
            body=body,
            author=actor,
            is_published=bool(is_published),
            published_at=now if is_published else None,
            publish_at=None if is_published else publish_at,
        )
        try:
            with transaction.atomic():
                article.slug = _unique_slug(title)
                if content is not None:
                    article.image.save(str(content.name), content, save=False)
                article.save()
                audit_record(
                    action="blog.article_created",
                    actor=actor,
                    target=article,
                    request=request,
                    details={"published": article.is_published, "publish_at": _iso(article.publish_at)},
                )
                _changed()
            return article
        except IntegrityError:
            # Someone took the same slug a moment ago: pick the next free one.
            if article.image:
                article.image.storage.delete(str(article.image.name))
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def article_update(
    *, article: Article, actor: User, data: dict[str, Any], request: HttpRequest | None = None
) -> Article:
    """Change some of ``title, body, image, publish_at, is_published``. Blog managers only.

    ``image`` is a new upload, or ``None``/``False`` to remove the picture. The slug never changes,
    so published links keep working.
    """
    check_blog_manager(actor)
    unknown = set(data) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed.")] for name in sorted(unknown)})
    title, body = _clean_text(title=data.get("title", article.title), body=data.get("body", article.body))
    publish_at = article.publish_at
    if "publish_at" in data and data["publish_at"] != article.publish_at:
        publish_at = _clean_publish_at(data["publish_at"])
    content = _article_image(data["image"]) if data.get("image") else None
    with transaction.atomic():
        current = Article.objects.select_for_update().get(pk=article.pk)
        old_image = (current.image.name or "") if current.image else ""
        changed = [name for name, value in (("title", title), ("body", body)) if getattr(current, name) != value]
        current.title, current.body = title, body
        if content is not None:
            current.image.save(str(content.name), content, save=False)
            changed.append("image")
        elif "image" in data and old_image:
            current.image = ""
            changed.append("image")
        if "is_published" in data and bool(data["is_published"]) != current.is_published:
            _set_published(current, bool(data["is_published"]))
            changed.append("is_published")
        if not current.is_published and publish_at != current.publish_at:
            current.publish_at = publish_at
            changed.append("publish_at")
        if changed:
            current.save()
            audit_record(
                action="blog.article_updated", actor=actor, target=current, request=request, details={"fields": changed}
            )
            if "image" in changed:
                files_delete_on_commit(current.image.storage, [old_image])
            _changed()
    _copy(current, article)
    return article


def _set_published(article: Article, published: bool) -> None:
    article.is_published = published
    # A manual decision replaces any schedule: an unpublished article is not republished by the job.
    article.publish_at = None
    article.published_at = timezone.now() if published else None


def _copy(source: Article, target: Article) -> None:
    for field in Article._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))


def _set_state(*, article: Article, actor: User, published: bool, request: HttpRequest | None) -> Article:
    check_blog_manager(actor)
    with transaction.atomic():
        current = Article.objects.select_for_update().get(pk=article.pk)
        if current.is_published != published or current.publish_at is not None:
            _set_published(current, published)
            current.save(update_fields=["is_published", "publish_at", "published_at", "updated_at"])
            audit_record(
                action="blog.article_published" if published else "blog.article_unpublished",
                actor=actor,
                target=current,
                request=request,
            )
            _changed()
    _copy(current, article)
    return article


def article_publish(*, article: Article, actor: User, request: HttpRequest | None = None) -> Article:
    """Publish now (a schedule, if any, is dropped). Publishing a published article changes nothing."""
    return _set_state(article=article, actor=actor, published=True, request=request)


def article_unpublish(*, article: Article, actor: User, request: HttpRequest | None = None) -> Article:
    """Back to draft: readers get 404 again, and any schedule is dropped."""
    return _set_state(article=article, actor=actor, published=False, request=request)


def article_delete(*, article: Article, actor: User, request: HttpRequest | None = None) -> None:
    check_blog_manager(actor)
    with transaction.atomic():
        image = (article.image.name or "") if article.image else ""
        audit_record(
            action="blog.article_deleted", actor=actor, target=article, request=request, details={"slug": article.slug}
        )
        Article.objects.filter(pk=article.pk).delete()
        files_delete_on_commit(article.image.storage, [image])
        _changed()


def articles_publish_scheduled() -> int:
    """Publish every draft whose ``publish_at`` has passed (also those a missed run left behind).

    Each article is claimed with a conditional UPDATE, so two runs at once publish it once; a run
    with nothing due changes nothing. Returns how many articles were published.
    """
    now = timezone.now()
    due = Article.objects.filter(is_published=False, publish_at__lte=now)
    published = 0
    for article_id in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            claimed = Article.objects.filter(pk=article_id, is_published=False, publish_at__lte=now).update(
                is_published=True, published_at=F("publish_at"), publish_at=None, updated_at=now
            )
            if not claimed:
                continue
            article = Article.objects.get(pk=article_id)
            audit_record(action="blog.article_published", target=article, details={"scheduled": True})
            _changed()
        published += 1
    return published


# --- Views --------------------------------------------------------------------------------


@memoize
def _bot_pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def is_bot(user_agent: str) -> bool:
    return bool(_bot_pattern(settings.BLOG_BOT_PATTERN).search(user_agent or ""))


def reader_key(request: HttpRequest) -> str:
    """Who reads: the user id, or a keyed hash of IP and User-Agent (no personal data is stored)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"u:{user.pk}"
    agent = request.META.get("HTTP_USER_AGENT", "")
    digest = salted_hmac("blog.reader", f"{client_ip(request)}|{agent}", algorithm="sha256").hexdigest()
    return f"a:{digest}"


def article_view_record(*, article: Article, request: HttpRequest) -> bool:
    """Count a view of a published article, at most once per reader per day; bots are not counted.

    The counter moves with ``F() + 1`` only when the day's ``ArticleView`` row is new (the unique
    constraint decides, also under concurrency). Returns whether the view was counted. Not audited:
    reading is not an action worth a trail.
    """
    if not article.is_published or is_bot(request.META.get("HTTP_USER_AGENT", "")):
        return False
    try:
        with transaction.atomic():
            ArticleView.objects.create(article=article, reader=reader_key(request), day=timezone.localdate())
            Article.objects.filter(pk=article.pk).update(views=F("views") + 1)
    except IntegrityError:
        return False
    return True


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
