"""What the intake services share: numbering, status words and the
window's guards (a submitted application only; missing materials marked missing). Not to be confused
with ``jointreview.services.common`` (what every area shares), which these modules import as ``common``."""
from __future__ import annotations

import secrets

from django.utils import timezone
from django.utils.translation import gettext as _

from jointreview.models import Application, ApplicationStatus, CheckStatus
from jointreview.services import common
from jointreview.services.errors import ConflictError, ServiceError

# the window's note on a material never uploaded: it is printed on the one-time notice (an official
# Chinese document, docs/architecture.md §6), so it is stored in Chinese whoever checks
NOT_SUBMITTED_NOTE = "未提交"


def _status_label(status: str) -> str:
    return str(ApplicationStatus(status).label)


def _new_number(prefix: str) -> str:
    return f"{prefix}-{common.today():%Y%m%d}-{secrets.token_hex(4).upper()}"


def _require_window_pending(app: Application, what: str) -> None:
    """``what``: a translated verb phrase ("accept it"), completing "... so it cannot ..."."""
    if app.status == ApplicationStatus.SUBMITTED:
        return
    if app.status in (ApplicationStatus.ACCEPTED, ApplicationStatus.REVISION, ApplicationStatus.APPROVED):
        raise ConflictError(_("The application was already accepted, so you cannot %(action)s.") % {"action": what},
                            code="already_accepted")
    if app.status == ApplicationStatus.RETURNED:
        raise ConflictError(_("The application was already returned to the owner, so you cannot %(action)s.")
                            % {"action": what})
    if app.status == ApplicationStatus.WITHDRAWN:
        raise ServiceError(_("The owner withdrew this application, so you cannot %(action)s.") % {"action": what},
                           code="withdrawn")
    raise ServiceError(
        _("The application is “%(status)s” (never submitted), so you cannot %(action)s.")
        % {"status": _status_label(app.status), "action": what},
        code="not_submitted",
    )


def _auto_mark_missing(app: Application, actor, materials) -> None:
    """Materials never uploaded and not yet checked are marked missing. ``materials``: the application's
    materials, just read under the application's lock; only those to mark are updated, in the database
    and on the objects, and nothing is written when there are none."""
    values = {"check_status": CheckStatus.MISSING, "check_note": NOT_SUBMITTED_NOTE, "checked_by": actor,
              "checked_at": timezone.now()}
    unseen = [am for am in materials if am.document_id is None and am.check_status == CheckStatus.UNCHECKED]
    if unseen:
        app.materials.filter(pk__in=[am.pk for am in unseen], check_status=CheckStatus.UNCHECKED).update(**values)
        for am in unseen:
            for name, value in values.items():
                setattr(am, name, value)
