"""A request-level guard against control characters (issue 8: bad input never answers 500).

Defence in depth: forms and serializers refuse NUL themselves, and the models check again. This guard
answers **400** with a clear message, before any view runs, when

- the path has any control character (C0 or DEL; ``/verify/%00``);
- a query-string parameter, a form field (url-encoded or multipart) or, on ``/api/``, a string of a
  JSON body (a key or a value) has a NUL or another C0 control character except tab, CR and LF.

Pages get the site layout (``templates/400.html``), the API the JSON error body
``{"code": "invalid", "message": ..., "fields": {...}}``.

It also turns a ``ValidationError`` or a ``DataError`` (a value the database refuses: too long, out
of range) that escaped a view into a 400 instead of a server error; both are logged, since a service
should have refused the input in its own words first.
"""
from __future__ import annotations

import json
import logging
import re

from django.core.exceptions import ValidationError
from django.db import DataError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext

log = logging.getLogger(__name__)

_PATH_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_FIELD_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # tab, LF and CR are text
_JSON_TYPES = ("application/json",)


def _is_api(request) -> bool:
    return request.path_info.startswith("/api/")


def _check_pairs(pairs, fields: dict[str, list[str]]) -> None:
    for key, value in pairs:
        if _FIELD_CONTROL.search(key) or _FIELD_CONTROL.search(value):
            name = _FIELD_CONTROL.sub("?", key)[:100]
            fields.setdefault(name, []).append(
                gettext("Control characters (such as a NUL byte) are not allowed.")
            )


def _check_json(value, where: str, fields: dict[str, list[str]], depth: int = 0) -> None:
    if depth > 50:
        return
    if isinstance(value, str):
        if _FIELD_CONTROL.search(value):
            fields.setdefault(where or "body", []).append(
                gettext("Control characters (such as a NUL byte) are not allowed.")
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{where}.{key}" if where else str(key)
            if _FIELD_CONTROL.search(str(key)):
                fields.setdefault(_FIELD_CONTROL.sub("?", name)[:100], []).append(
                    gettext("Control characters (such as a NUL byte) are not allowed.")
                )
            _check_json(item, _FIELD_CONTROL.sub("?", name)[:100], fields, depth + 1)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_json(item, f"{where}[{i}]", fields, depth + 1)


def refused_fields(request) -> dict[str, list[str]]:
    """The parts of the request that hold a refused control character ({} when none)."""
    fields: dict[str, list[str]] = {}
    if _PATH_CONTROL.search(request.path_info):
        fields["path"] = [gettext("The address contains a control character (such as a NUL byte).")]
    _check_pairs(_pairs(request.GET), fields)
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        content_type = request.content_type or ""
        if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            _check_pairs(_pairs(request.POST), fields)
        elif content_type in _JSON_TYPES and _is_api(request):
            try:
                data = json.loads(request.body or b"null")
            except (ValueError, UnicodeDecodeError):
                data = None  # the API's parser says what is wrong with it
            _check_json(data, "", fields)
    return fields


def _pairs(querydict):
    for key, values in querydict.lists():
        for value in values:
            yield key, value


def bad_request(request, message: str, fields: dict[str, list[str]] | None = None) -> HttpResponse:
    """400 in the form the client reads: the JSON error body for /api/, the site layout for pages."""
    fields = fields or {}
    if _is_api(request):
        return JsonResponse({"code": "invalid", "message": message, "fields": fields}, status=400)
    html = render_to_string("400.html", {"message": message, "fields": fields}, request=request)
    return HttpResponse(html, status=400)


class InputGuardMiddleware:
    """Put it after the authentication and message middleware (the 400 page shows the site layout with
    the user); it runs before the CSRF check of the view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # a body too big or unparsable raises here as it would in the view: Django answers 400 itself
        fields = refused_fields(request)
        if fields:
            return bad_request(
                request,
                gettext("The request contains a control character (such as a NUL byte), which is not allowed: "
                        "%(fields)s.") % {"fields": ", ".join(fields)},
                fields,
            )
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, ValidationError):
            log.warning("a ValidationError escaped %s %s", request.method, request.path, exc_info=exception)
            messages = exception.messages if hasattr(exception, "messages") else [str(exception)]
            fields = dict(exception.message_dict) if hasattr(exception, "error_dict") else {}
            return bad_request(request, gettext("The input is invalid: %(problems)s") % {
                "problems": " ".join(str(m) for m in messages)}, fields)
        if isinstance(exception, DataError):
            log.warning("the database refused a value: %s %s", request.method, request.path, exc_info=exception)
            return bad_request(request, gettext(
                "The input is invalid: a value is too long, out of range or has characters that cannot be "
                "stored."))
        return None
