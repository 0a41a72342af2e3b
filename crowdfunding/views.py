"""The crowdfunding pages: section home, project list, project page with its forms, create/edit.

The section home, the list and the project page are public (like a shop window); giving, applying,
promoting and writing need an account. A draft or a hidden project exists only for its author:
everyone else gets 404, on every page and every form of it. Every change goes through
``crowdfunding.services``; a refused change re-renders the page with the reason and changes nothing.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import floatformat
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.types import AuthenticatedHttpRequest
from core.forms import apply_errors
from crowdfunding import selectors, services
from crowdfunding.budget import FOLLOWERS_WANTED
from crowdfunding.forms import ApplicationForm, BudgetPreviewForm, DonationForm, ProjectForm, PromotionForm
from crowdfunding.models import Donation, Platform, Project, Topic

PAGE_SIZE = 12


def _is_open(project: Project) -> bool:
    """Donations and applications are taken while a project is active and before its deadline."""
    return project.status == Project.Status.ACTIVE and project.deadline > timezone.now()


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "crowdfunding/home.html", selectors.section_home(viewer=request.user))


def _page(request: HttpRequest, rows: Any) -> Page:
    """The requested page: a page number that is not a number is a bad request, one past the end a 404."""
    try:
        return Paginator(rows, PAGE_SIZE).page(request.GET.get("page", 1))
    except PageNotAnInteger:
        raise BadRequest(_("The page number is not a number.")) from None
    except EmptyPage:
        raise Http404 from None


def project_list(request: HttpRequest) -> HttpResponse:
    # Unknown filter values are ignored (a stale link still lists something) rather than refused.
    topic = request.GET.get("topic", "")
    topic = topic if topic in Topic.values else ""
    status = request.GET.get("status", "")
    status = status if status in Project.Status.values and status != Project.Status.DRAFT else ""
    sort = request.GET.get("sort", "newest")
    sort = sort if sort in selectors.SORTS else "newest"
    page = _page(request, selectors.project_list(topic=topic or None, status=status or None, sort=sort))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "crowdfunding/list.html",
        {
            "page": page,
            "projects": page.object_list,
            "query_string": query.urlencode(),
            "topic": topic,
            "status": status,
            "sort": sort,
            "topics": Topic.choices,
            "statuses": [choice for choice in Project.Status.choices if choice[0] != Project.Status.DRAFT],
            "sorts": [
                ("newest", _("Newest")),
                ("ending", _("Ending soon")),
                ("funded", _("Most funded")),
                ("rating", _("Rating")),
            ],
        },
    )


def _apply_refusal(project: Project, request: HttpRequest, roles: list[str], has_profile: bool) -> str:
    """Why the viewer sees no apply form ("" when they see one): a code the template explains."""
    if not request.user.is_authenticated:
        return "anonymous"
    if project.author_id == request.user.pk:
        return "own"
    if not _is_open(project):
        return "closed"
    if roles:
        return ""
    return "no-seat" if has_profile else "no-profile"


def _detail_context(request: HttpRequest, project: Project, **forms: Any) -> dict[str, Any]:
    roles = selectors.project_roles(project=project)
    roles_open = selectors.applicant_roles(project=project, user=request.user)
    viewer = request.user
    has_profile = viewer.is_authenticated and selectors.participant_profile(viewer) is not None
    is_author = viewer.is_authenticated and viewer.pk == project.author_id
    can_give = viewer.is_authenticated and not is_author and _is_open(project)
    return {
        "project": project,
        "budget": selectors.project_budget(project=project, roles=roles),
        "sites": [Platform(site).label for site in project.sites if site in Platform.values],
        "team": selectors.project_team(project=project),
        "tiers": list(project.tiers.all()),
        "backers": selectors.project_backers(project=project),
        "promotions": list(selectors.project_promotions(project=project)[:50]),
        "is_author": is_author,
        "can_give": can_give,
        "followers_wanted": FOLLOWERS_WANTED,
        "apply_refusal": _apply_refusal(project, request, roles_open, has_profile),
        "has_profile": has_profile,
        "can_promote": not is_author and selectors.is_accepted_follower(project=project, user=viewer),
        # A refused form comes back with its errors; the others are fresh.
        "donation_form": forms.get("donation_form", DonationForm(project=project)),
        "application_form": forms.get("application_form", ApplicationForm(roles=roles_open)),
        "promotion_form": forms.get("promotion_form", PromotionForm()),
    }


def project_detail(request: HttpRequest, project_id: int) -> HttpResponse:
    project = selectors.project_visible_or_404(viewer=request.user, project_id=project_id)
    return render(request, "crowdfunding/detail.html", _detail_context(request, project))


def _form_refused(form: Any, error: ValidationError | PermissionDenied) -> None:
    """A service's refusal beside the form's fields; a wrong actor's (PermissionDenied) on top."""
    if isinstance(error, PermissionDenied):
        form.add_error(None, str(error))
    else:
        apply_errors(form, error)


def _refused(request: HttpRequest, project: Project, **forms: Any) -> HttpResponse:
    """The project page again, with the refused form and its reasons; nothing was changed."""
    messages.error(request, _("Nothing was changed: see the reasons below."))
    return render(request, "crowdfunding/detail.html", _detail_context(request, project, **forms), status=400)


@login_required
@require_POST
def donate(request: AuthenticatedHttpRequest, project_id: int) -> HttpResponse:
    project = selectors.project_visible_or_404(viewer=request.user, project_id=project_id)
    form = DonationForm(request.POST, project=project)
    if form.is_valid():
        data = form.cleaned_data
        try:
            donation = services.donation_make(
                project=project,
                donor=request.user,
                kind=data["kind"],
                amount=data["amount"] if data["kind"] != Donation.Kind.PREORDER else None,
                quantity=data["quantity"] if data["kind"] == Donation.Kind.PREORDER else None,
                tier=data["tier"] if data["kind"] == Donation.Kind.TIER else None,
                anonymous=data["anonymous"],
                comment=data["comment"],
                request=request,
            )
        except (ValidationError, PermissionDenied) as error:
            _form_refused(form, error)
        else:
            messages.success(
                request,
                _("Thank you! You pledged %(amount)s ₽ to “%(name)s”.")
                % {"amount": floatformat(donation.amount, "0g"), "name": project.blog_name},
            )
            return redirect("crowdfunding:detail", project_id=project.pk)
    return _refused(request, project, donation_form=form)


@login_required
@require_POST
def apply(request: AuthenticatedHttpRequest, project_id: int) -> HttpResponse:
    project = selectors.project_visible_or_404(viewer=request.user, project_id=project_id)
    # Any role is read here: the service gives the precise reason (profession, open seat, pool size).
    form = ApplicationForm(request.POST)
    if form.is_valid():
        try:
            services.application_submit(
                project=project,
                applicant=request.user,
                role=form.cleaned_data["role"],
                message=form.cleaned_data["message"],
                request=request,
            )
        except (ValidationError, PermissionDenied) as error:
            _form_refused(form, error)
        else:
            messages.success(request, _("Your application is sent: the author will answer it."))
            return redirect("crowdfunding:detail", project_id=project.pk)
    # Offered again with only the roles the viewer may choose now.
    form.offer(selectors.applicant_roles(project=project, user=request.user))
    return _refused(request, project, application_form=form)


@login_required
@require_POST
def promotion_submit(request: AuthenticatedHttpRequest, project_id: int) -> HttpResponse:
    project = selectors.project_visible_or_404(viewer=request.user, project_id=project_id)
    form = PromotionForm(request.POST)
    if form.is_valid():
        try:
            services.promotion_submit(
                project=project,
                promoter=request.user,
                platform=form.cleaned_data["platform"],
                url=form.cleaned_data["url"],
                request=request,
            )
        except (ValidationError, PermissionDenied) as error:
            _form_refused(form, error)
        else:
            messages.success(request, _("Your post is sent to the author for approval."))
            return redirect("crowdfunding:detail", project_id=project.pk)
    return _refused(request, project, promotion_form=form)


def _form_context(form: ProjectForm, project: Project | None) -> dict[str, Any]:
    # A saved project's stored budget shows at once (and is all an active project's locked form shows).
    budget = selectors.project_budget(project=project) if project is not None else None
    return {"form": form, "project": project, "budget": budget}


@login_required
def project_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ProjectForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            project = services.project_create(
                author=request.user, data=form.service_data(), cover=form.cleaned_data["cover"], request=request
            )
        except (ValidationError, PermissionDenied) as error:
            _form_refused(form, error)
        else:
            messages.success(request, _("The draft is saved. Publish it when it is ready."))
            return redirect("crowdfunding:detail", project_id=project.pk)
    return render(request, "crowdfunding/form.html", _form_context(form, None))


@login_required
def project_edit(request: AuthenticatedHttpRequest, project_id: int) -> HttpResponse:
    project = selectors.project_own_or_404(author=request.user, project_id=project_id)
    form = ProjectForm(request.POST or None, request.FILES or None, project=project)
    if project.status not in (Project.Status.DRAFT, Project.Status.ACTIVE):
        messages.info(request, _("This project is closed: it can no longer be edited."))
        return redirect("crowdfunding:detail", project_id=project.pk)
    if request.method == "POST" and form.is_valid():
        try:
            services.project_update(
                project=project,
                actor=request.user,
                data=form.service_data(),
                cover=form.cleaned_data["cover"],
                request=request,
            )
        except (ValidationError, PermissionDenied) as error:
            _form_refused(form, error)
        else:
            messages.success(request, _("The changes are saved."))
            return redirect("crowdfunding:detail", project_id=project.pk)
    return render(request, "crowdfunding/form.html", _form_context(form, project))


@login_required
@require_POST
def budget_preview(request: AuthenticatedHttpRequest) -> JsonResponse:
    """The live budget of the create/edit form: the breakdown as numbers and as HTML, or the errors.

    Saves nothing. The form is read as the browser sends it (form-encoded, with the CSRF token).
    """
    form = BudgetPreviewForm(request.POST)
    if form.is_valid():
        try:
            budget = services.budget_preview(data=form.service_data())
        except (ValidationError, PermissionDenied) as error:
            _form_refused(form, error)
        else:
            html = render_to_string("crowdfunding/_budget.html", {"budget": budget}, request=request)
            return JsonResponse({"budget": budget.as_dict(), "html": html})
    errors = {field: [str(message) for message in messages_] for field, messages_ in form.errors.items()}
    # An answer like any other (200): half-typed numbers are the normal state of a form being filled in.
    return JsonResponse({"errors": errors})


@login_required
@require_POST
def project_publish(request: AuthenticatedHttpRequest, project_id: int) -> HttpResponse:
    project = selectors.project_own_or_404(author=request.user, project_id=project_id)
    try:
        services.project_publish(project=project, actor=request.user, request=request)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The project is published: donations and applications are open."))
    return redirect("crowdfunding:detail", project_id=project.pk)
