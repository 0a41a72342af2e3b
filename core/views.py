import posixpath

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.template import loader
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.static import serve

from core.registry import home_sections
from core.selectors import home_page_data


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", home_page_data())


@never_cache
def nav_badges(request: HttpRequest) -> HttpResponse:
    """The navigation bar's numbers (``{"chat": {"count": 3, "label": "3 unread messages"}}``), asked
    by static/js/agora.js on load and every few seconds, so that pages themselves pay no query for them.
    Anonymous visitors get the API's 401 (the script stops asking), never a redirect to the login page."""
    if not request.user.is_authenticated:
        return JsonResponse({"code": 401, "message": "Unauthorized"}, status=401)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    badges = {}
    for section in home_sections():
        if section.url_name and section.badge:
            badge = import_string(section.badge)(request)
            badges[section.key] = {"count": badge.count, "label": badge.label}
    return JsonResponse(badges)


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    # API clients get the API's error shape even for routes that do not exist.
    if _is_api(request):
        return JsonResponse({"code": 404, "message": _("Not found.")}, status=404)
    return render(request, "404.html", status=404)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    # A request Django refuses before any view runs (too many form fields, a body over the size
    # limit) still answers API clients in the API's error shape.
    if _is_api(request):
        return JsonResponse({"code": 400, "message": _("Bad request.")}, status=400)
    return render(request, "400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"code": 403, "message": _("Permission denied.")}, status=403)
    return render(request, "403.html", status=403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a form sent from an expired page or without cookies."""
    if _is_api(request):
        return JsonResponse({"code": 403, "message": _("CSRF check failed.")}, status=403)
    return render(request, "403_csrf.html", {"back": _same_site_referer(request)}, status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"code": 500, "message": _("Server error.")}, status=500)
    # Rendered without the request: the context processors (database, cache) may be what failed.
    return HttpResponse(loader.get_template("500.html").render(), status=500)


def method_not_allowed(request: HttpRequest, allowed: str) -> HttpResponse:
    """A page for an address opened with the wrong method (a form's target opened by a link)."""
    response = render(request, "405.html", {"back": _same_site_referer(request)}, status=405)
    response["Allow"] = allowed
    return response


def admin_login(request: HttpRequest) -> HttpResponse:
    """Where the admin sends whoever may not use it: a signed-in user who is not staff learns that
    the admin is not for them (a login form would only loop back here); everyone else logs in
    through the accounts login (lock-out, blocks, the session cap and audit apply)."""
    if request.user.is_authenticated and not request.user.is_staff:
        return render(request, "core/admin_no_access.html", status=403)
    query = request.META.get("QUERY_STRING", "")
    return HttpResponseRedirect(reverse(settings.LOGIN_URL) + (f"?{query}" if query else ""))


def _same_site_referer(request: HttpRequest) -> str | None:
    """The page the visitor came from, when it is one of ours (a "Back" link on error pages)."""
    referer = request.headers.get("referer")
    if referer and url_has_allowed_host_and_scheme(referer, {request.get_host()}, request.is_secure()):
        return referer
    return None


def public_media(request: HttpRequest, path: str) -> HttpResponseBase:
    """Serve a public upload; the path, once normalised, must still start with a public prefix."""
    normalised = posixpath.normpath(path).lstrip("/")
    if not normalised.startswith(tuple(settings.PUBLIC_MEDIA_PREFIXES)):
        raise Http404
    return serve(request, normalised, document_root=settings.MEDIA_ROOT)
