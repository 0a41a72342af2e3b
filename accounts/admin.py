import copy
from typing import TYPE_CHECKING

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts import services
from accounts.models import EmailConfirmation, User, UserSession
from accounts.types import account_of
from accounts.validators import normalize_phone
from core.admin import ReadOnlyAdmin

if TYPE_CHECKING:  # django-stubs-ext is a development tool, not installed in production
    from django_stubs_ext import StrOrPromise


class PhoneFormField(forms.CharField):
    """Normalises ``+7 (912) 345-67-89`` to ``+79123456789`` before the length and format checks."""

    def to_python(self, value: str | None) -> str:
        return normalize_phone(super().to_python(value) or "")


class BlockForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))
    until = forms.DateTimeField(
        label=_("Blocked until"),
        required=False,
        help_text=_("Leave empty for a block without an end date."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    def clean_until(self):
        until = self.cleaned_data["until"]
        if until is not None and until <= timezone.now():
            raise forms.ValidationError(_("The end of the block must be in the future."))
        return until


class DeleteInactiveForm(forms.Form):
    days = forms.IntegerField(label=_("No login for at least this many days"), min_value=1, initial=365)


def _intermediate(
    modeladmin: "admin.ModelAdmin[User]",
    request: HttpRequest,
    queryset: QuerySet[User],
    form: forms.Form,
    title: "StrOrPromise",
    action: str,
) -> HttpResponse:
    return render(
        request,
        "admin/accounts/user/action_form.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "form": form,
            "queryset": queryset,
            "action": action,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "opts": modeladmin.model._meta,
        },
    )


def staff_password_form(*, actor: User, request: HttpRequest) -> type[AdminPasswordChangeForm]:
    """Django's admin password form, saving through the service for this request's admin."""

    class StaffPasswordChangeForm(AdminPasswordChangeForm):
        def save(self, commit: bool = True) -> User:
            usable = self.cleaned_data.get("set_usable_password", True)
            return services.user_password_set_by_staff(
                user=self.user,
                password=self.cleaned_data["password1"] if usable else None,
                actor=actor,
                request=request,
            )

    return StaffPasswordChangeForm


SESSION_FIELDS = ("kind", "created_at", "last_used_at", "ip_address", "user_agent")


class UserSessionInline(admin.TabularInline):
    model = UserSession
    extra = 0
    can_delete = False
    fields = SESSION_FIELDS
    readonly_fields = SESSION_FIELDS

    def has_add_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = [
        "username",
        "email",
        "phone",
        "get_full_name",
        "is_active",
        "is_blocked",
        "blocked_until",
        "is_staff",
        "date_joined",
        "last_login",
    ]
    list_filter = ["is_active", "is_blocked", "is_staff", "is_superuser", "groups", "newsletter", "date_joined"]
    search_fields = ["username", "email", "phone", "last_name", "first_name", "middle_name"]
    ordering = ["-date_joined"]
    readonly_fields = [
        "last_login",
        "date_joined",
        "email_confirmed_at",
        "is_blocked",
        "blocked_reason",
        "blocked_until",
        "blocked_at",
    ]
    inlines = [UserSessionInline]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (
            _("Personal info"),
            {
                "fields": [
                    "last_name",
                    "first_name",
                    "middle_name",
                    "email",
                    "phone",
                    "birth_date",
                    "avatar",
                    "bundled_avatar",
                    "newsletter",
                ]
            },
        ),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Block"), {"fields": ["is_blocked", "blocked_reason", "blocked_until", "blocked_at"]}),
        (_("Important dates"), {"fields": ["last_login", "date_joined", "email_confirmed_at"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": [
                    "username",
                    "email",
                    "phone",
                    "last_name",
                    "first_name",
                    "usable_password",
                    "password1",
                    "password2",
                ],
            },
        )
    ]
    actions = ["activate", "deactivate", "block", "unblock", "delete_inactive", "send_test_email"]
    # Only superusers grant rights: for anyone else (managers) these fields are read-only.
    superuser_only_fields = ["is_staff", "is_superuser", "groups", "user_permissions"]

    def formfield_for_dbfield(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "phone":
            kwargs["form_class"] = PhoneFormField
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        # A per-request copy carries the acting admin into the form (the admin object is shared by threads).
        per_request = copy.copy(self)
        per_request.change_password_form = staff_password_form(actor=account_of(request), request=request)
        return DjangoUserAdmin.user_change_password(per_request, request, id, form_url)

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += [name for name in self.superuser_only_fields if name not in fields]
        return fields

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        # A manager may not edit (or set the password of) a superuser and so take over the account.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    # Saving goes through the services: audited, a new account joins the ``user`` role, an account
    # switched off loses its sessions and tokens, and role changes are audited.
    def save_model(self, request: HttpRequest, obj: User, form: forms.Form, change: bool) -> None:
        services.user_save_by_staff(
            user=obj, fields=list(form.changed_data), created=not change, actor=account_of(request), request=request
        )

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: list, change: bool) -> None:
        if "groups" in form.cleaned_data or "user_permissions" in form.cleaned_data:
            services.user_roles_set_by_staff(
                user=form.instance,
                groups=form.cleaned_data.get("groups", form.instance.groups.all()),
                permissions=form.cleaned_data.get("user_permissions", form.instance.user_permissions.all()),
                actor=account_of(request),
                request=request,
            )
        # The devices inline is read-only: this writes nothing, but the admin's change message reads it.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    @staticmethod
    def _actionable(request: HttpRequest, queryset: QuerySet[User]) -> QuerySet[User]:
        """Bulk actions never touch the acting admin, nor a superuser unless a superuser acts."""
        queryset = queryset.exclude(pk=account_of(request).pk)
        if not request.user.is_superuser:
            queryset = queryset.exclude(is_superuser=True)
        return queryset

    # Deletion, single or bulk, goes through the service: tokens, sessions, avatar file, audit.
    def delete_model(self, request: HttpRequest, obj: User) -> None:
        services.users_delete(users=User.objects.filter(pk=obj.pk), actor=account_of(request), request=request)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        services.users_delete(users=queryset, actor=account_of(request), request=request)

    @admin.display(description=_("full name"))
    def get_full_name(self, obj: User) -> str:
        return obj.get_full_name()

    @admin.action(description=_("Activate selected users"), permissions=["change"])
    def activate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        count = services.users_set_active(
            users=self._actionable(request, queryset), active=True, actor=account_of(request), request=request
        )
        self.message_user(request, ngettext("%d user activated.", "%d users activated.", count) % count)

    @admin.action(description=_("Deactivate selected users"), permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        count = services.users_set_active(
            users=self._actionable(request, queryset), active=False, actor=account_of(request), request=request
        )
        self.message_user(request, ngettext("%d user deactivated.", "%d users deactivated.", count) % count)

    @admin.action(description=_("Block selected users…"), permissions=["change"])
    def block(self, request: HttpRequest, queryset: QuerySet[User]) -> HttpResponse | None:
        queryset = self._actionable(request, queryset)
        form = BlockForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            blocked = 0
            for user in queryset:
                try:
                    services.user_block(
                        user=user,
                        reason=form.cleaned_data["reason"],
                        until=form.cleaned_data["until"],
                        actor=account_of(request),
                        request=request,
                    )
                except ValidationError as error:
                    self.message_user(request, "; ".join(error.messages), messages.ERROR)
                    return None
                blocked += 1
            self.message_user(request, ngettext("%d user blocked.", "%d users blocked.", blocked) % blocked)
            return None
        return _intermediate(self, request, queryset, form, _("Block users"), "block")

    @admin.action(description=_("Unblock selected users"), permissions=["change"])
    def unblock(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        count = 0
        for user in self._actionable(request, queryset).filter(is_blocked=True):
            services.user_unblock(user=user, actor=account_of(request), request=request)
            count += 1
        self.message_user(request, ngettext("%d user unblocked.", "%d users unblocked.", count) % count)

    @admin.action(description=_("Delete selected users inactive for N days…"), permissions=["delete"])
    def delete_inactive(self, request: HttpRequest, queryset: QuerySet[User]) -> HttpResponse | None:
        form = DeleteInactiveForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            count = services.users_delete_inactive(
                users=queryset, days=form.cleaned_data["days"], actor=account_of(request), request=request
            )
            self.message_user(request, ngettext("%d user deleted.", "%d users deleted.", count) % count)
            return None
        return _intermediate(self, request, queryset, form, _("Delete inactive users"), "delete_inactive")

    @admin.action(description=_("Send a test email to selected users"), permissions=["change"])
    def send_test_email(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        count = 0
        for user in queryset:
            services.user_test_email_send(user=user, actor=account_of(request), request=request)
            count += 1
        self.message_user(request, ngettext("%d test email sent.", "%d test emails sent.", count) % count)


@admin.register(EmailConfirmation)
class EmailConfirmationAdmin(ReadOnlyAdmin):
    """Pending codes, for support questions; the code itself is never stored, only its hash."""

    list_display = ["user", "sent_at", "expires_at", "failed_attempts"]
    search_fields = ["user__username", "user__email"]
    fields = ["user", "sent_at", "expires_at", "failed_attempts"]


@admin.register(UserSession)
class UserSessionAdmin(ReadOnlyAdmin):
    list_display = ["user", "kind", "created_at", "last_used_at", "ip_address", "user_agent"]
    list_filter = ["kind", "created_at"]
    search_fields = ["user__username", "ip_address", "user_agent"]
