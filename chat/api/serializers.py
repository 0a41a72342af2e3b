from datetime import datetime, tzinfo
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from accounts.models import User
from chat.models import Attachment, Chat, Message
from chat.selectors import AttachmentRow, MessageRow


class ChatSerializer(serializers.ModelSerializer):
    members = serializers.SerializerMethodField()
    created_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(slug_field="username", read_only=True)
    unread = serializers.IntegerField(read_only=True, default=0)
    my_role = serializers.CharField(read_only=True)

    class Meta:
        model = Chat
        fields = ["id", "title", "members", "created_by", "created_at", "last_activity_at", "unread", "my_role"]
        read_only_fields = ["id", "created_by", "created_at", "last_activity_at"]

    def get_members(self, chat: Chat) -> list[str]:
        return [membership.user.username for membership in chat.memberships.all()]


class ChatCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=100)
    members = serializers.ListField(
        child=serializers.CharField(max_length=150),
        allow_empty=True,
        max_length=200,
        required=False,
        default=list,
        help_text="Usernames of the other members; the creator becomes the owner.",
    )


class ChatRenameSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=100)


class MembersAddSerializer(serializers.Serializer):
    members = serializers.ListField(child=serializers.CharField(max_length=150), allow_empty=False, max_length=200)


class MemberRemoveSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, help_text="A member to remove (owner only); your own name leaves.")


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "original_name", "size", "content_type", "url"]

    def get_url(self, attachment: Attachment) -> str:
        path = reverse("api-attachment-download", args=[attachment.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


# "Message" is taken by the API's error-shape component (accounts.api.views).
@extend_schema_serializer(component_name="ChatMessage")
class MessageSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Message
        fields = ["id", "chat", "author", "text", "created_at", "edited_at", "changed_at", "is_deleted", "attachments"]
        read_only_fields = fields

    def get_author(self, message: Message) -> str | None:
        return message.author.username if message.author else None


def _drf_datetime(value: datetime | None, zone: tzinfo) -> str | None:
    """What DRF's ``DateTimeField`` renders (ISO 8601 in the current time zone, "Z" for UTC)."""
    if value is None:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _attachment_data(attachment: AttachmentRow, request: HttpRequest | None) -> dict[str, Any]:
    path = reverse("api-attachment-download", args=[attachment["id"]])
    return {**attachment, "url": request.build_absolute_uri(path) if request else path}


def message_list_data(rows: list[MessageRow], *, request: HttpRequest | None) -> list[dict[str, Any]]:
    """``MessageSerializer(rows, many=True).data`` for ``selectors.message_rows``, without DRF's
    field-by-field machinery (6 of the list's 10 ms per page of 50 in the bench profile).

    The same values, keys and key order: tests/chat/test_message_list_output.py compares the bytes
    with the declared serializer's, which stays the API's contract and the OpenAPI schema's source.
    """
    zone = timezone.get_current_timezone()
    return [
        {
            "id": row["id"],
            "chat": row["chat"],
            "author": row["author"],
            "text": row["text"],
            "created_at": _drf_datetime(row["created_at"], zone),
            "edited_at": _drf_datetime(row["edited_at"], zone),
            "changed_at": _drf_datetime(row["changed_at"], zone),
            "is_deleted": row["is_deleted"],
            "attachments": [_attachment_data(attachment, request) for attachment in row["attachments"]],
        }
        for row in rows
    ]


class MessageCreateSerializer(serializers.Serializer):
    chat = serializers.IntegerField(min_value=1)
    text = serializers.CharField(required=False, allow_blank=True, default="", max_length=10_000, trim_whitespace=True)
    # Empty files pass here so that the service refuses them with its own clear message.
    file = serializers.FileField(
        required=False,
        allow_null=True,
        allow_empty_file=True,
        help_text="A file to attach; repeat the part (or use `files`) for several.",
    )
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True),
        required=False,
        help_text="Files to attach (multipart, the part repeated); counted together with `file`.",
    )


class MessageEditSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, max_length=10_000)
