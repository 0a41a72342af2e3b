import io

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.backup import backup_write
from core.models import AuditEvent, JobRun

admin.site.site_header = _("Agora administration")
admin.site.site_title = _("Agora admin")
admin.site.index_template = "admin/agora_index.html"


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # generic only in the stubs
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor_label", "action", "target_type", "target_label", "ip_address"]
    list_filter = ["action", "target_type", "created_at"]
    search_fields = ["actor_label", "action", "target_label", "target_id", "ip_address"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    def get_urls(self) -> list[URLPattern]:
        return [
            path("backup/", self.admin_site.admin_view(self.backup_view), name="core_backup"),
            *super().get_urls(),
        ]

    def backup_view(self, request: HttpRequest) -> HttpResponse:
        """Download a backup of the whole database (superusers only)."""
        if not request.user.is_superuser:
            return HttpResponse(status=404)
        # An HttpResponse holds its whole body in memory anyway: build the zip in a buffer.
        archive = io.BytesIO()
        backup_write(archive, actor=request.user)
        response = HttpResponse(archive.getvalue(), content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="agora-{timezone.now():%Y%m%d-%H%M%S}.zip"'
        return response


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    list_display = ["name", "last_started_at", "last_finished_at", "last_status"]
    readonly_fields = ["name", "last_started_at", "last_finished_at", "last_status", "last_result"]
