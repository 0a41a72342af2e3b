"""Crowdfunding for beginner bloggers: participants, projects with their budget and ratings, teams,
promotions, reward tiers and donations (SPEC §4.5).

Counters that concurrent requests change (seats taken, followers joined, tier claims, raised money,
pre-ordered products) are only ever changed with conditional ``F()`` updates, and the database's
check constraints make an overfilled team or an oversold tier impossible even for a buggy caller.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinLengthValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel


class Role(models.TextChoices):
    COPYWRITER = "copywriter", _("Copywriter")
    VIDEOGRAPHER = "videographer", _("Videographer")
    DIRECTOR = "director", _("Director")
    SCRIPTWRITER = "scriptwriter", _("Scriptwriter")
    GRAPHIC_DESIGNER = "graphic_designer", _("Graphic designer")
    PRODUCER = "producer", _("Producer")
    SOUND_ENGINEER = "sound_engineer", _("Sound engineer")
    LIGHTING_TECHNICIAN = "lighting_technician", _("Lighting technician")
    SEO_SPECIALIST = "seo_specialist", _("SEO specialist")
    COMMUNITY_MANAGER = "community_manager", _("Community manager")
    MONETIZATION_SPECIALIST = "monetization_specialist", _("Monetization specialist")


class Topic(models.TextChoices):
    FITNESS = "fitness", _("Fitness")
    TRAVEL = "travel", _("Travel")
    FASHION = "fashion", _("Fashion")
    FINANCE = "finance", _("Finance")
    HEALTH = "health", _("Health")
    TECHNOLOGY = "technology", _("Technology")
    FAMILY = "family", _("Family")
    HOME = "home", _("Home")
    BOOKS = "books", _("Books")
    ARTS = "arts", _("Arts")
    EDUCATION = "education", _("Education")
    GARDEN = "garden", _("Garden")
    GAMES = "games", _("Games")
    CRAFTS = "crafts", _("Crafts")


class Platform(models.TextChoices):
    """Where a blog is placed and where promoters post about it."""

    YOUTUBE = "youtube", "YouTube"
    VK = "vk", "VK"
    X = "x", "X"
    WORDPRESS = "wordpress", "WordPress"
    LINKEDIN = "linkedin", "LinkedIn"
    INSTAGRAM = "instagram", "Instagram"
    FACEBOOK = "facebook", "Facebook"
    TUMBLR = "tumblr", "Tumblr"
    LIVEJOURNAL = "livejournal", "LiveJournal"
    RUTUBE = "rutube", "RuTube"
    WIX = "wix", "Wix"


# An application for a place among the promoters uses this instead of a specialist role.
FOLLOWER = "follower"

SALARY_MIN = 10_000
SALARY_MAX = 100_000
HEADCOUNT_MAX = 10
AUTHOR_PRICE_MAX = 1_000_000


def cover_upload_to(instance: "Project", filename: str) -> str:
    # Covers are re-encoded to JPEG by the services; a random name reveals nothing of the upload.
    return f"crowdfunding/covers/{uuid.uuid4().hex}.jpg"


class ParticipantProfile(TimeStampedModel):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="participant_profile",
    )
    skills = models.TextField(_("skills"), max_length=1000, validators=[MinLengthValidator(1)])
    experience = models.TextField(_("experience"), max_length=1000, validators=[MinLengthValidator(1)])
    # Lists of Role / Topic values; JSON so that SQLite and PostgreSQL store them alike.
    professions = models.JSONField(_("professions"), default=list, blank=True)
    topics = models.JSONField(_("topics"), default=list, blank=True)

    class Meta:
        verbose_name = _("participant profile")
        verbose_name_plural = _("participant profiles")

    def __str__(self) -> str:
        return str(self.user)


class Project(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        FUNDED = "funded", _("Funded")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.CASCADE,
        related_name="crowdfunding_projects",
    )
    blog_name = models.CharField(_("blog name"), max_length=30, validators=[MinLengthValidator(2)])
    idea = models.TextField(_("idea"), max_length=2000, validators=[MinLengthValidator(10)])
    topic = models.CharField(_("topic"), max_length=20, choices=Topic.choices, db_index=True)
    product_name = models.CharField(_("product name"), max_length=30, validators=[MinLengthValidator(2)])
    author_price = models.PositiveIntegerField(_("author's price"), validators=[MaxValueValidator(AUTHOR_PRICE_MAX)])
    posts_per_month = models.PositiveSmallIntegerField(
        _("posts per month"), validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    # A list of Platform values, at least one.
    sites = models.JSONField(_("placement sites"), default=list)
    months = models.PositiveSmallIntegerField(
        _("duration in months"), validators=[MinValueValidator(3), MaxValueValidator(12)]
    )
    deadline = models.DateTimeField(_("funding deadline"), db_index=True)
    cover = models.ImageField(_("cover image"), upload_to=cover_upload_to, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True)
    # Moderation: a hidden project is seen by its author and staff only.
    is_hidden = models.BooleanField(_("hidden by moderators"), default=False, db_index=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    # The budget, stored from crowdfunding.budget on every edit (goal = the project amount).
    goal = models.PositiveBigIntegerField(_("goal"), default=0)
    product_price = models.PositiveIntegerField(_("product price"), default=0)
    products_to_sell = models.PositiveBigIntegerField(_("products to sell"), null=True, blank=True)

    # Counters: changed only with conditional F() updates by the services.
    raised = models.PositiveBigIntegerField(_("raised"), default=0)
    donations_count = models.PositiveIntegerField(_("donations"), default=0)
    products_preordered = models.PositiveIntegerField(_("products pre-ordered"), default=0)
    followers_joined = models.PositiveSmallIntegerField(_("followers joined"), default=0)
    approved_posts = models.PositiveIntegerField(_("approved promotion posts"), default=0)

    # Ratings (SPEC §4.5), stored and refreshed in the transaction of every change that affects them.
    rating_followers = models.FloatField(_("followers rating"), default=0, db_index=True)
    rating_specialists = models.FloatField(_("specialists rating"), default=0, db_index=True)
    rating_promotion = models.FloatField(_("promotion rating"), default=1)
    rating_overall = models.FloatField(_("overall rating"), default=0, db_index=True)

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["-created_at", "-id"]
        constraints = [
            # FOLLOWERS_WANTED (crowdfunding.budget) is 100.
            models.CheckConstraint(condition=Q(followers_joined__lte=100), name="crowdfunding_followers_within_wanted"),
        ]
        indexes = [
            models.Index(fields=["status", "is_hidden", "-rating_overall"], name="crowdfunding_project_rating"),
            models.Index(fields=["topic", "status", "-rating_overall"], name="crowdfunding_project_topic"),
        ]

    def __str__(self) -> str:
        return self.blog_name

    @property
    def progress_percent(self) -> int:
        """Raised money as a whole percentage of the goal (may pass 100)."""
        return self.raised * 100 // self.goal if self.goal else 0


class ProjectRole(models.Model):
    """A specialist role a project pays for: its headcount, monthly salary and seats taken."""

    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    headcount = models.PositiveSmallIntegerField(
        _("headcount"), validators=[MinValueValidator(1), MaxValueValidator(HEADCOUNT_MAX)]
    )
    salary = models.PositiveIntegerField(_("monthly salary"))
    seats_taken = models.PositiveSmallIntegerField(_("seats taken"), default=0)

    class Meta:
        verbose_name = _("project role")
        verbose_name_plural = _("project roles")
        ordering = ["project", "role"]
        constraints = [
            models.UniqueConstraint(fields=["project", "role"], name="crowdfunding_role_unique"),
            models.CheckConstraint(
                condition=Q(seats_taken__lte=F("headcount")), name="crowdfunding_seats_within_headcount"
            ),
            models.CheckConstraint(
                condition=Q(salary=0) | Q(salary__gte=SALARY_MIN, salary__lte=SALARY_MAX),
                name="crowdfunding_salary_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id}: {self.role} × {self.headcount}"

    @property
    def open_seats(self) -> int:
        return self.headcount - self.seats_taken


class Application(TimeStampedModel):
    """A request to join a project's team in a specialist role, or its follower (promoter) pool."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="applications"
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("applicant"),
        on_delete=models.CASCADE,
        related_name="crowdfunding_applications",
    )
    # A Role value, or FOLLOWER.
    role = models.CharField(_("role"), max_length=30)
    message = models.TextField(_("message"), max_length=1000, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    # The salary of the role when the author accepted (a specialist is listed with it).
    salary = models.PositiveIntegerField(_("monthly salary"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One open or accepted application per person and role: a double submit cannot add a second.
            models.UniqueConstraint(
                fields=["project", "applicant", "role"],
                condition=Q(status__in=["pending", "accepted"]),
                name="crowdfunding_application_unique_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.applicant_id} → {self.project_id} ({self.role})"


class Promotion(TimeStampedModel):
    """A promoter's post about a project on one platform, approved or rejected by the author."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="promotions")
    promoter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("promoter"),
        on_delete=models.CASCADE,
        related_name="crowdfunding_promotions",
    )
    platform = models.CharField(_("platform"), max_length=20, choices=Platform.choices)
    url = models.URLField(_("link to the post"), max_length=500)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("promotion")
        verbose_name_plural = _("promotions")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "url"], name="crowdfunding_promotion_url_unique"),
        ]

    def __str__(self) -> str:
        return self.url


class RewardTier(TimeStampedModel):
    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="tiers")
    title = models.CharField(_("title"), max_length=100, validators=[MinLengthValidator(2)])
    description = models.TextField(_("description"), max_length=1000, blank=True)
    min_amount = models.PositiveIntegerField(_("minimum amount"), validators=[MinValueValidator(1)])
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    claimed = models.PositiveIntegerField(_("claimed"), default=0)

    class Meta:
        verbose_name = _("reward tier")
        verbose_name_plural = _("reward tiers")
        ordering = ["project", "min_amount", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(claimed__lte=F("quantity")), name="crowdfunding_tier_not_oversold"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def remaining(self) -> int:
        return self.quantity - self.claimed


class Donation(TimeStampedModel):
    class Kind(models.TextChoices):
        FREE = "free", _("Free donation")
        PREORDER = "preorder", _("Pre-order")
        TIER = "tier", _("Reward tier")

    class Status(models.TextChoices):
        # Held until the deadline: all or nothing.
        PLEDGED = "pledged", _("Pledged")
        COLLECTED = "collected", _("Collected")
        REFUNDED = "refunded", _("Refunded")

    # Deleting a project (only with its author's account) refunds its pledges first (services).
    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="donations")
    # Kept (without the account) when a donor deletes their account: the project's money stays.
    donor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("donor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="crowdfunding_donations",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    amount = models.PositiveBigIntegerField(_("amount"), validators=[MinValueValidator(1)])
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    tier = models.ForeignKey(
        RewardTier,
        verbose_name=_("reward tier"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="donations",
    )
    anonymous = models.BooleanField(_("anonymous"), default=False)
    comment = models.TextField(_("comment"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PLEDGED, db_index=True)

    class Meta:
        verbose_name = _("donation")
        verbose_name_plural = _("donations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=1), name="crowdfunding_donation_positive"),
            models.CheckConstraint(
                condition=Q(kind="tier", tier__isnull=False) | (~Q(kind="tier") & Q(tier__isnull=True)),
                name="crowdfunding_donation_tier_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id}: {self.amount}"
