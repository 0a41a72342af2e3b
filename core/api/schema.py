"""The OpenAPI schema tells the truth about errors and about who may call what.

One schema class for every API view (``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]``), so no view has to
repeat it:

- every operation documents the error answers of ``core.api.exceptions`` (400, 401, 403, 404, 429)
  with their body shape, unless the view already documents that status itself;
- an operation that an anonymous caller may use (the permission classes let them through) is
  declared public: its security requirements include the empty one, so clients and fuzzers know
  that credentials are optional there.
"""

from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from drf_spectacular import openapi
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework.request import Request

if TYPE_CHECKING:  # django-stubs-ext is a development tool, not installed in production
    from django_stubs_ext import StrOrPromise

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": _("The API's error body. Some errors add fields (a blocked login names the reason)."),
    "properties": {
        "code": {"type": "integer", "description": _("The HTTP status code, repeated.")},
        "message": {"type": "string", "description": _("What went wrong, for people.")},
    },
    "required": ["code", "message"],
}
VALIDATION_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": _(
        "Invalid input: the message names the first problem; errors, when the input has fields, lists them per field."
    ),
    "properties": {
        "code": {"type": "integer", "description": _("Always 400.")},
        "message": {"type": "string"},
        "errors": {
            "type": "object",
            "description": _("Field name (or non_field_errors) to its messages; nested for nested fields."),
            "additionalProperties": {},
        },
    },
    "required": ["code", "message"],
}
UNAUTHORIZED_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": _("Exactly this body, whatever was wrong with the credentials."),
    "properties": {
        "code": {"type": "integer", "description": _("Always 401.")},
        "message": {"type": "string", "description": _("Always Unauthorized.")},
    },
    "required": ["code", "message"],
}
THROTTLED_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "code": {"type": "integer", "description": _("Always 429.")},
        "message": {"type": "string"},
        "retry_after": {"type": "integer", "description": _("Seconds to wait before the next call.")},
    },
    "required": ["code", "message"],
}

# Status, component name, component schema, description.
ERROR_RESPONSES: "list[tuple[str, str, dict[str, Any], StrOrPromise]]" = [
    ("400", "ValidationError", VALIDATION_ERROR_SCHEMA, _("Invalid input; nothing was changed.")),
    ("401", "Unauthorized", UNAUTHORIZED_SCHEMA, _("Credentials are missing, invalid or expired.")),
    ("403", "Error", ERROR_SCHEMA, _("The caller may not do this.")),
    ("404", "Error", ERROR_SCHEMA, _("No such object, or one the caller may not see.")),
    ("429", "Throttled", THROTTLED_SCHEMA, _("Too many calls; retry after the given number of seconds.")),
]


class AutoSchema(openapi.AutoSchema):
    def get_operation(
        self,
        path: str,
        path_regex: str,
        path_prefix: str,
        method: str,
        registry: Any,
    ) -> dict[str, Any] | None:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses: dict[str, Any] = operation.setdefault("responses", {})
        for status_code, name, schema, description in ERROR_RESPONSES:
            if status_code in responses:
                continue
            component = ResolvedComponent(  # type: ignore[no-untyped-call]  # drf-spectacular is untyped here
                name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema
            )
            self.registry.register_on_missing(component)
            responses[status_code] = {
                "description": description,
                "content": {"application/json": {"schema": component.ref}},
            }
        return operation

    def get_auth(self) -> list[dict[str, list[str]]]:
        requirements: list[dict[str, list[str]]] = super().get_auth()
        if {} not in requirements and self._allows_anonymous():
            requirements.append({})
        return requirements

    def _allows_anonymous(self) -> bool:
        """Ask the view's own permission classes whether an anonymous caller gets through.

        drf-spectacular only recognises ``AllowAny`` and ``IsAuthenticatedOrReadOnly`` by class;
        asking the permissions keeps the schema right for our own (e.g. "read for all").
        """
        django_request = HttpRequest()
        django_request.method = self.method
        request = Request(django_request)
        request.user = AnonymousUser()
        return all(permission.has_permission(request, self.view) for permission in self.view.get_permissions())
