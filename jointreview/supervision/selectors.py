"""Reads of the supervision pages, through the policy (nobody reads another's records)."""
from __future__ import annotations

from django.db.models import QuerySet

from jointreview.models import ExtensionRequest, ExtensionStatus, SupervisionRecord
from jointreview.policy.supervision import (
    can_decide_extension,
    can_request_extension,
    extensions_for,
    supervision_records_for,
)


def supervision_list(user, *, status: str = "", mine: bool = False) -> QuerySet[SupervisionRecord]:
    """The records the user reads (addressed to them; the centre: all), newest first; ``mine``: only
    those addressed to the user."""
    qs = supervision_records_for(user)
    if mine:
        qs = qs.filter(addressees=user)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("application", "department", "escalated_from").order_by("-issued_at", "-pk")


def extensions_to_decide(user) -> list[ExtensionRequest]:
    pending = (extensions_for(user).filter(status=ExtensionStatus.PENDING)
               .select_related("assignment__application", "assignment__agency", "requested_by", "clock")
               .order_by("requested_at"))
    return [e for e in pending if can_decide_extension(user, e)]


def extension_panel(user, assignment) -> dict:
    """What the assignment page shows of extensions: the requests, whether the user may ask, and which
    requests the user may decide."""
    requests = list(ExtensionRequest.objects.filter(assignment=assignment).select_related(
        "assignment", "requested_by", "decided_by").order_by("-requested_at"))
    used = any(r.status in (ExtensionStatus.PENDING, ExtensionStatus.APPROVED) for r in requests)
    return {
        "extensions": requests,
        "can_request_extension": not used and can_request_extension(user, assignment),
        "decidable": {r.pk for r in requests if r.status == ExtensionStatus.PENDING and can_decide_extension(user, r)},
    }
