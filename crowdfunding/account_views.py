"""The participant's own crowdfunding pages and the author's manage page.

Everything here needs an account. The "My …" pages list only the signed-in user's own rows; the
manage page and its actions find the project, application, promotion or tier through the author's
own objects first, so anyone else's answer 404 and change nothing. Every write is a service call:
a refusal (``ValidationError``) is shown as a message and leaves everything as it was.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.types import AuthenticatedHttpRequest
from core.forms import apply_errors
from crowdfunding import selectors, services
from crowdfunding.account_forms import ParticipantProfileForm, ProjectCancelForm, RewardTierForm
from crowdfunding.budget import FOLLOWERS_WANTED
from crowdfunding.models import FOLLOWER, Application, Project, Promotion, Role

PER_PAGE = 20
# The manage page lists every pending promotion and this many of the decided ones.
DECIDED_PROMOTIONS_SHOWN = 20
# Pending applications and posts are shown oldest first, this many at a time: deciding them brings the next.
PENDING_SHOWN = 50


def role_label(role: str) -> str:
    """A specialist role's name, or "Follower" for the promoters' pool."""
    return _("Follower") if role == FOLLOWER else str(Role(role).label)


def _report(request: AuthenticatedHttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _posted(request: AuthenticatedHttpRequest) -> QueryDict | None:
    """The submitted data of a POST (even an empty one, such as a cancel without a reason), else nothing."""
    return request.POST if request.method == "POST" else None


def _my_list(request: AuthenticatedHttpRequest, rows: QuerySet, template: str) -> HttpResponse:
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, template, {"page": page})


@login_required
def participant_profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Skills, experience, professions and topics; the first save creates the profile."""
    profile = selectors.participant_profile(request.user)
    form = ParticipantProfileForm(_posted(request), initial=ParticipantProfileForm.initial_from(profile))
    if request.method == "POST" and form.is_valid():
        try:
            services.participant_profile_save(user=request.user, data=form.cleaned_data, request=request)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Your participant profile is saved."))
            return redirect("crowdfunding:participant-profile")
    return render(request, "crowdfunding/account/profile.html", {"form": form, "profile": profile})


@login_required
def my_projects(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _my_list(request, selectors.my_projects(user=request.user), "crowdfunding/account/my_projects.html")


@login_required
def my_donations(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _my_list(request, selectors.my_donations(user=request.user), "crowdfunding/account/my_donations.html")


@login_required
def my_roles(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = Paginator(selectors.my_applications(user=request.user), PER_PAGE).get_page(request.GET.get("page"))
    rows = [{"application": application, "role": role_label(application.role)} for application in page]
    return render(request, "crowdfunding/account/my_roles.html", {"page": page, "rows": rows})


@login_required
def my_promotions(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _my_list(request, selectors.my_promotions(user=request.user), "crowdfunding/account/my_promotions.html")


@login_required
@require_POST
def application_withdraw(request: AuthenticatedHttpRequest, application_id: int) -> HttpResponse:
    application = selectors.application_own_or_404(applicant=request.user, application_id=application_id)
    try:
        services.application_withdraw(application=application, actor=request.user, request=request)
    except ValidationError as error:
        _report(request, error)
    else:
        messages.success(
            request, _("Your application to “%(project)s” is withdrawn.") % {"project": application.project}
        )
    return redirect("crowdfunding:my-roles")


# --- The author's manage page -----------------------------------------------------------------


def _to_manage(project_id: int, anchor: str = "") -> HttpResponse:
    response = redirect("crowdfunding:manage", project_id=project_id)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


def _is_open(project: Project) -> bool:
    """Drafts and active projects can still change; funded, failed and cancelled ones are read-only."""
    return project.status in (Project.Status.DRAFT, Project.Status.ACTIVE)


@login_required
def manage(request: AuthenticatedHttpRequest, project_id: int) -> HttpResponse:
    """The author's money view, pending applications, promotions, reward tiers and cancelling."""
    project = selectors.project_own_or_404(author=request.user, project_id=project_id)
    pending = (
        selectors.incoming_applications(author=request.user)
        .filter(project=project, status=Application.Status.PENDING)
        .order_by("created_at", "id")
    )
    promotions = selectors.project_promotions(project=project, approved_only=False)
    pending_promotions = promotions.filter(status=Promotion.Status.PENDING).order_by("created_at", "id")
    money = selectors.project_money(project=project)
    return render(
        request,
        "crowdfunding/manage/manage.html",
        {
            "project": project,
            "money": money,
            "shortfall": max(-money["remaining"], 0),
            "team": selectors.project_team(project=project),
            "applications": [
                {"application": application, "role": role_label(application.role)}
                for application in pending[:PENDING_SHOWN]
            ],
            "applications_count": pending.count(),
            "pending_promotions": list(pending_promotions[:PENDING_SHOWN]),
            "pending_promotions_count": pending_promotions.count(),
            "decided_promotions": list(promotions.exclude(status=Promotion.Status.PENDING)[:DECIDED_PROMOTIONS_SHOWN]),
            "tiers": list(project.tiers.all()),
            "tier_form": RewardTierForm(),
            "is_open": _is_open(project),
            "followers_wanted": FOLLOWERS_WANTED,
        },
    )


@login_required
@require_POST
def application_accept(request: AuthenticatedHttpRequest, application_id: int) -> HttpResponse:
    application = selectors.application_for_author_or_404(author=request.user, application_id=application_id)
    try:
        services.application_accept(application=application, actor=request.user, request=request)
    except ValidationError as error:
        _report(request, error)
    else:
        messages.success(request, _("@%(person)s joins the team.") % {"person": application.applicant})
    return _to_manage(application.project_id, "applications")


@login_required
@require_POST
def application_reject(request: AuthenticatedHttpRequest, application_id: int) -> HttpResponse:
    application = selectors.application_for_author_or_404(author=request.user, application_id=application_id)
    try:
        services.application_reject(application=application, actor=request.user, request=request)
    except ValidationError as error:
        _report(request, error)
    else:
        messages.success(request, _("The application of @%(person)s is rejected.") % {"person": application.applicant})
    return _to_manage(application.project_id, "applications")


@login_required
@require_POST
def promotion_approve(request: AuthenticatedHttpRequest, promotion_id: int) -> HttpResponse:
    promotion = selectors.promotion_for_author_or_404(author=request.user, promotion_id=promotion_id)
    try:
        services.promotion_approve(promotion=promotion, actor=request.user, request=request)
    except ValidationError as error:
        _report(request, error)
    else:
        messages.success(request, _("The promotion is approved."))
    return _to_manage(promotion.project_id, "promotions")


@login_required
@require_POST
def promotion_reject(request: AuthenticatedHttpRequest, promotion_id: int) -> HttpResponse:
    promotion = selectors.promotion_for_author_or_404(author=request.user, promotion_id=promotion_id)
    try:
        services.promotion_reject(promotion=promotion, actor=request.user, request=request)
    except ValidationError as error:
        _report(request, error)
    else:
        messages.success(request, _("The promotion is rejected."))
    return _to_manage(promotion.project_id, "promotions")


@login_required
def tier_add(request: AuthenticatedHttpRequest, project_id: int) -> HttpResponse:
    project = selectors.project_own_or_404(author=request.user, project_id=project_id)
    form = RewardTierForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            tier = services.tier_create(project=project, actor=request.user, data=form.cleaned_data, request=request)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The reward tier “%(title)s” is added.") % {"title": tier.title})
            return _to_manage(project.pk, "tiers")
    return render(request, "crowdfunding/manage/tier_form.html", {"project": project, "form": form, "tier": None})


@login_required
def tier_edit(request: AuthenticatedHttpRequest, project_id: int, tier_id: int) -> HttpResponse:
    tier = selectors.tier_own_or_404(author=request.user, project_id=project_id, tier_id=tier_id)
    form = RewardTierForm(_posted(request), initial=RewardTierForm.initial_from(tier))
    if request.method == "POST" and form.is_valid():
        try:
            services.tier_update(tier=tier, actor=request.user, data=form.cleaned_data, request=request)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The reward tier “%(title)s” is saved.") % {"title": tier.title})
            return _to_manage(tier.project_id, "tiers")
    return render(request, "crowdfunding/manage/tier_form.html", {"project": tier.project, "form": form, "tier": tier})


@login_required
@require_POST
def tier_delete(request: AuthenticatedHttpRequest, project_id: int, tier_id: int) -> HttpResponse:
    tier = selectors.tier_own_or_404(author=request.user, project_id=project_id, tier_id=tier_id)
    try:
        services.tier_delete(tier=tier, actor=request.user, request=request)
    except ValidationError as error:
        _report(request, error)
    else:
        messages.success(request, _("The reward tier “%(title)s” is deleted.") % {"title": tier.title})
    return _to_manage(tier.project_id, "tiers")


@login_required
def project_cancel(request: AuthenticatedHttpRequest, project_id: int) -> HttpResponse:
    """A confirmation page first; the POST cancels and refunds every pledge."""
    project = selectors.project_own_or_404(author=request.user, project_id=project_id)
    form = ProjectCancelForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.project_cancel(
                project=project, actor=request.user, reason=form.cleaned_data["reason"], request=request
            )
        except ValidationError as error:
            _report(request, error)
        else:
            messages.success(request, _("“%(project)s” is cancelled; every pledge is refunded.") % {"project": project})
        return _to_manage(project.pk)
    return render(
        request,
        "crowdfunding/manage/cancel.html",
        {
            "project": project,
            "form": form,
            "money": selectors.project_money(project=project),
            "is_open": _is_open(project),
        },
    )
