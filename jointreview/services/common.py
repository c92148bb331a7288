"""Small helpers every service area shares: today's date, who may act, idempotent notifications."""
from __future__ import annotations

import functools
from datetime import date

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from jointreview.models import Notification
from jointreview.policy.core import is_centre, is_owner_of
from jointreview.services.errors import PermissionDeniedError


def today(on: date | None = None) -> date:
    """``on`` if given, else today's date in the centre's time zone."""
    return on or timezone.localdate()


# Issued documents (notices, certificates: docs/architecture.md §6) are official Chinese texts whatever
# the language of the person whose action issues them.
OFFICIAL_LANGUAGE = "zh-hans"


def official_language(func):
    """Run ``func`` with the official language active: the labels a document's content snapshot takes
    from choices (outcomes, finding states, pause reasons ...) are then Chinese, not the language of the
    request that issues it. A new ``translation.override`` per call (the decorator form of one shared
    instance is not thread-safe)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with translation.override(OFFICIAL_LANGUAGE):
            return func(*args, **kwargs)

    return wrapper


def official_label(choice) -> str:
    """A choice's label in the official language, for an issued document's content."""
    with translation.override(OFFICIAL_LANGUAGE):
        return str(choice.label)


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


def notify(*, key: str, organization_id: int, kind: str, subject: str, body: str = "", **links) -> bool:
    """An in-app notification, idempotent by its unique key: a second call does nothing. ``links``:
    application, assignment, user. Returns whether it was created."""
    _obj, created = Notification.objects.get_or_create(
        key=key,
        defaults={"organization_id": organization_id, "kind": kind, "subject": subject[:200], "body": body,
                  **links},
    )
    return created


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
