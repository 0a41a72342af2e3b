"""The API's single error shape: ``{"code": N, "message": "...", ...}``."""

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

NON_FIELD_KEY = api_settings.NON_FIELD_ERRORS_KEY


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        errors: dict[str, Any] = as_serializer_error(exc)
        # Model-level errors come keyed "__all__": name them like DRF's own.
        errors = {NON_FIELD_KEY if key == NON_FIELD_ERRORS else key: value for key, value in errors.items()}
        exc = exceptions.ValidationError(errors)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None

    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        # The contract fixes this body exactly, whatever went wrong with the credentials.
        response.status_code = status.HTTP_401_UNAUTHORIZED
        response.data = {"code": 401, "message": "Unauthorized"}
        return response
    if isinstance(exc, exceptions.PermissionDenied) and exc.detail == exceptions.PermissionDenied.default_detail:
        response.data = {"code": 403, "message": "Forbidden"}
        return response
    if isinstance(exc, exceptions.ParseError):
        # A body that is not even parseable (malformed JSON) is invalid input like any other.
        exc = exceptions.ValidationError({NON_FIELD_KEY: [exc.detail]})
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {NON_FIELD_KEY: exc.detail}
        general = errors.get(NON_FIELD_KEY)
        response.data = {
            "code": response.status_code,
            # An error about no field in particular ("wait 42 seconds") is the clearest message.
            "message": str(general[0]) if isinstance(general, list) and general else _("Invalid input."),
            "errors": errors,
        }
        return response

    # DRF's handler answers only its own exceptions, so this is one.
    assert isinstance(exc, exceptions.APIException)
    body: dict[str, Any] = {"code": response.status_code, "message": _flatten(exc.detail)}
    # The stubs do not declare the ``wait`` that DRF sets on Throttled.
    wait: float | None = getattr(exc, "wait", None)
    if isinstance(exc, exceptions.Throttled) and wait is not None:
        body["retry_after"] = int(wait)
    response.data = body
    return response


def _flatten(detail: object) -> str:
    if isinstance(detail, list) and detail:
        return _flatten(detail[0])
    if isinstance(detail, dict) and detail:
        return _flatten(next(iter(detail.values())))
    return str(detail)
