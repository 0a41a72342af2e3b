"""The owner-only, sandboxed proxy to a running preview (``/sites/my/<id>/live/…``, ``/sites/demo/<id>/live/…``).

Who may pass: the preview's owner, signed in by session (the browser) or by the API's bearer token.
A sandboxed page has an opaque origin, so the browser sends none of the platform's cookies with its
own requests (its styles, scripts, forms). A browser visit is therefore sent on to an admission
path, ``…/live/~<admission>/…``: the admission is an HMAC of the preview's run (pid start time)
and the owner's address, so it dies when the preview stops, and a copied URL opens nothing
elsewhere; the copy without it asks for the owner's session.

What passes: every method, path and query; the request body streamed (up to ``SITE_PREVIEW_MAX_BODY_MB``);
the response streamed. Hop-by-hop headers, the platform's ``Cookie`` and ``Authorization`` never
reach the site; the site's own cookies are renamed and scoped to the preview's path so they can
neither replace nor read the platform's. Every answer is sandboxed by its CSP, so a script in it
cannot act as the signed-in user.
"""

import http.client
import re
from collections.abc import Iterator
from http.cookies import CookieError, SimpleCookie
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import csrf_exempt
from rest_framework.exceptions import AuthenticationFailed

from accounts.api.authentication import JWTAuthentication
from accounts.models import User
from core.request_info import client_ip
from sitestore import selectors
from sitestore.models import Preview, SiteTemplate

SANDBOX_POLICY = "sandbox allow-scripts allow-forms"
# RFC 9110 §7.6.1, plus what only the proxy itself may set.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
REQUEST_HEADERS_DROPPED = HOP_BY_HOP | {
    "cookie",
    "authorization",
    "host",
    "content-length",
    "content-type",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-forwarded-prefix",
}
RESPONSE_HEADERS_DROPPED = HOP_BY_HOP | {
    "set-cookie",
    "content-security-policy",
    "content-security-policy-report-only",
    "x-frame-options",
    "server",
    "date",
}
# The site's cookies travel under this prefix on the platform's origin; only these go back to it.
SITE_COOKIE_PREFIX = "preview_site_"
ADMISSION_SALT = "sitestore.preview-admission"
ADMISSION_PATTERN = re.compile(r"^~([0-9a-f]{32})(?:/(.*))?$", re.DOTALL)
CHUNK = 64 * 1024
UPSTREAM_TIMEOUT = 30


def live_prefix(preview: Preview) -> str:
    """The path the preview is served under (no trailing slash), as ``X-Forwarded-Prefix`` tells the site."""
    if preview.site_id is not None:
        return f"/sites/my/{preview.site_id}/live"
    return f"/sites/demo/{preview.template_id}/live"


def live_url(preview: Preview) -> str:
    return live_prefix(preview) + "/"


def admission(request: HttpRequest, preview: Preview) -> str:
    """The preview run's admission for this client address (see the module's docstring)."""
    run = f"{preview.pk}:{preview.process_started_at}:{preview.owner_id}:{client_ip(request)}"
    return salted_hmac(ADMISSION_SALT, run, algorithm="sha256").hexdigest()[:32]


def admitted_prefix(request: HttpRequest, preview: Preview) -> str:
    return f"{live_prefix(preview)}/~{admission(request, preview)}"


def _viewer(request: HttpRequest) -> User | None:
    """The platform account of the request: its session, else a valid bearer token (a bad one is None)."""
    if request.user.is_authenticated:
        assert isinstance(request.user, User)
        return request.user
    if not request.META.get("HTTP_AUTHORIZATION"):
        return None
    try:
        authenticated = JWTAuthentication().authenticate(request)  # type: ignore[arg-type]  # reads META only
    except AuthenticationFailed:
        return None
    if authenticated is None:
        return None
    user = authenticated[0]
    assert isinstance(user, User)
    return user


def _unauthenticated(request: HttpRequest) -> HttpResponseBase:
    """A browser is sent to log in; a refused bearer token gets the API's 401."""
    if request.META.get("HTTP_AUTHORIZATION"):
        response = JsonResponse({"code": 401, "message": "Unauthorized"}, status=401)
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response
    return redirect_to_login(request.get_full_path())


def _not_running() -> HttpResponse:
    return HttpResponse(_("This preview is not running."), status=404, content_type="text/plain; charset=utf-8")


def _upstream_address(preview: Preview) -> str:
    """This host's previews listen on the loopback; another host's are reached by its recorded name."""
    return "127.0.0.1" if preview.host == settings.SITE_PREVIEW_HOST else preview.host


def _request_headers(request: HttpRequest, preview: Preview, prefix: str) -> list[tuple[str, str]]:
    headers = []
    for key, value in request.META.items():
        if key.startswith("HTTP_"):
            name = key[5:].replace("_", "-").lower()
            if name not in REQUEST_HEADERS_DROPPED:
                headers.append((name, value))
    headers += [
        ("host", f"127.0.0.1:{preview.port}"),
        ("x-forwarded-prefix", prefix),
        ("x-forwarded-host", request.get_host()),
        ("x-forwarded-proto", request.scheme or "http"),
    ]
    # Only the site's own cookies go back to it, under their own names; never the platform's.
    site_cookies = [
        f"{name[len(SITE_COOKIE_PREFIX) :]}={value}"
        for name, value in request.COOKIES.items()
        if name.startswith(SITE_COOKIE_PREFIX)
    ]
    if site_cookies:
        headers.append(("cookie", "; ".join(site_cookies)))
    if request.META.get("CONTENT_TYPE"):
        headers.append(("content-type", request.META["CONTENT_TYPE"]))
    return headers


def _location(value: str, preview: Preview, prefix: str) -> str:
    """A redirect of the site stays inside the preview's prefix."""
    own_origin = f"http://127.0.0.1:{preview.port}"
    if value.startswith(own_origin):
        value = value[len(own_origin) :] or "/"
    if value.startswith("/") and not value.startswith("//") and not value.startswith(prefix + "/"):
        return prefix + value
    return value


def _site_cookies_copy(answer: http.client.HTTPResponse, response: HttpResponseBase, prefix: str) -> None:
    """The site's cookies, renamed and kept to the preview's path (they can neither replace nor read ours)."""
    jar: SimpleCookie = SimpleCookie()
    for header in answer.msg.get_all("Set-Cookie") or []:
        try:
            jar.load(header)
        except CookieError:
            continue
    for name, morsel in jar.items():
        response.set_cookie(
            SITE_COOKIE_PREFIX + name,
            morsel.value,
            max_age=int(morsel["max-age"]) if str(morsel["max-age"]).isdigit() else None,
            path=prefix + "/",
            httponly=bool(morsel["httponly"]),
            # Sent back from the sandboxed (opaque-origin) page only as a cross-site cookie.
            samesite="None",
            secure=True,
        )


def _stream(upstream: http.client.HTTPConnection, answer: http.client.HTTPResponse) -> Iterator[bytes]:
    try:
        while chunk := answer.read1(CHUNK):
            yield chunk
    finally:
        upstream.close()


def _body_chunks(request: HttpRequest, length: int) -> Iterator[bytes]:
    """The request body as it arrives (never all in memory)."""
    remaining = length
    while remaining > 0:
        chunk = request.read(min(CHUNK, remaining))
        if not chunk:
            return
        remaining -= len(chunk)
        yield chunk


def forward(request: HttpRequest, preview: Preview, path: str, *, prefix: str) -> HttpResponseBase:
    """Pass the request to the preview's process and stream its answer back, sandboxed."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return HttpResponse(_("Bad Content-Length."), status=400, content_type="text/plain")
    if length > settings.SITE_PREVIEW_MAX_BODY_MB * 1024 * 1024:
        return HttpResponse(_("The request is too large for a preview."), status=413, content_type="text/plain")
    target = "/" + path.lstrip("/")
    if request.META.get("QUERY_STRING"):
        target += "?" + request.META["QUERY_STRING"]
    upstream = http.client.HTTPConnection(_upstream_address(preview), preview.port, timeout=UPSTREAM_TIMEOUT)
    try:
        upstream.putrequest(request.method or "GET", target, skip_host=True, skip_accept_encoding=True)
        for name, value in _request_headers(request, preview, prefix):
            upstream.putheader(name, value)
        if length or request.method in ("POST", "PUT", "PATCH"):
            upstream.putheader("content-length", str(length))
        upstream.endheaders()
        for chunk in _body_chunks(request, length):
            upstream.send(chunk)
        answer = upstream.getresponse()
    except (OSError, http.client.HTTPException):
        upstream.close()
        return HttpResponse(_("The preview did not answer."), status=502, content_type="text/plain")
    response = StreamingHttpResponse(_stream(upstream, answer), status=answer.status, reason=answer.reason)
    for name, value in answer.getheaders():
        lowered = name.lower()
        if lowered in RESPONSE_HEADERS_DROPPED:
            continue
        response[name] = _location(value, preview, prefix) if lowered == "location" else value
    _site_cookies_copy(answer, response, prefix)
    # Framed by the platform's own pages only. Named, not 'self': a sandboxed answer's 'self' is opaque.
    origin = f"{request.scheme}://{request.get_host()}"
    response["Content-Security-Policy"] = f"{SANDBOX_POLICY}; frame-ancestors {origin}"
    response["Cache-Control"] = "private, no-store"
    return response


def _serve(request: HttpRequest, previews: Any, path: str, *, owner_check: Any) -> HttpResponseBase:
    """Forward to the caller's running preview: by admission path, or for the owner's session or token."""
    admitted = ADMISSION_PATTERN.match(path)
    if admitted is not None:
        # Several people may run demos of one template at once: the admission names the run.
        for preview in previews.filter(status=Preview.Status.RUNNING):
            if constant_time_compare(admitted.group(1), admission(request, preview)):
                return forward(request, preview, admitted.group(2) or "", prefix=admitted_prefix(request, preview))
        return _not_running()
    user = _viewer(request)
    if user is None:
        return _unauthenticated(request)
    owner_check(user)
    preview = previews.filter(owner=user, status=Preview.Status.RUNNING).first()
    if preview is None:
        return _not_running()
    if request.method == "GET" and request.user.is_authenticated:
        # A browser: on to the admission path, under which the sandboxed page's own requests pass.
        query = request.META.get("QUERY_STRING", "")
        target = f"{admitted_prefix(request, preview)}/{path}" + (f"?{query}" if query else "")
        response = HttpResponseRedirect(target)
        response["Cache-Control"] = "private, no-store"
        return response
    return forward(request, preview, path, prefix=live_prefix(preview))


@csrf_exempt  # the request goes to the preview site, not to the platform; the owner check is below
@xframe_options_sameorigin  # shown in the platform's own page
def site_live(request: HttpRequest, site_id: int, path: str = "") -> HttpResponseBase:
    return _serve(
        request,
        Preview.objects.filter(site_id=site_id),
        path,
        owner_check=lambda user: selectors.site_of(user, site_id),
    )


@csrf_exempt  # as site_live
@xframe_options_sameorigin
def demo_live(request: HttpRequest, template_id: int, path: str = "") -> HttpResponseBase:
    return _serve(
        request,
        Preview.objects.filter(template_id=template_id),
        path,
        owner_check=lambda user: get_object_or_404(SiteTemplate, pk=template_id),
    )
