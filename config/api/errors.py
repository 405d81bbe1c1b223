"""One shape for every API error, and one place that maps refusals to HTTP.

Every error body has a machine-readable ``code`` and a ``detail`` a person can act on::

    {"code": "invalid_transition", "detail": "An article that is draft cannot be withdrawn...",
     "status": "draft", "allowed_transitions": ["submit"]}
    {"code": "invalid", "detail": "Some fields are invalid; see fields.",
     "fields": {"title": ["This field is required."]}}

Services raise ``config.errors.ApplicationError`` (its ``kind`` picks the status) or Django's
``ValidationError``; DRF raises its own exceptions; all come out in this shape.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import page_not_found
from django.views.defaults import server_error as default_server_error
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.errors import ApplicationError, ErrorKind

STATUS_BY_KIND = {
    ErrorKind.INVALID: status.HTTP_400_BAD_REQUEST,
    ErrorKind.FORBIDDEN: status.HTTP_403_FORBIDDEN,
    ErrorKind.NOT_FOUND: status.HTTP_404_NOT_FOUND,
    ErrorKind.CONFLICT: status.HTTP_409_CONFLICT,
    ErrorKind.PRECONDITION_FAILED: status.HTTP_412_PRECONDITION_FAILED,
}


def _field_errors(error: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {
            field: [str(message) for message in messages] for field, messages in error.message_dict.items()
        }
    return {"non_field_errors": [str(message) for message in error.messages]}


def invalid(fields: Any, detail: str = "Some fields are invalid; see fields.") -> dict[str, Any]:
    return {"code": "invalid", "detail": detail, "fields": fields}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        return Response(
            {"code": exc.code, "detail": exc.message, **exc.extra},
            status=STATUS_BY_KIND.get(exc.kind, status.HTTP_400_BAD_REQUEST),
        )
    if isinstance(exc, DjangoValidationError):
        return Response(invalid(_field_errors(exc)), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {"code": "request_too_large", "detail": "The request body is too large."},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = response.data if isinstance(response.data, dict) else {"non_field_errors": response.data}
        response.data = invalid(fields)
    else:
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else response.data
        response.data = {"code": codes if isinstance(codes, str) else "error", "detail": str(detail)}
    return response


class AlreadyExists(exceptions.APIException):
    """409: the request would create something under a name that is taken."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "already_exists"


class IneligibilityReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    overridable = serializers.BooleanField()


class ErrorSerializer(serializers.Serializer):
    """The body of every error response."""

    code = serializers.CharField(help_text="Machine-readable, stable: match on this.")
    detail = serializers.CharField(help_text="What went wrong, for a person.")
    fields = serializers.DictField(
        child=serializers.JSONField(), required=False, help_text="Per-field messages (code `invalid`)."
    )
    status = serializers.CharField(
        required=False, help_text="The article's status (code `invalid_transition`)."
    )
    allowed_transitions = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="What the user may do now instead."
    )
    reasons = IneligibilityReasonSerializer(
        many=True, required=False, help_text="Why a reviewer is not eligible."
    )
    etag = serializers.CharField(
        required=False, help_text="The article's current ETag (code `precondition_failed`)."
    )


def error_response(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ErrorSerializer, description=description)


CONFLICT = {409: error_response("The article's status or the review's state does not allow this.")}
FORBIDDEN = {403: error_response("Your role does not allow this.")}
# Optimistic concurrency (config.api.conditional): the article changed since the client read it,
# or the client did not say which copy it read.
PRECONDITION_FAILED = {
    412: error_response(
        "The article changed since you read it (a stale If-Match); nothing was changed. The body "
        "has the current `etag`: GET the article again and redo your change on it."
    )
}
PRECONDITION_REQUIRED = {428: error_response("No If-Match: GET the article and send its ETag as If-Match.")}


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 404 handler: JSON in the error shape for API paths (a URL that matches no API
    route), the usual page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "not_found", "detail": "Not found."}, status=404)
    return page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        detail = "Something went wrong on our side; it has been logged."
        return JsonResponse({"code": "server_error", "detail": detail}, status=500)
    return default_server_error(request)
