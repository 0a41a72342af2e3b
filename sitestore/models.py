"""Site templates for sale, the sites users bought, their stages, live previews and feedback."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel


class SiteTemplate(TimeStampedModel):
    class Kind(models.TextChoices):
        NEWS = "news", _("News")
        FORUM = "forum", _("Forum")
        SHOP = "shop", _("Shop")
        BLOG = "blog", _("Blog")
        LANDING = "landing", _("Landing")
        GAME = "game", _("Game")
        PORTFOLIO = "portfolio", _("Portfolio")

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, db_index=True)
    about = models.CharField(_("about"), max_length=300)
    explanation = models.TextField(_("explanation"), blank=True)
    price = models.PositiveIntegerField(_("price"))
    features = models.JSONField(_("features"), default=list, blank=True)
    # Static paths such as "sitestore/screenshots/<slug>-1.png", generated from the running site.
    screenshots = models.JSONField(_("screenshots"), default=list, blank=True)
    # The directory name under sitestore/bundles/ holding the site's files and its site.json.
    bundle = models.CharField(_("bundle"), max_length=100)
    is_published = models.BooleanField(_("published"), default=False, db_index=True)
    # Only ever changed with F() so that concurrent purchases are all counted.
    purchases = models.PositiveIntegerField(_("purchases"), default=0)

    class Meta:
        verbose_name = _("site template")
        verbose_name_plural = _("site templates")
        ordering = ["kind", "name", "id"]

    def __str__(self) -> str:
        return self.name


class TemplateCartItem(TimeStampedModel):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="template_cart_items",
    )
    template = models.ForeignKey(
        SiteTemplate, verbose_name=_("template"), on_delete=models.CASCADE, related_name="cart_items"
    )

    class Meta:
        verbose_name = _("template cart item")
        verbose_name_plural = _("template cart items")
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["user", "template"], name="sitestore_cart_item_unique")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.template_id}"


class UserSite(TimeStampedModel):
    class Stage(models.TextChoices):
        QUEUED = "queued", _("Queued")
        DESIGN = "design", _("Design")
        DEVELOPMENT = "development", _("Development")
        TESTING = "testing", _("Testing")
        DELIVERED = "delivered", _("Delivered")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="sites",
    )
    template = models.ForeignKey(
        SiteTemplate, verbose_name=_("template"), on_delete=models.PROTECT, related_name="sites"
    )
    name = models.CharField(_("name"), max_length=200)
    about = models.CharField(_("about"), max_length=300, blank=True)
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.QUEUED, db_index=True)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    # Relative to settings.PRIVATE_MEDIA_ROOT (e.g. "sites/12/"); never shown in a URL.
    directory = models.CharField(_("directory"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("user site")
        verbose_name_plural = _("user sites")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return self.name


class StageChange(models.Model):
    site = models.ForeignKey(UserSite, verbose_name=_("site"), on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(_("from stage"), max_length=20, choices=UserSite.Stage.choices)
    to_stage = models.CharField(_("to stage"), max_length=20, choices=UserSite.Stage.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.site_id}: {self.from_stage} → {self.to_stage}"


class Preview(models.Model):
    class Status(models.TextChoices):
        STARTING = "starting", _("Starting")
        RUNNING = "running", _("Running")
        STOPPED = "stopped", _("Stopped")
        FAILED = "failed", _("Failed")

    ACTIVE_STATUSES = (Status.STARTING, Status.RUNNING)

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="site_previews",
    )
    site = models.ForeignKey(
        UserSite,
        verbose_name=_("site"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="previews",
    )
    # Set instead of site for a "try live demo" of a template.
    template = models.ForeignKey(
        SiteTemplate,
        verbose_name=_("template"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="previews",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.STARTING, db_index=True
    )
    host = models.CharField(_("host"), max_length=255)
    port = models.PositiveIntegerField(_("port"), null=True, blank=True)
    pid = models.IntegerField(_("process id"), null=True, blank=True)
    # Start time in clock ticks from /proc/<pid>/stat, so that a recycled pid is never killed.
    process_started_at = models.BigIntegerField(_("process start time"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True, db_index=True)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    stop_reason = models.CharField(_("stop reason"), max_length=50, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("preview")
        verbose_name_plural = _("previews")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["host", "port"],
                condition=Q(status__in=["starting", "running"]),
                name="sitestore_preview_active_port_unique",
            ),
            models.UniqueConstraint(
                fields=["owner"],
                condition=Q(status__in=["starting", "running"]),
                name="sitestore_preview_active_owner_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.host}:{self.port} ({self.status})"


class FaqEntry(TimeStampedModel):
    class Language(models.TextChoices):
        ENGLISH = "en", _("English")
        RUSSIAN = "ru", _("Russian")

    question = models.CharField(_("question"), max_length=300)
    answer = models.TextField(_("answer"))
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.ENGLISH)
    is_published = models.BooleanField(_("published"), default=True, db_index=True)

    class Meta:
        verbose_name = _("FAQ entry")
        verbose_name_plural = _("FAQ entries")
        ordering = ["language", "question", "id"]

    def __str__(self) -> str:
        return self.question


class BotMessage(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="bot_messages",
    )
    question = models.TextField(_("question"))
    answer = models.TextField(_("answer"), blank=True)
    score = models.FloatField(_("score"), default=0.0)
    confident = models.BooleanField(_("confident"), default=False)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("bot message")
        verbose_name_plural = _("bot messages")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.question[:50]


class Thread(TimeStampedModel):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ANSWERED = "answered", _("Answered")
        CLOSED = "closed", _("Closed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="site_threads",
    )
    site = models.ForeignKey(
        UserSite,
        verbose_name=_("site"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="threads",
    )
    subject = models.CharField(_("subject"), max_length=200)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN, db_index=True)

    class Meta:
        verbose_name = _("thread")
        verbose_name_plural = _("threads")
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return self.subject


class ThreadMessage(models.Model):
    thread = models.ForeignKey(Thread, verbose_name=_("thread"), on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    from_staff = models.BooleanField(_("from staff"), default=False)
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("thread message")
        verbose_name_plural = _("thread messages")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:50]
