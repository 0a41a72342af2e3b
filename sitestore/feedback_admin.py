"""Admin for the store's feedback: FAQ entries, the bot's conversations (read-only) and threads,
which developers answer here through ``thread_reply_by_staff`` (so the owner is emailed)."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.types import account_of
from core.admin import ReadOnlyAdmin
from sitestore import feedback_services as services
from sitestore.models import BotMessage, FaqEntry, Thread, ThreadMessage


class FaqEntryAdminForm(forms.ModelForm):
    class Meta:
        model = FaqEntry
        fields = list(services.FAQ_FIELDS)


@admin.register(FaqEntry)
class FaqEntryAdmin(admin.ModelAdmin):
    """Every write goes through ``sitestore.feedback_services`` (validation, audit)."""

    form = FaqEntryAdminForm
    list_display = ["question", "language", "is_published", "updated_at"]
    list_filter = ["language", "is_published"]
    search_fields = ["question", "answer"]
    actions = ["publish", "unpublish"]

    def save_model(self, request: HttpRequest, obj: FaqEntry, form: forms.ModelForm, change: bool) -> None:
        names = [name for name in services.FAQ_FIELDS if not change or name in form.changed_data]
        data: dict[str, Any] = {name: form.cleaned_data[name] for name in names}
        if change:
            saved = services.faq_entry_update(
                entry=FaqEntry.objects.get(pk=obj.pk), data=data, actor=account_of(request), request=request
            )
        else:
            saved = services.faq_entry_create(data=data, actor=account_of(request), request=request)
        # The admin's log and redirect continue with the row the service wrote.
        obj.pk = saved.pk
        obj._state.adding = False
        obj.refresh_from_db()

    def delete_model(self, request: HttpRequest, obj: FaqEntry) -> None:
        services.faq_entry_delete(entry=obj, actor=account_of(request), request=request)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[FaqEntry]) -> None:
        for entry in queryset:
            services.faq_entry_delete(entry=entry, actor=account_of(request), request=request)

    def _set_published(self, request: HttpRequest, queryset: QuerySet[FaqEntry], published: bool) -> int:
        for entry in queryset:
            services.faq_entry_update(
                entry=entry, data={"is_published": published}, actor=account_of(request), request=request
            )
        return queryset.count()

    @admin.action(description=_("Publish the selected FAQ entries"))
    def publish(self, request: HttpRequest, queryset: QuerySet[FaqEntry]) -> None:
        count = self._set_published(request, queryset, True)
        self.message_user(request, ngettext("%d entry published.", "%d entries published.", count) % count)

    @admin.action(description=_("Unpublish the selected FAQ entries"))
    def unpublish(self, request: HttpRequest, queryset: QuerySet[FaqEntry]) -> None:
        count = self._set_published(request, queryset, False)
        self.message_user(request, ngettext("%d entry unpublished.", "%d entries unpublished.", count) % count)


@admin.register(BotMessage)
class BotMessageAdmin(ReadOnlyAdmin):
    """What users asked the bot and what it answered: unconfident answers show what the FAQ lacks."""

    list_display = ["created_at", "user", "question", "confident", "score"]
    list_filter = ["confident", "created_at"]
    search_fields = ["question", "user__username", "user__email"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"


class ThreadMessageInline(admin.TabularInline):
    model = ThreadMessage
    extra = 0
    can_delete = False
    fields = ("created_at", "author", "from_staff", "text")
    readonly_fields = fields
    ordering = ["created_at", "id"]

    # Messages are written by the services only (an answer goes through the form's "Answer" box).
    def has_add_permission(self, request: HttpRequest, obj: Thread | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Thread | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Thread | None = None) -> bool:
        return False


class ThreadAdminForm(forms.ModelForm):
    answer = forms.CharField(
        label=_("Answer"),
        required=False,
        max_length=services.TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Sent to the user by email; the thread becomes “answered”."),
    )

    class Meta:
        model = Thread
        fields: list[str] = []


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    """Developers read a thread and answer it in the "Answer" box."""

    form = ThreadAdminForm
    list_display = ["subject", "user", "site", "status", "message_count", "updated_at"]
    list_filter = ["status", "updated_at"]
    search_fields = ["subject", "user__username", "user__email", "site__name"]
    list_select_related = ["user", "site"]
    fields = ["user", "site", "subject", "status", "created_at", "updated_at", "answer"]
    readonly_fields = ["user", "site", "subject", "status", "created_at", "updated_at"]
    inlines = [ThreadMessageInline]
    actions = ["close"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Thread]:
        return super().get_queryset(request).annotate(message_count=Count("messages"))

    @admin.display(description=_("messages"), ordering="message_count")
    def message_count(self, obj: Thread) -> int:
        return obj.message_count  # type: ignore[attr-defined]  # annotated by get_queryset

    # Users open threads; nobody deletes them here (they go with the account or the site).
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Thread | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Thread, form: forms.ModelForm, change: bool) -> None:
        answer = form.cleaned_data.get("answer", "").strip()
        if answer:
            services.thread_reply_by_staff(thread=obj, staff=account_of(request), text=answer)
            messages.success(request, _("The answer is sent to %(user)s.") % {"user": obj.user.get_username()})

    @admin.action(description=_("Close the selected threads"))
    def close(self, request: HttpRequest, queryset: QuerySet[Thread]) -> None:
        for thread in queryset:
            services.thread_close(thread=thread, actor=account_of(request), request=request)
        count = queryset.count()
        self.message_user(request, ngettext("%d thread closed.", "%d threads closed.", count) % count)
