"""The live preview's pages: Run and Stop on a bought site, and "Try live demo" of a template.

The live site itself is served by ``sitestore.proxy``; these views only start and stop it.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.types import AuthenticatedHttpRequest, account_of
from sitestore import previews, selectors, tasks
from sitestore.models import Preview, SiteTemplate, UserSite


def _start(
    request: AuthenticatedHttpRequest, *, site: UserSite | None = None, template: SiteTemplate | None = None
) -> None:
    try:
        preview = tasks.preview_start_on_a_preview_host(user=account_of(request), site=site, template=template)
    except previews.PreviewRefused as refusal:
        for message in refusal.messages:
            messages.error(request, message)
        return
    if preview.status == Preview.Status.FAILED:
        reason = preview.error.splitlines()[0] if preview.error else ""
        messages.error(request, _("The site could not start: %(reason)s") % {"reason": reason})
    else:
        messages.success(request, _("Your site is running. It stops by itself when the countdown ends."))


def _stop(request: AuthenticatedHttpRequest, preview: Preview | None) -> None:
    if preview is not None:
        previews.preview_stop(preview=preview, reason="stopped by owner", actor=account_of(request), request=request)
    messages.success(request, _("The preview is stopped."))


def _published_template(template_id: int) -> SiteTemplate:
    return get_object_or_404(selectors.templates_published(), pk=template_id)


@login_required
@require_POST
def site_run(request: AuthenticatedHttpRequest, site_id: int) -> HttpResponseRedirect:
    site = selectors.site_of(account_of(request), site_id)
    _start(request, site=site)
    return redirect("sitestore:site", site.pk)


@login_required
@require_POST
def site_stop(request: AuthenticatedHttpRequest, site_id: int) -> HttpResponseRedirect:
    site = selectors.site_of(account_of(request), site_id)
    _stop(request, previews.preview_current(user=account_of(request), site=site))
    return redirect("sitestore:site", site.pk)


@login_required
def demo(request: AuthenticatedHttpRequest, template_id: int) -> HttpResponse:
    """A template's live demo, run for the signed-in visitor like a bought site."""
    template = _published_template(template_id)
    return render(request, "sitestore/demo.html", {"template": template})


@login_required
@require_POST
def demo_run(request: AuthenticatedHttpRequest, template_id: int) -> HttpResponseRedirect:
    template = _published_template(template_id)
    _start(request, template=template)
    return redirect("sitestore:demo", template.pk)


@login_required
@require_POST
def demo_stop(request: AuthenticatedHttpRequest, template_id: int) -> HttpResponseRedirect:
    template = _published_template(template_id)
    _stop(request, previews.preview_current(user=account_of(request), template=template))
    return redirect("sitestore:demo", template.pk)
