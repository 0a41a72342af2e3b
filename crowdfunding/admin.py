"""Crowdfunding moderation in the admin.

Projects, teams and money belong to their people: nothing is added, edited or deleted here. Staff
moderate projects only with the actions (hide, unhide, cancel with refunds, refresh ratings), each
a call of ``crowdfunding.services``; everything else is shown read-only.
"""

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import floatformat
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.types import account_of
from core.admin import ReadOnlyAdmin
from crowdfunding import services
from crowdfunding.models import (
    Application,
    Donation,
    ParticipantProfile,
    Platform,
    Project,
    ProjectRole,
    Promotion,
    RewardTier,
    Role,
    Topic,
)


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (sent to the author, the team and the donors)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ProjectRoleInline(ReadOnlyInline):
    model = ProjectRole
    fields = readonly_fields = ("role", "headcount", "salary", "seats_taken")


class RewardTierInline(ReadOnlyInline):
    model = RewardTier
    fields = readonly_fields = ("title", "min_amount", "quantity", "claimed")


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    """Read-only pages; the moderation actions are the only writes (through the services)."""

    list_display = [
        "blog_name",
        "author",
        "status",
        "is_hidden",
        "goal_amount",
        "raised_amount",
        "progress",
        "ratings",
    ]
    list_filter = ["status", "topic", "is_hidden"]
    search_fields = ["blog_name", "idea", "product_name", "author__username", "author__email"]
    list_select_related = ["author"]
    date_hierarchy = "created_at"
    fieldsets = [
        (None, {"fields": ["blog_name", "author", "topic", "idea", "product_name", "cover"]}),
        (_("Plan"), {"fields": ["author_price", "posts_per_month", "placement", "months", "deadline"]}),
        (_("Status"), {"fields": ["status", "is_hidden", "created_at", "published_at", "closed_at"]}),
        (
            _("Money and people"),
            {
                "fields": [
                    "goal_amount",
                    "raised_amount",
                    "progress",
                    "donations_count",
                    "product_price",
                    "products_to_sell",
                    "products_preordered",
                    "followers_joined",
                    "approved_posts",
                ]
            },
        ),
        (_("Ratings"), {"fields": ["ratings"]}),
    ]
    readonly_fields = ["placement", "goal_amount", "raised_amount", "progress", "ratings", "created_at"]
    inlines = [ProjectRoleInline, RewardTierInline]
    actions = ["hide", "unhide", "cancel", "refresh_ratings"]
    list_per_page = 50

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    # Projects go with their author's account, whose deletion cancels and refunds them first.
    def has_delete_permission(self, request: HttpRequest, obj: Project | None = None) -> bool:
        return False

    # "Change" on the list allows the actions; a project's own page is read-only, since an edit
    # could move a budget that donors already paid into.
    def has_change_permission(self, request: HttpRequest, obj: Project | None = None) -> bool:
        return obj is None and super().has_change_permission(request)

    @admin.display(description=_("placement sites"))
    def placement(self, obj: Project) -> str:
        labels = dict(Platform.choices)
        return ", ".join(str(labels.get(site, site)) for site in obj.sites)

    @admin.display(description=_("goal"), ordering="goal")
    def goal_amount(self, obj: Project) -> str:
        return number_format(obj.goal, force_grouping=True)

    @admin.display(description=_("raised"), ordering="raised")
    def raised_amount(self, obj: Project) -> str:
        return number_format(obj.raised, force_grouping=True)

    @admin.display(description=_("progress"))
    def progress(self, obj: Project) -> str:
        return f"{obj.progress_percent}%"

    @admin.display(description=_("rating: overall (followers · specialists · promotion)"), ordering="rating_overall")
    def ratings(self, obj: Project) -> str:
        overall, followers, specialists, promotion = (
            # floatformat rounds (number_format would cut 2.975 to 2.97) and writes the locale's decimal mark.
            floatformat(value, 2)
            for value in (obj.rating_overall, obj.rating_followers, obj.rating_specialists, obj.rating_promotion)
        )
        return f"{overall} ({followers} · {specialists} · {promotion})"

    def _each(self, request: HttpRequest, queryset: QuerySet[Project], change: Callable[[Project], object]) -> int:
        """Apply ``change`` to each project; a refused one is reported by name and the rest go on."""
        done = 0
        for project in queryset:
            try:
                change(project)
            except (ValidationError, PermissionDenied) as error:
                reasons = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
                self.message_user(request, f"{project.blog_name}: {reasons}", messages.WARNING)
            else:
                done += 1
        return done

    def _set_hidden(self, request: HttpRequest, queryset: QuerySet[Project], hidden: bool) -> None:
        actor = account_of(request)
        count = self._each(
            request,
            queryset,
            lambda project: services.project_hide(project=project, actor=actor, hidden=hidden, request=request),
        )
        if hidden:
            message = ngettext("%d project hidden.", "%d projects hidden.", count) % count
        else:
            message = ngettext("%d project shown again.", "%d projects shown again.", count) % count
        self.message_user(request, message)

    @admin.action(description=_("Hide selected projects (only their authors see them)"), permissions=["change"])
    def hide(self, request: HttpRequest, queryset: QuerySet[Project]) -> None:
        self._set_hidden(request, queryset, hidden=True)

    @admin.action(description=_("Show selected hidden projects again"), permissions=["change"])
    def unhide(self, request: HttpRequest, queryset: QuerySet[Project]) -> None:
        self._set_hidden(request, queryset, hidden=False)

    @admin.action(description=_("Cancel selected projects and refund their donations…"), permissions=["change"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[Project]) -> HttpResponse | None:
        """A confirmation page with the reason first: cancelling refunds every pledge and emails people."""
        form = CancelForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            actor, reason = account_of(request), form.cleaned_data["reason"]
            count = self._each(
                request,
                queryset,
                lambda project: services.project_cancel(project=project, actor=actor, reason=reason, request=request),
            )
            self.message_user(
                request,
                ngettext(
                    "%d project cancelled; its donations are refunded.",
                    "%d projects cancelled; their donations are refunded.",
                    count,
                )
                % count,
            )
            return None
        return render(
            request,
            "admin/crowdfunding/project/cancel.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Cancel projects"),
                "form": form,
                "queryset": queryset,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
                "opts": self.model._meta,
            },
        )

    @admin.action(description=_("Recompute the budget and ratings of selected projects"), permissions=["change"])
    def refresh_ratings(self, request: HttpRequest, queryset: QuerySet[Project]) -> None:
        count = services.projects_ratings_refresh(
            actor=account_of(request), project_ids=list(queryset.values_list("pk", flat=True))
        )
        self.message_user(request, ngettext("%d project recomputed.", "%d projects recomputed.", count) % count)


@admin.register(ParticipantProfile)
class ParticipantProfileAdmin(ReadOnlyAdmin):
    """Each person edits their own profile; staff look people up by skill or profession."""

    list_display = ["user", "profession_names", "topic_names", "updated_at"]
    search_fields = ["user__username", "user__email", "skills", "experience"]
    list_select_related = ["user"]
    fields = ["user", "skills", "experience", "profession_names", "topic_names", "created_at", "updated_at"]
    readonly_fields = ["profession_names", "topic_names", "created_at", "updated_at"]

    @admin.display(description=_("professions"))
    def profession_names(self, obj: ParticipantProfile) -> str:
        labels = dict(Role.choices)
        return ", ".join(str(labels.get(role, role)) for role in obj.professions)

    @admin.display(description=_("topics"))
    def topic_names(self, obj: ParticipantProfile) -> str:
        labels = dict(Topic.choices)
        return ", ".join(str(labels.get(topic, topic)) for topic in obj.topics)


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    """Applications to teams and the follower pool, decided by the projects' authors."""

    list_display = ["created_at", "project", "applicant", "role", "status", "salary", "decided_at"]
    list_filter = ["status", "role", "created_at"]
    search_fields = ["project__blog_name", "applicant__username", "message"]
    list_select_related = ["project", "applicant"]
    date_hierarchy = "created_at"


@admin.register(Promotion)
class PromotionAdmin(ReadOnlyAdmin):
    """Promoters' posts, approved or rejected by the projects' authors."""

    list_display = ["created_at", "project", "promoter", "platform", "url", "status", "decided_at"]
    # Links without a scheme are read as https (Django 6's default; silences its deprecation warning).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_filter = ["status", "platform", "created_at"]
    search_fields = ["project__blog_name", "promoter__username", "url"]
    list_select_related = ["project", "promoter"]
    date_hierarchy = "created_at"


@admin.register(RewardTier)
class RewardTierAdmin(ReadOnlyAdmin):
    list_display = ["title", "project", "min_amount", "quantity", "claimed", "remaining"]
    search_fields = ["title", "project__blog_name"]
    list_select_related = ["project"]

    @admin.display(description=_("remaining"))
    def remaining(self, obj: RewardTier) -> int:
        return obj.remaining


@admin.register(Donation)
class DonationAdmin(ReadOnlyAdmin):
    """Money is only ever moved by the services (donating, the deadline job, cancelling): shown, never edited."""

    list_display = ["created_at", "project", "donor", "kind", "amount", "quantity", "tier", "anonymous", "status"]
    list_filter = ["status", "kind", "anonymous", "created_at"]
    search_fields = ["project__blog_name", "donor__username", "comment"]
    list_select_related = ["project", "donor", "tier"]
    date_hierarchy = "created_at"
