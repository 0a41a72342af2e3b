"""The site store's admin. Each part registers its models in its own module, imported here."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.types import account_of
from core.admin import ReadOnlyAdmin
from sitestore import (
    feedback_admin,  # noqa: F401  registers FAQ entries, bot conversations and developer threads
    preview_admin,  # noqa: F401  registers the previews (with "Stop now")
    selectors,
    services,
)
from sitestore.models import SiteTemplate, StageChange, TemplateCartItem, UserSite

# --- Templates -----------------------------------------------------------------------------


class SiteTemplateAdminForm(forms.ModelForm):
    class Meta:
        model = SiteTemplate
        fields = list(services.TEMPLATE_FIELDS)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        # The service refuses it too; checking here puts the message beside the field.
        if cleaned.get("is_published") and cleaned.get("bundle"):
            problems = selectors.template_bundle_problems(SiteTemplate(bundle=cleaned["bundle"]))
            if problems:
                self.add_error("bundle", problems)
        return cleaned


@admin.register(SiteTemplate)
class SiteTemplateAdmin(admin.ModelAdmin):
    """Every write goes through ``sitestore.services`` (bundle check, audit)."""

    form = SiteTemplateAdminForm
    list_display = ["name", "kind", "price", "purchases", "is_published", "bundle", "bundle_status", "updated_at"]
    list_filter = ["is_published", "kind"]
    search_fields = ["name", "slug", "about", "bundle"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["purchases", "bundle_status", "created_at", "updated_at"]
    actions = ["publish", "unpublish", "check_bundles"]

    def save_model(self, request: HttpRequest, obj: SiteTemplate, form: forms.ModelForm, change: bool) -> None:
        names = [name for name in services.TEMPLATE_FIELDS if name in form.cleaned_data]
        data = {name: form.cleaned_data[name] for name in names if not change or name in form.changed_data}
        if change:
            saved = services.template_update(
                template=SiteTemplate.objects.get(pk=obj.pk), data=data, actor=account_of(request), request=request
            )
        else:
            saved = services.template_create(data=data, actor=account_of(request), request=request)
        # The admin (its log, its redirect) continues with the row the service wrote.
        obj.pk = saved.pk
        obj._state.adding = False
        obj.refresh_from_db()

    def delete_model(self, request: HttpRequest, obj: SiteTemplate) -> None:
        services.template_delete(template=obj, actor=account_of(request), request=request)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[SiteTemplate]) -> None:
        for template in queryset:
            services.template_delete(template=template, actor=account_of(request), request=request)

    @admin.display(description=_("bundle check"))
    def bundle_status(self, obj: SiteTemplate) -> str:
        problems = selectors.template_bundle_problems(obj)
        if not problems:
            return str(_("OK"))
        return format_html_join(" ", "{}", ((problem,) for problem in problems))

    def _set_published(self, request: HttpRequest, queryset: QuerySet[SiteTemplate], published: bool) -> None:
        count, refused = services.templates_set_published(
            templates=queryset, published=published, actor=account_of(request), request=request
        )
        if published:
            message = ngettext("%d template published.", "%d templates published.", count) % count
        else:
            message = ngettext("%d template unpublished.", "%d templates unpublished.", count) % count
        self.message_user(request, message)
        for name, problems in refused.items():
            self.message_user(request, f"{name}: {' '.join(problems)}", messages.WARNING)

    @admin.action(description=_("Publish selected templates (their bundles are checked)"), permissions=["change"])
    def publish(self, request: HttpRequest, queryset: QuerySet[SiteTemplate]) -> None:
        self._set_published(request, queryset, published=True)

    @admin.action(description=_("Unpublish selected templates"), permissions=["change"])
    def unpublish(self, request: HttpRequest, queryset: QuerySet[SiteTemplate]) -> None:
        self._set_published(request, queryset, published=False)

    @admin.action(description=_("Check the bundles of selected templates"), permissions=["view"])
    def check_bundles(self, request: HttpRequest, queryset: QuerySet[SiteTemplate]) -> None:
        for template in queryset:
            problems = selectors.template_bundle_problems(template)
            if problems:
                self.message_user(request, f"{template.name}: {' '.join(problems)}", messages.WARNING)
            else:
                self.message_user(request, _("%(name)s: the bundle is sound.") % {"name": template.name})


# --- Bought sites and their stages ---------------------------------------------------------


class StageChangeInline(admin.TabularInline):
    model = StageChange
    fields = ["created_at", "from_stage", "to_stage", "actor", "note"]
    readonly_fields = ["created_at", "from_stage", "to_stage", "actor", "note"]
    extra = 0
    can_delete = False
    verbose_name_plural = _("stage history")

    def has_add_permission(self, request: HttpRequest, obj: UserSite | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: UserSite | None = None) -> bool:
        return False


class UserSiteAdminForm(forms.ModelForm):
    """The stage is changed with a move (one stage forward, or back when reopening), never typed in."""

    move_to = forms.ChoiceField(label=_("move to stage"), choices=[("", "—"), *UserSite.Stage.choices], required=False)
    reopen = forms.BooleanField(label=_("reopen (allow moving back)"), required=False)
    note = forms.CharField(label=_("note for the owner"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    class Meta:
        model = UserSite
        fields: list[str] = []

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("move_to") and self.instance.pk:
            refusal = services.stage_move_refusal(
                from_stage=self.instance.stage, to_stage=cleaned["move_to"], reopen=bool(cleaned.get("reopen"))
            )
            if refusal:
                self.add_error("move_to", refusal)
        return cleaned


@admin.register(UserSite)
class UserSiteAdmin(admin.ModelAdmin):
    """Sites come from purchases; staff only move their stages (through the service, emailed to the owner)."""

    form = UserSiteAdminForm
    list_display = ["name", "owner", "template", "stage", "started_at"]
    list_filter = ["stage", "template__kind", "started_at"]
    search_fields = ["name", "owner__username", "owner__email", "template__name"]
    list_select_related = ["owner", "template"]
    readonly_fields = ["name", "owner", "template", "about", "stage", "started_at", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "owner", "template", "about", "stage", "started_at", "created_at", "updated_at"]}),
        (_("Stage"), {"fields": ["move_to", "reopen", "note"]}),
    ]
    inlines = [StageChangeInline]
    actions = ["advance", "reopen_one_back"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    # Sites are what users paid for; their files go with the owner's account.
    def has_delete_permission(self, request: HttpRequest, obj: UserSite | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: UserSite, form: forms.ModelForm, change: bool) -> None:
        if form.cleaned_data.get("move_to"):
            services.site_stage_move(
                site=obj,
                to_stage=form.cleaned_data["move_to"],
                actor=account_of(request),
                note=form.cleaned_data.get("note", ""),
                reopen=bool(form.cleaned_data.get("reopen")),
                request=request,
            )

    def _move(self, request: HttpRequest, queryset: QuerySet[UserSite], step: int) -> None:
        moved, refused = 0, []
        for site in queryset:
            index = services.STAGE_ORDER.index(site.stage) + step
            if not 0 <= index < len(services.STAGE_ORDER):
                refused.append(f"{site.name}: {_('there is no stage that way.')}")
                continue
            try:
                services.site_stage_move(
                    site=site,
                    to_stage=services.STAGE_ORDER[index],
                    actor=account_of(request),
                    reopen=step < 0,
                    request=request,
                )
                moved += 1
            except ValidationError as error:
                refused.append(f"{site.name}: {' '.join(error.messages)}")
        if moved:
            self.message_user(request, ngettext("%d site moved.", "%d sites moved.", moved) % moved)
        for message in refused:
            self.message_user(request, message, messages.WARNING)

    @admin.action(description=_("Move selected sites to their next stage"), permissions=["change"])
    def advance(self, request: HttpRequest, queryset: QuerySet[UserSite]) -> None:
        self._move(request, queryset, step=1)

    @admin.action(description=_("Reopen selected sites: back one stage"), permissions=["change"])
    def reopen_one_back(self, request: HttpRequest, queryset: QuerySet[UserSite]) -> None:
        self._move(request, queryset, step=-1)


@admin.register(StageChange)
class StageChangeAdmin(ReadOnlyAdmin):
    """The stage history of every site: written only by stage moves."""

    list_display = ["created_at", "site", "from_stage", "to_stage", "actor"]
    list_filter = ["to_stage", "created_at"]
    search_fields = ["site__name", "site__owner__username", "actor__username", "note"]
    list_select_related = ["site", "actor"]
    date_hierarchy = "created_at"


@admin.register(TemplateCartItem)
class TemplateCartItemAdmin(ReadOnlyAdmin):
    """What users have put in their template carts (they change them themselves)."""

    list_display = ["created_at", "user", "template"]
    search_fields = ["user__username", "template__name"]
    list_select_related = ["user", "template"]
