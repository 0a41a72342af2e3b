"""Serializers of the mailings API: reads are ModelSerializers, writes are plain input serializers
whose data goes to ``mailings.services`` (which enforces every rule)."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from accounts.models import User
from core import timezones
from core.parsing import ID_MAX
from mailings.models import Attempt, Client, Mailing, MailingRun, MailMessage

MAX_CLIENTS_PER_MAILING = 10_000


def default_time_zone() -> str:
    return settings.TIME_ZONE if settings.TIME_ZONE in timezones.time_zone_names() else "UTC"


# --- Clients -------------------------------------------------------------------------------


@extend_schema_serializer(component_name="MailClient")
class ClientSerializer(serializers.ModelSerializer):
    class Meta:
        model = Client
        fields = ["id", "email", "full_name", "comment", "created_at", "updated_at"]
        read_only_fields = fields


@extend_schema_serializer(component_name="MailClientWrite")
class ClientWriteSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    full_name = serializers.CharField(max_length=200)
    comment = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


# --- Messages ------------------------------------------------------------------------------


class MailMessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = MailMessage
        fields = ["id", "subject", "body", "body_html", "created_at", "updated_at"]
        read_only_fields = fields


class MailMessageWriteSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=100_000, help_text="The plain-text body.")
    body_html = serializers.CharField(
        max_length=200_000,
        required=False,
        allow_blank=True,
        default="",
        help_text="Optional HTML body; without it the text is sent as simple HTML.",
    )


# --- Mailings ------------------------------------------------------------------------------


class LocalDateTimeField(serializers.DateTimeField):
    """ISO 8601; a time without an offset is kept naive here and read in the mailing's time zone."""

    def enforce_timezone(self, value: datetime) -> datetime:
        return value if timezone.is_naive(value) else super().enforce_timezone(value)


class MailingSerializer(serializers.ModelSerializer):
    owner: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(slug_field="username", read_only=True)
    message_subject = serializers.CharField(source="message.subject", read_only=True)
    clients: serializers.PrimaryKeyRelatedField[Client] = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    client_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Mailing
        fields = [
            "id",
            "owner",
            "message",
            "message_subject",
            "clients",
            "client_count",
            "start_at",
            "end_at",
            "periodicity",
            "time_zone",
            "status",
            "is_active",
            "next_send_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class MailingWriteSerializer(serializers.Serializer):
    """Create (every field but ``time_zone`` and ``is_active`` required) or PATCH (any subset).

    ``message`` and ``clients`` must be the owner's: anything else is refused exactly like an id that
    does not exist, so nothing is learnt about other people's objects.
    """

    message = serializers.IntegerField(min_value=1, help_text="The id of one of your messages.")
    clients = serializers.ListField(
        # Bounded: SQLite cannot bind a larger number in ``pk__in`` (OverflowError, a 500).
        child=serializers.IntegerField(min_value=1, max_value=ID_MAX),
        allow_empty=False,
        max_length=MAX_CLIENTS_PER_MAILING,
        help_text="Ids of your clients.",
    )
    start_at = LocalDateTimeField(help_text="ISO 8601; without an offset it is read in `time_zone`.")
    end_at = LocalDateTimeField(help_text="ISO 8601; without an offset it is read in `time_zone`.")
    periodicity = serializers.ChoiceField(choices=Mailing.Periodicity.choices)
    time_zone = serializers.CharField(
        max_length=64,
        required=False,
        help_text="IANA zone in which the send time repeats (default: the server's zone).",
    )
    is_active = serializers.BooleanField(required=False, default=True)

    @property
    def owner(self):
        return self.context["owner"]

    @property
    def instance_zone(self) -> str | None:
        """The zone of the mailing being edited: a PATCH without ``time_zone`` reads times in it."""
        return self.context.get("time_zone")

    def validate_message(self, value: int) -> MailMessage:
        message = MailMessage.objects.filter(owner=self.owner, pk=value).first()
        if message is None:
            raise serializers.ValidationError(_("Choose one of your messages."))
        return message

    def validate_clients(self, value: list[int]) -> list[Client]:
        wanted = list(dict.fromkeys(value))
        clients = list(Client.objects.filter(owner=self.owner, pk__in=wanted))
        found = {client.pk for client in clients}
        unknown = [pk for pk in wanted if pk not in found]
        if unknown:
            raise serializers.ValidationError(
                _("These are not your clients: %(ids)s.") % {"ids": ", ".join(map(str, unknown[:20]))}
            )
        return clients

    def validate_time_zone(self, value: str) -> str:
        timezones.validate_time_zone(value)
        return value

    def validate(self, data: dict) -> dict:
        zone_name = data.get("time_zone") or self.instance_zone or default_time_zone()
        if not self.partial:
            data.setdefault("time_zone", zone_name)
        zone = ZoneInfo(zone_name)
        for key in ("start_at", "end_at"):
            if key in data and timezone.is_naive(data[key]):
                data[key] = data[key].replace(tzinfo=zone)
        return data


class MailingRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = MailingRun
        fields = ["id", "mailing", "scheduled_for", "started_at", "finished_at", "status", "total", "manual"]
        read_only_fields = fields


class MailingRunStatsSerializer(serializers.ModelSerializer):
    """A run and where each of its recipients stands; the five counts add up to ``total``."""

    sent = serializers.IntegerField(read_only=True)
    failed = serializers.IntegerField(read_only=True)
    skipped = serializers.IntegerField(read_only=True, help_text="Unsubscribed recipients, not sent to.")
    unknown = serializers.IntegerField(
        read_only=True,
        help_text="Deliveries cut off by a sender that died mid-conversation: the email may or may not have "
        "arrived. Never re-sent automatically; the owner may `retry-unknown`.",
    )
    pending = serializers.SerializerMethodField(help_text="Recipients not sent to yet (queued or in flight).")
    needs_attention = serializers.SerializerMethodField(help_text="True while some delivery is unknown.")

    class Meta:
        model = MailingRun
        fields = [
            "id",
            "mailing",
            "scheduled_for",
            "started_at",
            "finished_at",
            "status",
            "total",
            "manual",
            "sent",
            "failed",
            "skipped",
            "unknown",
            "pending",
            "needs_attention",
        ]
        read_only_fields = fields

    # The selector annotates each run with its counts (sent, failed, skipped, unknown).
    def get_pending(self, run: Any) -> int:
        return max(0, run.total - (run.sent + run.failed + run.skipped + run.unknown))

    def get_needs_attention(self, run: Any) -> bool:
        return run.unknown > 0


class RetryUnknownSerializer(serializers.Serializer):
    resending = serializers.IntegerField(help_text="How many unknown deliveries are being sent again.")


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attempt
        fields = ["id", "run", "client", "email", "status", "response", "attempted_at", "tries"]
        read_only_fields = fields
