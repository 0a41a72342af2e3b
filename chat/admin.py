from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from chat.models import Attachment, Chat, Membership, Message


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "role", "joined_at", "last_read_id"]
    readonly_fields = ["joined_at", "last_read_id"]
    autocomplete_fields = ["user"]


@admin.register(Chat)
class ChatAdmin(admin.ModelAdmin):
    list_display = ["title", "created_by", "member_count", "created_at", "last_activity_at"]
    search_fields = ["title", "memberships__user__username"]
    list_filter = ["created_at", "last_activity_at"]
    readonly_fields = ["created_by", "created_at", "updated_at", "last_activity_at"]
    inlines = [MembershipInline]
    list_select_related = ["created_by"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Chat]:
        return super().get_queryset(request).annotate(member_count=Count("memberships"))

    @admin.display(ordering="member_count")
    def member_count(self, chat: Chat) -> int:
        return chat.member_count


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    can_delete = False
    fields = ["original_name", "size", "content_type"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Message | None = None) -> bool:
        return False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["id", "chat", "author", "short_text", "created_at", "edited_at", "is_deleted"]
    list_filter = ["is_deleted", "created_at"]
    search_fields = ["text", "author__username", "chat__title"]
    list_select_related = ["chat", "author"]
    readonly_fields = ["chat", "author", "created_at", "edited_at", "changed_at"]
    inlines = [AttachmentInline]
    show_full_result_count = False

    @admin.display(description="text")
    def short_text(self, message: Message) -> str:
        return message.text[:80]


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["original_name", "message", "size", "content_type"]
    search_fields = ["original_name"]
    list_filter = ["content_type"]
    # The file itself has no URL (private storage): only its stored name is shown.
    fields = ["message", "original_name", "stored_name", "size", "content_type"]
    readonly_fields = fields
    list_select_related = ["message"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="stored as")
    def stored_name(self, attachment: Attachment) -> str:
        return attachment.file.name
