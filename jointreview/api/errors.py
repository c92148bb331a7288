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
