import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel


def article_image_upload_to(instance: "Article", filename: str) -> str:
    return f"articles/{uuid.uuid4().hex}.jpg"


class Article(TimeStampedModel):
    """A blog post. Written only by ``blog.services``; readers see published articles only."""

    title = models.CharField(_("title"), max_length=200)
    # ASCII, derived from the title once (Cyrillic transliterated) and never changed, so links last.
    slug = models.SlugField(_("slug"), max_length=220, unique=True)
    # Plain text: paragraphs and line breaks are kept, links are made clickable, HTML is escaped.
    body = models.TextField(_("text"))
    image = models.ImageField(_("preview image"), upload_to=article_image_upload_to, blank=True)
    is_published = models.BooleanField(_("published"), default=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    publish_at = models.DateTimeField(
        _("publish at"), null=True, blank=True, help_text=_("Leave empty to publish by hand.")
    )
    views = models.PositiveIntegerField(_("views"), default=0)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles",
    )

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["is_published", "-published_at", "-id"], name="blog_article_published"),
            models.Index(fields=["is_published", "publish_at"], name="blog_article_scheduled"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_published=False) | Q(published_at__isnull=False), name="blog_published_has_date"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("blog:detail", kwargs={"slug": self.slug})

    @property
    def is_scheduled(self) -> bool:
        return not self.is_published and self.publish_at is not None


class ArticleView(models.Model):
    """One reader's view of an article on one day: the unique row makes a view count once a day."""

    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="+")
    # "u:<user id>" for signed-in readers, "a:<keyed hash of IP and User-Agent>" for anonymous ones.
    reader = models.CharField(_("reader"), max_length=80)
    day = models.DateField(_("day"))
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("article view")
        verbose_name_plural = _("article views")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["article", "reader", "day"], name="blog_one_view_per_reader_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.article_id} · {self.reader} · {self.day}"
