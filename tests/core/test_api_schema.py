"""The OpenAPI schema tells the truth: every error answer is documented with its body, public
operations are declared public, and the bodies the API really sends match what is documented."""

from typing import Any

import pytest
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

ERROR_STATUSES = {"400", "401", "403", "404", "429"}
# Operations an anonymous caller may use; every other operation requires credentials.
PUBLIC_OPERATIONS = {
    ("get", "/api/articles/"),
    ("get", "/api/articles/{id}/"),
    ("post", "/api/auth/register/"),
    ("post", "/api/auth/confirm/"),
    ("post", "/api/auth/confirm/resend/"),
    ("post", "/api/auth/login/"),
    ("post", "/api/auth/refresh/"),
    ("post", "/api/users/login/"),
    ("get", "/api/projects/"),
    ("get", "/api/projects/{id}/"),
    ("get", "/api/projects/{id}/donations/"),
    ("get", "/api/projects/top/"),
    ("get", "/api/projects/{project_pk}/tiers/"),
    ("get", "/api/projects/{project_pk}/tiers/{id}/"),
}
HTTP_METHODS = {"get", "put", "patch", "post", "delete", "head", "options", "trace"}


@pytest.fixture
def schema() -> dict[str, Any]:
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


def _resolve(schema: dict[str, Any], reference: dict[str, Any]) -> dict[str, Any]:
    name = reference["$ref"].rsplit("/", 1)[-1]
    return schema["components"]["schemas"][name]


def _error_schema(schema: dict[str, Any], operation: dict[str, Any], status: str) -> dict[str, Any]:
    return _resolve(schema, operation["responses"][status]["content"]["application/json"]["schema"])


def _assert_matches(body: dict[str, Any], documented: dict[str, Any]) -> None:
    """The body has every required field, and each field the schema describes has the documented type."""
    json_types = {"integer": int, "string": str, "object": dict}
    for field in documented["required"]:
        assert field in body, f"{field} missing from {body}"
    for field, value in body.items():
        if field in documented["properties"]:
            assert isinstance(value, json_types[documented["properties"][field]["type"]]), (field, value)


def test_every_operation_documents_every_error_status_with_the_error_body(schema):
    operations = _operations(schema)
    assert len(operations) > 40

    for method, path, operation in operations:
        missing = ERROR_STATUSES - set(operation["responses"])
        assert not missing, f"{method.upper()} {path} does not document {sorted(missing)}"
        for status in ERROR_STATUSES:
            documented = _error_schema(schema, operation, status)
            assert {"code", "message"} <= set(documented["required"]), f"{method.upper()} {path} {status}"


def test_validation_errors_are_documented_with_their_field_errors(api_client, schema):
    operation = schema["paths"]["/api/auth/register/"]["post"]

    documented = _error_schema(schema, operation, "400")

    assert documented["required"] == ["code", "message"]
    assert documented["properties"]["errors"]["type"] == "object"
    assert "errors" in api_client.post("/api/auth/register/", {}, format="json").json()


def test_a_status_documented_by_the_view_itself_is_kept(schema):
    # The cart's POST answers 200 with the cart; the hook adds errors beside it and replaces nothing.
    responses = schema["paths"]["/api/cart/"]["post"]["responses"]

    assert responses["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Cart")


def test_public_operations_declare_credentials_optional_and_the_rest_require_them(schema):
    for method, path, operation in _operations(schema):
        security = operation.get("security", [])
        if (method, path) in PUBLIC_OPERATIONS:
            assert {} in security, f"{method.upper()} {path} is public but not declared so"
        else:
            assert security, f"{method.upper()} {path} declares no security"
            assert {} not in security, f"{method.upper()} {path} requires credentials but is declared public"


def test_public_operations_really_answer_anonymous_callers(api_client, schema):
    # The declaration is asked of the views' own permissions: check it against the real answers.
    assert api_client.get("/api/articles/").status_code == 200
    assert api_client.post("/api/auth/login/", {}, format="json").status_code == 400
    assert api_client.get("/api/products/").status_code == 401
    assert api_client.post("/api/articles/", {}, format="json").status_code == 401


def test_the_documented_error_bodies_are_the_ones_the_api_sends(api_client, schema):
    user = UserFactory()
    product = ProductFactory(is_active=False)
    signed_in = APIClient()
    signed_in.force_authenticate(user)
    cases = [
        (api_client.get("/api/products/"), "/api/products/", "get", "401"),
        (signed_in.post("/api/articles/", {}, format="json"), "/api/articles/", "post", "403"),
        (signed_in.get(f"/api/products/{product.pk}/"), "/api/products/{id}/", "get", "404"),
        (signed_in.get("/api/products/?page=999"), "/api/products/", "get", "400"),
        (api_client.post("/api/auth/register/", {}, format="json"), "/api/auth/register/", "post", "400"),
    ]

    for response, path, method, status in cases:
        assert str(response.status_code) == status, (path, response.content)
        _assert_matches(response.json(), _error_schema(schema, schema["paths"][path][method], status))


def test_the_throttled_body_is_documented(api_client, schema, monkeypatch):
    # DRF copied the rates into a class attribute at import: lower the one for this test there.
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "auth", "1/minute")
    api_client.post("/api/auth/login/", {}, format="json")

    response = api_client.post("/api/auth/login/", {}, format="json")

    assert response.status_code == 429
    _assert_matches(response.json(), _error_schema(schema, schema["paths"]["/api/auth/login/"]["post"], "429"))
