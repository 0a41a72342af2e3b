"""The crowdfunding pages: section home, project list and page, create/edit with a live budget preview."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "crowdfunding/home.html", {})


def project_list(request: HttpRequest) -> HttpResponse:
    return render(request, "crowdfunding/list.html", {})


def project_detail(request: HttpRequest, project_id: int) -> HttpResponse:
    raise Http404


@login_required
def project_create(request: HttpRequest) -> HttpResponse:
    return render(request, "crowdfunding/form.html", {})


@login_required
def project_edit(request: HttpRequest, project_id: int) -> HttpResponse:
    raise Http404


@login_required
@require_POST
def budget_preview(request: HttpRequest) -> HttpResponse:
    raise Http404


@login_required
@require_POST
def project_publish(request: HttpRequest, project_id: int) -> HttpResponse:
    raise Http404


@login_required
@require_POST
def donate(request: HttpRequest, project_id: int) -> HttpResponse:
    raise Http404


@login_required
@require_POST
def apply(request: HttpRequest, project_id: int) -> HttpResponse:
    raise Http404


@login_required
@require_POST
def promotion_submit(request: HttpRequest, project_id: int) -> HttpResponse:
    raise Http404
