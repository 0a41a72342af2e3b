import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.storage import private_storage


def attachment_upload_to(instance: "Attachment", filename: str) -> str:
    # A random name on disk; the original name is kept in the database for the download.
    suffix = PurePosixPath(filename).suffix.lower()[:10]
    return f"chat/{uuid.uuid4().hex}{suffix}"


class Chat(models.Model):
    title = models.CharField(_("title"), max_length=100)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # The time of the newest message (or creation): the chat list is ordered by it.
    last_activity_at = models.DateTimeField(_("last activity"), auto_now_add=True, db_index=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Membership", related_name="chats")

    class Meta:
        verbose_name = _("chat")
        verbose_name_plural = _("chats")
        ordering = ["-last_activity_at", "-id"]

    def __str__(self) -> str:
        return self.title


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("owner")
        MEMBER = "member", _("member")

    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_memberships")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(_("joined at"), auto_now_add=True)
    # The id of the last message this member has read; it only ever moves forward.
    last_read_id = models.BigIntegerField(_("last read message"), default=0)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["joined_at", "id"]
        constraints = [models.UniqueConstraint(fields=["chat", "user"], name="chat_one_membership_per_user")]

    def __str__(self) -> str:
        return f"{self.user} in {self.chat}"


class Message(models.Model):
    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="messages")
    # Kept when the author deletes their account: the message then shows "deleted user".
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("author")
    )
    text = models.TextField(_("text"), blank=True)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)
    is_deleted = models.BooleanField(_("deleted"), default=False)
    # Bumped on every change (edit, deletion), so clients can poll for what changed since a moment.
    changed_at = models.DateTimeField(_("changed at"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["id"]
        indexes = [models.Index(fields=["chat", "id"]), models.Index(fields=["chat", "changed_at"])]

    def __str__(self) -> str:
        return self.text[:50]


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), storage=private_storage, upload_to=attachment_upload_to)
    original_name = models.CharField(_("original name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(_("content type"), max_length=100)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name
