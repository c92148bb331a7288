"""What the intake services share: numbering, status words and the
window's guards (a submitted application only; missing materials marked missing). Not to be confused
with ``jointreview.services.common`` (what every area shares), which these modules import as ``common``."""
from __future__ import annotations

import secrets

from django.utils import timezone

from jointreview.models import Application, ApplicationStatus, CheckStatus
from jointreview.services import common
from jointreview.services.errors import ConflictError, ServiceError


def _status_label(status: str) -> str:
    return ApplicationStatus(status).label


def _new_number(prefix: str) -> str:
    return f"{prefix}-{common.today():%Y%m%d}-{secrets.token_hex(4).upper()}"


def _require_window_pending(app: Application, what: str) -> None:
    if app.status == ApplicationStatus.SUBMITTED:
        return
    if app.status in (ApplicationStatus.ACCEPTED, ApplicationStatus.REVISION, ApplicationStatus.APPROVED):
        raise ConflictError(f"申请已受理, 不能{what}。 The application was already accepted.", code="already_accepted")
    if app.status == ApplicationStatus.RETURNED:
        raise ConflictError(f"申请已退回补正, 不能{what}。 The application was already returned to the owner.")
    if app.status == ApplicationStatus.WITHDRAWN:
        raise ServiceError(f"申请已撤回, 不能{what}。 The owner withdrew this application.", code="withdrawn")
    raise ServiceError(
        f"申请处于「{_status_label(app.status)}」状态 (未提交), 不能{what}。 The application was never submitted.",
        code="not_submitted",
    )


def _auto_mark_missing(app: Application, actor) -> None:
    app.materials.filter(document__isnull=True, check_status=CheckStatus.UNCHECKED).update(
        check_status=CheckStatus.MISSING, check_note="未提交 not submitted", checked_by=actor,
        checked_at=timezone.now(),
    )
