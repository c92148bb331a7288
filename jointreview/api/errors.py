"""The API's answer to bad input: HTTP 400 (or the refusal's own 4xx) with
``{"code": "invalid", "message": "...", "fields": {"<field>": ["..."]}}``."""
from __future__ import annotations

from django.utils.translation import gettext
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from jointreview.services.errors import ServiceError


def error_body(message: str, fields: dict | None = None, code: str = "invalid") -> dict:
    return {"code": code, "message": message, "fields": fields or {}}


def _fields_text(fields: dict) -> str:
    parts = []
    for name, problems in fields.items():
        if isinstance(problems, dict):  # nested serializer errors
            problems = [_fields_text(problems)]
        parts.append(f"{name}: {' '.join(str(p) for p in problems)}")
    return "; ".join(parts)


def invalid(fields: dict, message: str | None = None) -> Response:
    """400 for input a serializer or a filter form refused (``fields``: their errors)."""
    fields = {name: problems if isinstance(problems, (list, dict)) else [problems]
              for name, problems in fields.items()}
    text = message or gettext("The request is invalid: %(problems)s") % {"problems": _fields_text(fields)}
    return Response(error_body(text, fields), status=status.HTTP_400_BAD_REQUEST)


def refused(exc: ServiceError) -> Response:
    """A service's refusal with its status (400, 403, 409) and the fields it names."""
    return Response(error_body(exc.message, exc.fields, exc.code), status=exc.status_code)


class InvalidInput(APIException):
    """Raised where a Response cannot be returned (``get_queryset`` of a list): DRF renders the body
    as it is."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"

    def __init__(self, fields: dict, message: str | None = None):
        body = invalid(fields, message).data
        super().__init__(detail=body)


# DRF's exception classes -> our codes (the body's "code")
_CODES = {
    "not_authenticated": "not_authenticated",
    "authentication_failed": "not_authenticated",
    "permission_denied": "forbidden",
    "not_found": "not_found",
    "method_not_allowed": "method_not_allowed",
    "not_acceptable": "not_acceptable",
    "unsupported_media_type": "unsupported_media_type",
    "throttled": "throttled",
    "parse_error": "invalid",
    "invalid": "invalid",
}


def exception_handler(exc, context):
    """The API's one error mapping (settings REST_FRAMEWORK["EXCEPTION_HANDLER"]): every error answers
    ``{"code", "message", "fields"}``. A service's refusal keeps its status (invalid 400, not allowed
    403, conflict 409); the policy's 404 (missing or not yours) and 403 come through DRF's own
    conversion of Http404 / PermissionDenied; DRF's headers (Retry-After, WWW-Authenticate) are kept."""
    import logging

    from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
    from django.core.exceptions import ValidationError as DjangoValidationError
    from django.http import Http404
    from rest_framework import exceptions
    from rest_framework.exceptions import ValidationError
    from rest_framework.views import exception_handler as drf_handler

    if isinstance(exc, ServiceError):
        return refused(exc)
    if isinstance(exc, DjangoValidationError):
        from jointreview.services.errors import validation_refusal

        request = context.get("request")
        logging.getLogger("jointreview.api").warning(  # a service forgot to turn it into a ServiceError
            "a ValidationError escaped %s %s", getattr(request, "method", ""), getattr(request, "path", ""),
            exc_info=exc)
        return refused(validation_refusal(exc))
    if isinstance(exc, Http404):  # the policy's "missing or not yours"
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):  # the policy's "seen, but not this"
        exc = exceptions.PermissionDenied(*exc.args)
    response = drf_handler(exc, context)
    if response is None:
        return None  # a server error: Django's 500 handling
    data = response.data
    if isinstance(data, dict) and {"code", "message", "fields"} <= set(data):
        return response  # already in shape (InvalidInput)
    if isinstance(exc, ValidationError):
        fields = data if isinstance(data, dict) else {"non_field_errors": data}
        response.data = invalid(fields).data
        return response
    detail = data.get("detail", data) if isinstance(data, dict) else data
    code = getattr(getattr(exc, "detail", None), "code", None) or getattr(exc, "default_code", "error")
    response.data = error_body(str(detail), code=_CODES.get(code, code))
    return response
