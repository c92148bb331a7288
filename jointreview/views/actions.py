"""The one view helper that turns a service's refusal into a response (docs/architecture.md §3.1):
a permission refusal is the 403 page, anything else (invalid, conflict) a message on the page the
user returns to. The API's counterpart is ``jointreview.api.errors.exception_handler``."""
from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse

from jointreview.forms_common import refusal_text
from jointreview.services.errors import PermissionDeniedError, ServiceError, validation_refusal


def refuse(request, exc: ServiceError | ValidationError) -> None:
    """Show a refusal: raise the 403 for a permission refusal, else add the message."""
    if isinstance(exc, PermissionDeniedError):
        raise PermissionDenied(exc.message) from None
    if isinstance(exc, ValidationError):  # a model check the service did not turn into a ServiceError
        exc = validation_refusal(exc)
    messages.error(request, exc.message)


def form_refused(request, form, page: Callable[[], HttpResponse]) -> HttpResponse:
    """A posted form that did not validate (too long, out of range, a NUL character ...): ``page()``
    answered with 400 and the form's errors as a message."""
    messages.error(request, refusal_text(form))
    response = page()
    response.status_code = 400
    return response


def run_service(request, action: Callable[[], object], success: str = "") -> bool:
    """Call a service; on success add ``success`` (if any) and return True, on refusal ``refuse``."""
    try:
        action()
    except (ServiceError, ValidationError) as exc:
        refuse(request, exc)
        return False
    if success:
        messages.success(request, success)
    return True
