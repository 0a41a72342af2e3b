import uuid
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.templatetags.static import static
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.validators import validate_birth_date, validate_phone, validate_username

BUNDLED_AVATARS = tuple(f"avatar-{number}.png" for number in range(1, 7))
DEFAULT_AVATAR = "avatar-default.png"


def avatar_upload_to(instance: "User", filename: str) -> str:
    # Random names: the uploader's file name never reaches the file system.
    return f"avatars/{uuid.uuid4().hex}.png"


class AgoraUserManager(UserManager["User"]):
    def get_by_natural_key(self, username: str | None) -> "User":
        return self.get(username=username)


class User(AbstractUser):
    username = models.CharField(
        _("username"),
        max_length=30,
        unique=True,
        validators=[validate_username],
        help_text=_("3–30 characters: Latin letters, digits, dots, underscores and dashes."),
        error_messages={"unique": _("A user with that username already exists.")},
    )
    email = models.EmailField(_("email address"))
    phone = models.CharField(
        _("phone"),
        max_length=12,
        unique=True,
        validators=[validate_phone],
        help_text=_("+7 followed by 10 digits."),
        error_messages={"unique": _("A user with that phone already exists.")},
    )
    middle_name = models.CharField(_("middle name"), max_length=150, blank=True)
    avatar = models.ImageField(_("avatar"), upload_to=avatar_upload_to, blank=True)
    bundled_avatar = models.CharField(
        _("bundled avatar"),
        max_length=40,
        blank=True,
        choices=[(name, name) for name in BUNDLED_AVATARS],
    )
    birth_date = models.DateField(_("birth date"), null=True, blank=True, validators=[validate_birth_date])
    newsletter = models.BooleanField(_("newsletter"), default=False)
    email_confirmed_at = models.DateTimeField(_("email confirmed at"), null=True, blank=True)
    is_blocked = models.BooleanField(_("blocked"), default=False, db_index=True)
    blocked_reason = models.TextField(_("block reason"), blank=True)
    blocked_until = models.DateTimeField(_("blocked until"), null=True, blank=True)
    blocked_at = models.DateTimeField(_("blocked at"), null=True, blank=True)

    objects: ClassVar[AgoraUserManager] = AgoraUserManager()

    REQUIRED_FIELDS = ["email", "phone"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="accounts_user_email_ci_unique",
                violation_error_message=_("A user with that email already exists."),
            ),
        ]

    def __str__(self) -> str:
        return self.username

    def get_full_name(self) -> str:
        parts = (self.last_name, self.first_name, self.middle_name)
        return " ".join(part for part in parts if part) or self.username

    @property
    def avatar_url(self) -> str:
        if self.avatar:
            return self.avatar.url
        return static(f"img/avatars/{self.bundled_avatar or DEFAULT_AVATAR}")

    @property
    def block_is_current(self) -> bool:
        return self.is_blocked and (self.blocked_until is None or self.blocked_until > timezone.now())


class EmailConfirmation(models.Model):
    """The pending 6-digit code of an unconfirmed account; only its keyed hash is stored."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_confirmation")
    code_hash = models.CharField(max_length=128)
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    failed_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("email confirmation")
        verbose_name_plural = _("email confirmations")

    def __str__(self) -> str:
        return str(self.user)


class UserSession(models.Model):
    """A signed-in device: a browser session or an API refresh-token chain.

    Both kinds count towards ACCOUNTS_MAX_SESSIONS, are listed on the profile's Devices page and
    end together on a block. An API device follows its refresh token through every rotation.
    """

    class Kind(models.TextChoices):
        WEB = "web", _("browser")
        API = "api", _("API client")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="active_sessions")
    kind = models.CharField(_("kind"), max_length=3, choices=Kind.choices, default=Kind.WEB)
    session_key = models.CharField(max_length=40, unique=True, null=True, blank=True)
    refresh_jti = models.CharField(max_length=255, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(_("signed in"), auto_now_add=True, db_index=True)
    last_used_at = models.DateTimeField(_("last use"), null=True, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.ip_address or '?'} ({self.kind})"
