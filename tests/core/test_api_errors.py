"""The API foundation: one error shape, JSON 404/500 under /api/, throttling, pagination, OpenAPI docs."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.management import call_command
from django.http import Http404
from django.test import RequestFactory
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import User
from core import views
from core.api.exceptions import exception_handler
from core.api.pagination import CursorPagination
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

UNAUTHORIZED = {"code": 401, "message": "Unauthorized"}


# --- the error shape, end to end -----------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/"),
        ("get", "/api/no-such-route/"),
        ("post", "/api/no-such-route/"),
        ("get", "/api/users/not-a-number/"),
        ("delete", "/api/auth/nowhere/deep/"),
    ],
)
def test_unknown_api_routes_answer_json_404(api_client, method, url):
    response = getattr(api_client, method)(url)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"code": 404, "message": "Not found."}


def test_unknown_pages_outside_the_api_stay_html(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_method_not_allowed_keeps_the_error_shape(api_client):
    response = api_client.get("/api/auth/login/")

    assert response.status_code == 405
    assert response.json() == {"code": 405, "message": 'Method "GET" not allowed.'}


def test_malformed_json_answers_400_with_the_error_shape(api_client, user):
    response = api_client.post("/api/auth/login/", data='{"login": "x", ', content_type="application/json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 400
    assert "JSON parse error" in body["message"]
    assert body["errors"] == {"non_field_errors": [body["message"]]}


def test_malformed_json_on_a_write_changes_nothing(user_api_client, user):
    before = User.objects.values().get(pk=user.pk)

    response = user_api_client.patch("/api/users/me/", data='{"first_name": ', content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == 400
    assert User.objects.values().get(pk=user.pk) == before


def test_unsupported_media_type_keeps_the_error_shape(api_client):
    response = api_client.post("/api/auth/login/", data="login=x", content_type="text/plain")

    assert response.status_code == 415
    assert response.json()["code"] == 415
    assert "text/plain" in response.json()["message"]


def test_validation_errors_list_every_field(api_client):
    response = api_client.post("/api/auth/login/", {"login": ["a", "list"], "password": {"a": "dict"}})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 400
    assert body["message"]
    assert set(body["errors"]) == {"login", "password"}
    assert all(isinstance(messages, list) and messages for messages in body["errors"].values())


def test_unauthenticated_call_answers_exactly_401(api_client):
    response = api_client.get("/api/users/me/")

    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_an_unexpected_error_in_an_api_view_answers_json_500(monkeypatch, user):
    def explode(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("accounts.api.views.selectors.user_search", explode)
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(user)

    response = client.get("/api/users/")

    assert response.status_code == 500
    assert response.json() == {"code": 500, "message": "Server error."}
    assert "boom" not in response.content.decode()


def test_server_error_outside_the_api_renders_html():
    response = views.server_error(RequestFactory().get("/shop/"))

    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")


# --- the exception handler itself ----------------------------------------------------------


def handle(exc: Exception):
    return exception_handler(exc, {"view": None, "request": None})


def test_handler_turns_a_django_validation_error_into_field_errors():
    response = handle(DjangoValidationError({"phone": ["Bad phone."], "email": ["Taken."]}))

    assert response.status_code == 400
    assert response.data == {
        "code": 400,
        "message": "Invalid input.",
        "errors": {"phone": ["Bad phone."], "email": ["Taken."]},
    }


@pytest.mark.parametrize(
    "exc",
    [
        DjangoValidationError("Wait 10 seconds."),
        DjangoValidationError({"__all__": ["Wait 10 seconds."]}),
        exceptions.ValidationError(["Wait 10 seconds."]),
    ],
)
def test_handler_puts_a_fieldless_validation_error_under_non_field_errors_and_in_the_message(exc):
    response = handle(exc)

    assert response.status_code == 400
    assert response.data == {
        "code": 400,
        "message": "Wait 10 seconds.",
        "errors": {"non_field_errors": ["Wait 10 seconds."]},
    }


def test_handler_answers_django_permission_denied_with_the_forbidden_body():
    response = handle(DjangoPermissionDenied())

    assert response.status_code == 403
    assert response.data == {"code": 403, "message": "Forbidden"}


def test_handler_keeps_a_specific_permission_message():
    response = handle(exceptions.PermissionDenied("Only the author may publish."))

    assert response.status_code == 403
    assert response.data == {"code": 403, "message": "Only the author may publish."}


def test_handler_answers_http404_with_the_not_found_body():
    response = handle(Http404("No User matches the given query."))

    assert response.status_code == 404
    assert response.data == {"code": 404, "message": "Not found."}


@pytest.mark.parametrize(
    "exc",
    [exceptions.NotAuthenticated(), exceptions.AuthenticationFailed("Token is invalid or expired")],
)
def test_handler_hides_why_credentials_failed(exc):
    response = handle(exc)

    assert response.status_code == 401
    assert response.data == UNAUTHORIZED


def test_handler_adds_retry_after_to_throttled():
    response = handle(exceptions.Throttled(wait=12.7))

    assert response.status_code == 429
    assert response.data["code"] == 429
    assert response.data["retry_after"] == 13  # rounded up: a client never retries too early
    assert response.data["message"]


def test_handler_flattens_nested_details_into_one_message():
    response = handle(exceptions.APIException({"detail": ["First problem.", "Second."]}))

    assert response.data == {"code": 500, "message": "First problem."}


def test_handler_leaves_unknown_exceptions_to_django():
    assert handle(RuntimeError("boom")) is None


# --- throttling ----------------------------------------------------------------------------


@pytest.fixture
def throttle_rates(monkeypatch):
    """Set throttle rates for one test; DRF copied the settings into a class attribute at import."""

    def set_rates(**rates: str) -> None:
        for scope, rate in rates.items():
            monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, scope, rate)

    return set_rates


def test_anonymous_clients_are_throttled_per_ip(throttle_rates):
    throttle_rates(anon="2/minute")
    client = APIClient()
    # A different email each time: the per-email resend cool-down is not what is under test here.
    for number in range(2):
        assert client.post("/api/auth/confirm/resend/", {"email": f"a{number}@example.com"}).status_code == 202

    response = client.post("/api/auth/confirm/resend/", {"email": "a2@example.com"})
    from_elsewhere = APIClient(REMOTE_ADDR="10.9.8.7").post("/api/auth/confirm/resend/", {"email": "a3@example.com"})

    assert response.status_code == 429
    assert response.json()["code"] == 429
    assert response["Retry-After"]
    assert from_elsewhere.status_code == 202


def test_signed_in_users_are_throttled_per_user(throttle_rates, user_api_client, other_user):
    throttle_rates(user="2/minute")
    for _ in range(2):
        assert user_api_client.get("/api/users/").status_code == 200

    response = user_api_client.get("/api/users/")
    other = APIClient()
    other.force_authenticate(other_user)

    assert response.status_code == 429
    assert response.json()["code"] == 429
    assert other.get("/api/users/").status_code == 200


def test_auth_scope_throttles_public_auth_routes(throttle_rates, api_client):
    throttle_rates(auth="1/minute")
    assert api_client.post("/api/auth/confirm/", {"email": "a@example.com", "code": "123456"}).status_code == 400

    response = api_client.post("/api/auth/confirm/", {"email": "a@example.com", "code": "123456"})

    assert response.status_code == 429
    body = response.json()
    assert body["code"] == 429
    assert 0 < body["retry_after"] <= 60


def test_throttling_is_on_by_default_for_every_api_view():
    from django.conf import settings

    config = settings.REST_FRAMEWORK
    assert {"anon", "user", "auth"} <= set(config["DEFAULT_THROTTLE_RATES"])
    assert len(config["DEFAULT_THROTTLE_CLASSES"]) == 3


# --- pagination ----------------------------------------------------------------------------


def test_cursor_pagination_clamps_the_page_size_and_hides_the_count():
    UserFactory.create_batch(105)
    request = Request(RequestFactory().get("/api/anything/", {"page_size": 1000}))
    paginator = CursorPagination()

    page = paginator.paginate_queryset(User.objects.all(), request)
    response = paginator.get_paginated_response([user.pk for user in page])

    assert len(page) == 100
    assert [user.pk for user in page] == sorted((user.pk for user in page), reverse=True)
    assert set(response.data) == {"next", "previous", "results"}
    assert response.data["next"]


# --- OpenAPI schema and Swagger UI ---------------------------------------------------------


def test_openapi_schema_is_public_and_lists_the_accounts_routes(api_client):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Agora API"
    for path in ("/api/auth/register/", "/api/auth/login/", "/api/auth/refresh/", "/api/users/me/", "/api/users/"):
        assert path in schema["paths"]
    assert "jwtAuth" in schema["components"]["securitySchemes"]


def test_openapi_schema_generates_without_warnings(tmp_path):
    # The CI gate: every view documented (plain APIViews need @extend_schema), no warning at all.
    target = tmp_path / "schema.yml"

    call_command("spectacular", "--file", str(target), "--validate", "--fail-on-warn")

    assert "/api/auth/login/" in target.read_text()


def test_swagger_ui_is_served_without_any_cdn(client):
    response = client.get("/api/docs/")

    html = response.content.decode()
    assert response.status_code == 200
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html), "external URL in the docs page"
    for word in ("cdn", "jsdelivr", "unpkg", "cloudflare"):
        assert word not in html.lower()
    # Every script is an own file (the CSP forbids inline scripts) and every asset ships with us.
    assert "<script>" not in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets
    for asset in assets:
        if asset.startswith("/static/"):
            assert finders.find(asset.removeprefix("/static/")), asset
        else:
            assert client.get(asset).status_code == 200, asset


@pytest.mark.django_db
@pytest.mark.parametrize("accept", ["text/plain", "application/xml", "image/png"])
def test_an_unsupported_accept_header_still_gets_the_401_body_in_json(client, accept):
    response = client.get("/api/users/me/", HTTP_ACCEPT=accept)
    assert response.status_code == 401
    assert response.json() == {"code": 401, "message": "Unauthorized"}
