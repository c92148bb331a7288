"""Small helpers every service area shares: today's date, who may act, the application lock, checks."""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext as _

from jointreview.policy.core import is_centre, is_owner_of
from jointreview.services.errors import PermissionDeniedError

if TYPE_CHECKING:
    from jointreview.models import Application


def today(on: date | None = None) -> date:
    """``on`` if given, else today's date in the centre's time zone."""
    return on or timezone.localdate()


def require_centre(actor, what: str) -> None:
    """Only centre users (window staff, coordinator, admin) may do ``what``: a translated verb phrase
    ("accept applications"), completing the message "Only the centre's staff may ..."."""
    if not is_centre(actor):
        raise PermissionDeniedError(_("Only the centre's staff may %(action)s.") % {"action": what})


def require_project_owner(actor, project, what: str) -> None:
    """Only the staff of the project's owner organization may do ``what``: a translated verb phrase
    ("submit the application"), completing the message "Only the project's owner may ..."."""
    if not is_owner_of(actor, project.owner_id):
        raise PermissionDeniedError(_("Only the project's owner may %(action)s.") % {"action": what})


def lock_application(application: Application | int) -> Application:
    """The application row locked for this transaction (that row only: ``of=("self",)``), with its
    project, owner and workflow read. ``application``: the object or its id. The one lock every
    service that changes an application takes first (docs/architecture.md §3.1)."""
    from jointreview.models import Application
    from jointreview.services.errors import ServiceError

    pk = application.pk if isinstance(application, Application) else application
    try:
        return (
            Application.objects.select_for_update(of=("self",)).select_related("project__owner", "workflow")
            .get(pk=pk)
        )
    except (Application.DoesNotExist, ValueError, TypeError):
        raise ServiceError(_("No such application."), code="not_found") from None


def full_clean(instance, **kwargs) -> None:
    """``instance.full_clean(**kwargs)``; a refusal becomes a ServiceError naming each field, which
    every interface shows as a message (HTTP 400), never as a server error."""
    from django.core.exceptions import ValidationError

    from jointreview.services.errors import validation_refusal

    try:
        instance.full_clean(**kwargs)
    except ValidationError as exc:
        raise validation_refusal(exc, type(instance)) from None


def check_text(value: str, *, label: str, max_length: int, field: str = "") -> str:
    """Free text that no model field checks (it goes into the audit note and a notification): at most
    ``max_length`` characters, no NUL character (Django's own validators and messages). Returns it
    stripped."""
    from django.core.exceptions import ValidationError
    from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator

    from jointreview.services.errors import ServiceError

    value = (value or "").strip()
    try:
        ProhibitNullCharactersValidator()(value)
        MaxLengthValidator(max_length)(value)
    except ValidationError as exc:
        problems = [str(m) for m in exc.messages]
        raise ServiceError(f"{label}: {' '.join(problems)}", fields={field or label: problems}) from None
    return value
