"""One error envelope for the API: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from renshi.core.concurrency import ConflictError


def exception_handler(exc, context):
    if isinstance(exc, ConflictError):
        return Response(
            {
                "error": {
                    "code": "conflict",
                    "message": str(exc),
                    "details": {"current_version": exc.current_version},
                }
            },
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DjangoValidationError):
        details = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = exceptions.ValidationError(details)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code = getattr(exc, "default_code", "error")
    if isinstance(exc, exceptions.ValidationError):
        message, details = "Invalid input.", response.data
    else:
        message = (
            response.data.get("detail", str(exc)) if isinstance(response.data, dict) else str(exc)
        )
        details = {}
        code = getattr(getattr(exc, "detail", None), "code", code) or code
    response.data = {"error": {"code": str(code), "message": str(message), "details": details}}
    return response
