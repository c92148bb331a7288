"""电子监察: who reads, answers and closes supervision records (督办单); who asks for and decides clock
extensions (延长审批).

- A record is read by its addressees and by the centre (the centre reads everything); anyone else
  gets the one 404. Only an addressee answers it; the coordinators and the centre leader close it.
- An extension is asked for by the assignment's acting reviewer or the agency lead; it is decided by
  the agency's lead (行政许可法 §42: the head of the deciding agency), not by the person who asked,
  or by the centre leader (who decides when the lead asked).
"""
from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from jointreview.models import ExtensionRequest, SupervisionRecord
from projects.models import Role

from .core import authenticated, fetch_visible, is_agency_member, is_centre
from .review import can_review_assignment, can_view_assignment

CLOSER_ROLES = frozenset({Role.CENTRE_COORDINATOR, Role.CENTRE_LEADER})


def is_addressee(user, record: SupervisionRecord) -> bool:
    return authenticated(user) and record.addressees.filter(pk=user.pk).exists()


def can_view_supervision(user, record: SupervisionRecord) -> bool:
    return is_centre(user) or is_addressee(user, record)


def can_answer_supervision(user, record: SupervisionRecord) -> bool:
    return is_addressee(user, record)


def can_close_supervision(user) -> bool:
    return authenticated(user) and user.role in CLOSER_ROLES


def supervision_records_for(user) -> QuerySet[SupervisionRecord]:
    """The records a user reads: addressed to them; the centre: every record."""
    if not authenticated(user):
        return SupervisionRecord.objects.none()
    if is_centre(user):
        return SupervisionRecord.objects.all()
    return SupervisionRecord.objects.filter(addressees=user)


def access_supervision(user, record_id, verb: str = "view") -> SupervisionRecord:
    """verb: view (addressees, the centre), answer (addressees), close (coordinators, the centre leader)."""
    record = fetch_visible(SupervisionRecord.objects.select_related("application", "assignment__agency"),
                           record_id, "supervision record", lambda r: can_view_supervision(user, r))
    if verb == "answer" and not can_answer_supervision(user, record):
        raise PermissionDenied(_("Only the people this supervision record is addressed to may answer it."))
    if verb == "close" and not can_close_supervision(user):
        raise PermissionDenied(_("Only a coordinator or the centre leader may close a supervision record."))
    return record


# --------------------------------------------------------------------------- extensions


def can_request_extension(user, assignment) -> bool:
    return can_review_assignment(user, assignment)


def can_decide_extension(user, extension: ExtensionRequest) -> bool:
    if not authenticated(user):
        return False
    if user.role == Role.CENTRE_LEADER:
        return True
    return (is_agency_member(user, extension.assignment.agency_id) and bool(user.is_agency_lead)
            and user.pk != extension.requested_by_id)


def extensions_for(user) -> QuerySet[ExtensionRequest]:
    """The extension requests a user sees: the centre all; an agency's members their agency's."""
    if is_centre(user):
        return ExtensionRequest.objects.all()
    if authenticated(user) and user.is_agency:
        return ExtensionRequest.objects.filter(assignment__agency_id=user.organization_id)
    return ExtensionRequest.objects.none()


def access_extension(user, extension_id, verb: str = "view") -> ExtensionRequest:
    """verb: view (who sees the assignment), decide (the agency lead who did not ask, the centre leader)."""
    ext = fetch_visible(ExtensionRequest.objects.select_related("assignment__agency", "assignment__reviewer",
                                                                "assignment__backup", "requested_by"),
                        extension_id, "extension request", lambda e: can_view_assignment(user, e.assignment))
    if verb == "decide" and not can_decide_extension(user, ext):
        raise PermissionDenied(_("Only the agency lead (not the person who asked) or the centre leader may "
                                 "decide on an extension."))
    return ext
