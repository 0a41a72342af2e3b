from typing import cast

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import User
from core.admin import ReadOnlyAdmin
from core.permissions import is_manager
from mailings import services
from mailings.models import Attempt, Client, Mailing, MailingRun, MailMessage, Unsubscribe


class OwnedDataAdmin(ReadOnlyAdmin):
    """People's clients, messages and mailings are theirs to write (SPEC §4.6): the admin shows them
    and acts only through ``mailings.services``."""


@admin.register(Client)
class ClientAdmin(OwnedDataAdmin):
    list_display = ["full_name", "email", "owner", "created_at"]
    search_fields = ["full_name", "email", "owner__username"]
    list_filter = ["created_at"]
    list_select_related = ["owner"]

    # Erasing a person from someone's list (e.g. at that person's request) is the one write allowed here.
    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return request.user.is_superuser

    def delete_model(self, request: HttpRequest, obj: Client) -> None:
        services.client_delete(client=obj, actor=cast(User, request.user), request=request)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Client]) -> None:
        for client in queryset.select_related("owner"):
            services.client_delete(client=client, actor=cast(User, request.user), request=request)


@admin.register(MailMessage)
class MailMessageAdmin(OwnedDataAdmin):
    list_display = ["subject", "owner", "created_at", "updated_at"]
    search_fields = ["subject", "body", "owner__username"]
    list_select_related = ["owner"]


@admin.register(Mailing)
class MailingAdmin(OwnedDataAdmin):
    list_display = ["__str__", "owner", "status", "periodicity", "is_active", "start_at", "end_at", "next_send_at"]
    list_filter = ["status", "periodicity", "is_active"]
    search_fields = ["message__subject", "owner__username"]
    list_select_related = ["owner", "message"]
    actions = ["disable", "resume"]

    def has_disable_permission(self, request: HttpRequest) -> bool:
        return is_manager(request.user)

    def has_resume_permission(self, request: HttpRequest) -> bool:
        return is_manager(request.user)

    @admin.action(description=_("Stop (disable) selected mailings"), permissions=["disable"])
    def disable(self, request: HttpRequest, queryset: QuerySet[Mailing]) -> None:
        mailings = list(
            queryset.filter(status__in=[Mailing.Status.CREATED, Mailing.Status.RUNNING]).select_related("owner")
        )
        for mailing in mailings:
            services.mailing_stop(mailing=mailing, actor=cast(User, request.user))
        count = len(mailings)
        self.message_user(request, ngettext("%d mailing stopped.", "%d mailings stopped.", count) % count)

    @admin.action(description=_("Resume selected stopped mailings"), permissions=["resume"])
    def resume(self, request: HttpRequest, queryset: QuerySet[Mailing]) -> None:
        mailings = list(queryset.filter(status=Mailing.Status.STOPPED).select_related("owner"))
        for mailing in mailings:
            services.mailing_resume(mailing=mailing, actor=cast(User, request.user))
        count = len(mailings)
        self.message_user(request, ngettext("%d mailing resumed.", "%d mailings resumed.", count) % count)


@admin.register(MailingRun)
class MailingRunAdmin(ReadOnlyAdmin):
    # The sender holding the run and when it last showed life: a stale heartbeat is a dead sender.
    list_display = [
        "mailing",
        "scheduled_for",
        "status",
        "total",
        "manual",
        "started_at",
        "finished_at",
        "claimed_by",
        "heartbeat_at",
    ]
    list_filter = ["status", "manual", "scheduled_for"]
    list_select_related = ["mailing__message"]


@admin.register(Attempt)
class AttemptAdmin(ReadOnlyAdmin):
    list_display = ["attempted_at", "mailing", "email", "status", "tries", "response"]
    list_filter = ["status", "attempted_at"]
    search_fields = ["email", "response"]
    list_select_related = ["mailing__message"]
    show_full_result_count = False


@admin.register(Unsubscribe)
class UnsubscribeAdmin(ReadOnlyAdmin):
    list_display = ["email", "owner", "created_at"]
    search_fields = ["email", "owner__username"]
    list_select_related = ["owner"]
