import posixpath

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.static import serve

from core.selectors import home_page_data


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", home_page_data())


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    # API clients get the API's error shape even for routes that do not exist.
    if request.path.startswith("/api/"):
        return JsonResponse({"code": 404, "message": _("Not found.")}, status=404)
    return render(request, "404.html", status=404)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    # A request Django refuses before any view runs (too many form fields, a body over the size
    # limit) still answers API clients in the API's error shape.
    if request.path.startswith("/api/"):
        return JsonResponse({"code": 400, "message": _("Bad request.")}, status=400)
    return defaults.bad_request(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"code": 500, "message": _("Server error.")}, status=500)
    return render(request, "500.html", status=500)


def public_media(request: HttpRequest, path: str) -> HttpResponseBase:
    """Serve a public upload; the path, once normalised, must still start with a public prefix."""
    normalised = posixpath.normpath(path).lstrip("/")
    if not normalised.startswith(tuple(settings.PUBLIC_MEDIA_PREFIXES)):
        raise Http404
    return serve(request, normalised, document_root=settings.MEDIA_ROOT)
