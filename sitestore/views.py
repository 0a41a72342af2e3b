"""The site store's pages: store front, catalogue, template pages, template cart, My sites, About.

The store front, the catalogue, the template pages and About are public, like a shop window; the
cart, the purchase and everything about a bought site need a signed-in account. Other users' sites
answer 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.types import AuthenticatedHttpRequest
from sitestore import selectors, services
from sitestore.forms import TemplateChoiceForm
from sitestore.models import SiteTemplate, UserSite

FEATURED_TEMPLATES = 4


def _demo_run_url(template: SiteTemplate) -> str:
    """The "Try live demo" action, once the live previews are installed; empty otherwise."""
    try:
        return reverse("sitestore:demo-run", args=[template.pk])
    except NoReverseMatch:
        return ""


def _cart_template_ids(request: HttpRequest) -> set[int]:
    if not request.user.is_authenticated:
        return set()
    return set(selectors.cart_items_of(request.user).values_list("template_id", flat=True))


def _report(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def home(request: HttpRequest) -> HttpResponse:
    """The store's presentation: what it sells, how buying works, a few templates to start with."""
    return render(
        request,
        "sitestore/home.html",
        {
            "featured": list(selectors.templates_published().order_by("-purchases", "name")[:FEATURED_TEMPLATES]),
            "stats": selectors.home_stats(),
        },
    )


def catalogue(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "sitestore/catalogue.html",
        {"groups": selectors.templates_by_kind(), "in_cart": _cart_template_ids(request)},
    )


def template_detail(request: HttpRequest, slug: str) -> HttpResponse:
    template = selectors.template_for(slug)
    return render(
        request,
        "sitestore/template_detail.html",
        {
            "template": template,
            "in_cart": template.pk in _cart_template_ids(request),
            "demo_run_url": _demo_run_url(template),
        },
    )


@login_required
def cart(request: AuthenticatedHttpRequest) -> HttpResponse:
    items = list(selectors.cart_items_of(request.user))
    return render(
        request,
        "sitestore/cart.html",
        {"items": items, "total": sum(item.template.price for item in items)},
    )


@login_required
@require_POST
def cart_add(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = TemplateChoiceForm(request.POST)
    if not form.is_valid():
        return render(request, "sitestore/bad_request.html", {"form": form}, status=400)
    template = form.cleaned_data["template"]
    try:
        services.template_cart_add(user=request.user, template=template)
    except ValidationError as error:
        _report(request, error)
        return redirect("sitestore:template", slug=template.slug)
    messages.success(request, _("“%(name)s” is in your cart.") % {"name": template.name})
    return redirect("sitestore:cart")


@login_required
@require_POST
def cart_remove(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = TemplateChoiceForm(request.POST)
    if not form.is_valid():
        return render(request, "sitestore/bad_request.html", {"form": form}, status=400)
    services.template_cart_remove(user=request.user, template=form.cleaned_data["template"])
    messages.info(request, _("“%(name)s” is out of your cart.") % {"name": form.cleaned_data["template"].name})
    return redirect("sitestore:cart")


@login_required
@require_POST
def checkout(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        sites = services.template_cart_checkout(user=request.user, request=request)
    except ValidationError as error:
        _report(request, error)
        return redirect("sitestore:cart")
    messages.success(
        request,
        ngettext(
            "Thank you! Your site “%(names)s” is on its way.",
            "Thank you! Your sites %(names)s are on their way.",
            len(sites),
        )
        % {"names": ", ".join(site.name for site in sites)},
    )
    return redirect("sitestore:my-sites")


@login_required
def my_sites(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request,
        "sitestore/my_sites.html",
        {"sites": list(selectors.sites_of(request.user)), "stages": UserSite.Stage.choices},
    )


@login_required
def site_detail(request: AuthenticatedHttpRequest, site_id: int) -> HttpResponse:
    site = selectors.site_of(request.user, site_id)
    current = list(UserSite.Stage.values).index(site.stage)
    return render(
        request,
        "sitestore/site_detail.html",
        {
            "site": site,
            "history": list(selectors.site_history(site)),
            "steps": [
                {"value": value, "label": label, "done": index < current, "current": index == current}
                for index, (value, label) in enumerate(UserSite.Stage.choices)
            ],
        },
    )


@login_required
def download(request: AuthenticatedHttpRequest, site_id: int) -> StreamingHttpResponse:
    """The site's files as a zip, streamed while it is built (constant memory for any size)."""
    site = selectors.site_of(request.user, site_id)
    try:
        selectors.site_directory(site)
    except ValueError:
        raise Http404 from None
    response = StreamingHttpResponse(selectors.site_zip_stream(site), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{selectors.site_zip_filename(site)}"'
    response["Cache-Control"] = "private, no-store"
    return response


def about(request: HttpRequest) -> HttpResponse:
    return render(request, "sitestore/about.html")
