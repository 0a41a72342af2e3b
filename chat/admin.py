"""The messenger's admin is for moderators, like Zulip's: they read everything, rename or delete a
chat and delete any message for everyone, all through ``chat.services`` (audit rows, private files
removed). Messages are never written or edited here, and memberships stay the members' business."""

from django import forms
from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.types import account_of
from chat import services
from chat.models import Attachment, Chat, Membership, Message


def _without_permission_checks_on_what_goes_along(deleted_objects: tuple) -> tuple:
    """Messages, files and memberships go with their chat (files with their message) by the service's
    rule; that they cannot be deleted on their own here must not block it, as Django's page would."""
    to_delete, model_count, _perms_needed, protected = deleted_objects
    return to_delete, model_count, set(), protected


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    can_delete = False
    fields = readonly_fields = ("user", "role", "joined_at", "last_read_id")

    def has_add_permission(self, request: HttpRequest, obj: Chat | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Chat | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Chat | None = None) -> bool:
        return False


@admin.register(Chat)
class ChatAdmin(admin.ModelAdmin):
    list_display = ["title", "created_by", "member_count", "created_at", "last_activity_at"]
    search_fields = ["title", "memberships__user__username"]
    list_filter = ["created_at", "last_activity_at"]
    fields = ["title", "created_by", "created_at", "updated_at", "last_activity_at"]
    readonly_fields = ["created_by", "created_at", "updated_at", "last_activity_at"]
    inlines = [MembershipInline]
    list_select_related = ["created_by"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Chat]:
        return super().get_queryset(request).annotate(member_count=Count("memberships"))

    @admin.display(description=_("members"), ordering="member_count")
    def member_count(self, chat: Chat) -> int:
        return chat.member_count  # type: ignore[attr-defined]  # annotated by get_queryset

    # A chat starts with its owner, so it is created in the messenger, not here.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Chat, form: forms.ModelForm, change: bool) -> None:
        if "title" in form.changed_data:
            services.chat_moderate_rename(
                chat=Chat.objects.get(pk=obj.pk), moderator=account_of(request), title=obj.title, request=request
            )
            obj.refresh_from_db()

    def get_deleted_objects(self, objs, request: HttpRequest) -> tuple:
        return _without_permission_checks_on_what_goes_along(super().get_deleted_objects(objs, request))

    def delete_model(self, request: HttpRequest, obj: Chat) -> None:
        services.chat_moderate_delete(chat=obj, moderator=account_of(request), request=request)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Chat]) -> None:
        for chat in queryset:
            services.chat_moderate_delete(chat=chat, moderator=account_of(request), request=request)


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    can_delete = False
    fields = readonly_fields = ("original_name", "size", "content_type")

    def has_add_permission(self, request: HttpRequest, obj: Message | None = None) -> bool:
        return False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """Read-only but for deletion, which leaves the tombstone an author's own deletion leaves."""

    list_display = ["id", "chat", "author", "short_text", "created_at", "edited_at", "is_deleted"]
    list_filter = ["is_deleted", "created_at"]
    search_fields = ["text", "author__username", "chat__title"]
    list_select_related = ["chat", "author"]
    fields = readonly_fields = ("chat", "author", "text", "created_at", "edited_at", "changed_at", "is_deleted")
    inlines = [AttachmentInline]
    show_full_result_count = False

    @admin.display(description=_("text"))
    def short_text(self, message: Message) -> str:
        return message.text[:80]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Message | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Message | None = None) -> bool:
        return super().has_delete_permission(request, obj) and not (obj is not None and obj.is_deleted)

    def get_deleted_objects(self, objs, request: HttpRequest) -> tuple:
        return _without_permission_checks_on_what_goes_along(super().get_deleted_objects(objs, request))

    def delete_model(self, request: HttpRequest, obj: Message) -> None:
        services.message_moderate_delete(message=obj, moderator=account_of(request), request=request)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        for message in queryset.filter(is_deleted=False):
            services.message_moderate_delete(message=message, moderator=account_of(request), request=request)


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    """Read-only: a file goes with its message (deleting the message removes it)."""

    list_display = ["original_name", "message", "size", "content_type"]
    search_fields = ["original_name"]
    list_filter = ["content_type"]
    # The file itself has no URL (private storage): only its stored name is shown.
    fields = readonly_fields = ("message", "original_name", "stored_name", "size", "content_type")
    list_select_related = ["message"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Attachment | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Attachment | None = None) -> bool:
        return False

    @admin.display(description=_("stored as"))
    def stored_name(self, attachment: Attachment) -> str:
        return attachment.file.name or ""
