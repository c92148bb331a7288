"""What the review pages share: running a service, form refusals, small parsers."""
from __future__ import annotations

from collections.abc import Callable

from django.http import HttpResponse
from django.shortcuts import redirect

from jointreview.views.actions import form_refused, run_service

PAGE_SIZE = 50


def _run(request, action: Callable[[], object], success: str) -> bool:
    """Call a service; its refusal becomes a message (a permission refusal a 403)."""
    return run_service(request, action, success)


def _refused(request, form, page: Callable[[], HttpResponse]) -> HttpResponse | None:
    """None when the posted form is valid; else the page (``page()``) answered with 400 and the
    form's errors as a message (too long, out of range, a NUL character ...)."""
    return None if form.is_valid() else form_refused(request, form, page)


def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _back(a_id: int):
    return redirect("review:assignment", assignment_id=a_id)
