from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import User
from core.admin import ReadOnlyAdmin
from core.services import audit_record
from mailings import sending, services
from mailings.models import Attempt, Client, Mailing, MailingRun, MailMessage, Unsubscribe


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ["full_name", "email", "owner", "created_at"]
    search_fields = ["full_name", "email", "owner__username"]
    list_filter = ["created_at"]
    list_select_related = ["owner"]

    # The section home and the owner's cached client pages must see changes made here too.
    def save_model(self, request: HttpRequest, obj: Client, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        services.caches_invalidate(obj.owner)

    def delete_model(self, request: HttpRequest, obj: Client) -> None:
        owner = obj.owner
        super().delete_model(request, obj)
        services.caches_invalidate(owner)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Client]) -> None:
        owners = list(User.objects.filter(mail_clients__in=queryset).distinct())
        super().delete_queryset(request, queryset)
        for owner in owners:
            services.caches_invalidate(owner)


@admin.register(MailMessage)
class MailMessageAdmin(admin.ModelAdmin):
    list_display = ["subject", "owner", "created_at", "updated_at"]
    search_fields = ["subject", "body", "owner__username"]
    list_select_related = ["owner"]


@admin.register(Mailing)
class MailingAdmin(admin.ModelAdmin):
    list_display = ["__str__", "owner", "status", "periodicity", "is_active", "start_at", "end_at", "next_send_at"]
    list_filter = ["status", "periodicity", "is_active"]
    search_fields = ["message__subject", "owner__username"]
    list_select_related = ["owner", "message"]
    readonly_fields = ["status", "next_send_at", "disabled_by", "created_at", "updated_at"]
    filter_horizontal = ["clients"]
    actions = ["disable"]

    def save_model(self, request: HttpRequest, obj: Mailing, form, change: bool) -> None:
        # next_send_at is read-only here: without this a mailing added in the admin would never send.
        if obj.status == Mailing.Status.CREATED:
            obj.next_send_at = sending.next_send_after(obj, None)
        super().save_model(request, obj, form, change)
        services.home_cache_clear()

    def delete_model(self, request: HttpRequest, obj: Mailing) -> None:
        super().delete_model(request, obj)
        services.home_cache_clear()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Mailing]) -> None:
        super().delete_queryset(request, queryset)
        services.home_cache_clear()

    @admin.action(description=_("Disable selected mailings"), permissions=["change"])
    def disable(self, request: HttpRequest, queryset: QuerySet[Mailing]) -> None:
        ids = list(queryset.filter(is_active=True).values_list("pk", flat=True))
        Mailing.objects.filter(pk__in=ids).update(is_active=False, disabled_by=request.user, updated_at=timezone.now())
        if ids:
            audit_record(action="mailings.disabled", actor=request.user, request=request, details={"mailings": ids})
            services.home_cache_clear()
        self.message_user(request, ngettext("%d mailing disabled.", "%d mailings disabled.", len(ids)) % len(ids))


@admin.register(MailingRun)
class MailingRunAdmin(ReadOnlyAdmin):
    list_display = ["mailing", "scheduled_for", "status", "total", "manual", "started_at", "finished_at"]
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
