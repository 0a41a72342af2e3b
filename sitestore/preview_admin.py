"""The running previews in the admin: read-only rows, and "Stop now" through the service."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.types import account_of
from core.admin import ReadOnlyAdmin
from sitestore import previews
from sitestore.models import Preview


@admin.register(Preview)
class PreviewAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "owner",
        "site",
        "template",
        "status",
        "host",
        "port",
        "started_at",
        "expires_at",
        "stop_reason",
    ]
    list_filter = ["status", "host", "stop_reason"]
    search_fields = ["owner__username", "owner__email", "site__name", "template__name", "host"]
    list_select_related = ["owner", "site", "template"]
    date_hierarchy = "started_at"
    actions = ["stop_now"]

    @admin.action(description=_("Stop now"))
    def stop_now(self, request: HttpRequest, queryset: QuerySet[Preview]) -> None:
        stopped = 0
        for preview in queryset.filter(status__in=Preview.ACTIVE_STATUSES):
            previews.preview_stop(
                preview=preview, reason="stopped by staff", actor=account_of(request), request=request
            )
            stopped += 1
        messages.success(
            request,
            ngettext("%(count)d preview stopped.", "%(count)d previews stopped.", stopped) % {"count": stopped},
        )
