"""Raising alerts of the ladder: supervision records, their addressees, the people's notifications.

Every source of alerts (clock lights, unanswered records, overdue 容缺, project budgets) turns what it
found into ``Alert`` values and calls ``alerts_raise`` inside its transaction: records in bulk (one
insert, one numbering update, one insert of addressees), then one audit event per record and one
notification per addressee, keyed by record and person (idempotent)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import uuid4

from django.conf import settings
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat, Greatest, Length, LPad

from jointreview.audit.notifications import NotificationKind
from jointreview.audit.services import audit_record_many, notify_many
from jointreview.audit.verbs import AuditVerb
from jointreview.clocks.calendar import get_calendar
from jointreview.models import SupervisionLevel, SupervisionRecord
from jointreview.supervision.models import WARNING_TYPES
from projects.models import Role, User


@dataclass
class Alert:
    """One alert to raise: what raised it (``key``, unique), its level, rule, light and subject."""

    key: str
    source: str
    level: int
    light: str
    rule_code: str
    content: str
    addressees: list[User]
    application: Any = None
    assignment: Any = None
    project: Any = None
    clock_id: int | None = None
    deferral_id: int | None = None
    department_id: int | None = None
    item_type: str = ""
    due_date: date | None = None
    escalated_from: SupervisionRecord | None = None
    extra_notify: list[tuple[User, str, dict]] = field(default_factory=list)  # (person, kind, params)


def respond_by(today: date) -> date:
    """The day an answer is due: ``JR_SUPERVISION_RESPONSE_DAYS`` working days after ``today``."""
    return get_calendar().add(today, int(settings.JR_SUPERVISION_RESPONSE_DAYS))


def centre_leaders() -> list[User]:
    return list(User.objects.filter(role=Role.CENTRE_LEADER, is_active=True).order_by("pk"))


def agency_leads(agency_ids) -> dict[int, list[User]]:
    out: dict[int, list[User]] = {}
    for user in User.objects.filter(role=Role.AGENCY_LEAD, is_active=True, organization_id__in=set(agency_ids)
                                    ).order_by("pk"):
        out.setdefault(user.organization_id, []).append(user)
    return out


def people(*users) -> list[User]:
    """Distinct active people with an organization, in order (None and duplicates dropped)."""
    seen: set[int] = set()
    out = []
    for user in users:
        if user is None or user.pk in seen or not user.is_active or not user.organization_id:
            continue
        seen.add(user.pk)
        out.append(user)
    return out


def alerts_raise(alerts: list[Alert], *, today: date) -> list[SupervisionRecord]:
    """Create the records of ``alerts`` (inside the caller's transaction); returns them numbered."""
    existing = set(SupervisionRecord.objects.filter(key__in=[a.key[:120] for a in alerts]).values_list("key", flat=True))
    alerts = [a for a in alerts if a.key[:120] not in existing]  # raised already (the unique key also guards)
    if not alerts:
        return []
    due = respond_by(today)
    records = SupervisionRecord.objects.bulk_create([_record(a, due) for a in alerts])
    ids = [r.pk for r in records]
    pk_text = Cast("pk", CharField())
    SupervisionRecord.objects.filter(pk__in=ids).update(number=Concat(  # DB<year>-<id, 7 digits or more>
        Value(f"DB{today:%Y}-"), LPad(pk_text, Greatest(Value(7), Length(pk_text)), Value("0")),
        output_field=CharField()))
    through = SupervisionRecord.addressees.through
    through.objects.bulk_create([through(supervisionrecord_id=r.pk, user_id=u.pk)
                                 for r, a in zip(records, alerts, strict=True) for u in a.addressees])
    for record in records:
        record.number = f"DB{today:%Y}-{record.pk:07d}"  # as the update above wrote it
    _announce(records, alerts)
    return records


def _record(alert: Alert, respond: date) -> SupervisionRecord:
    return SupervisionRecord(
        number=f"tmp-{uuid4().hex}"[:30], key=alert.key[:120], source=alert.source, level=alert.level,
        light=alert.light, rule_code=alert.rule_code, warning_type=WARNING_TYPES.get(alert.rule_code, "9"),
        application=alert.application, assignment=alert.assignment, project=alert.project,
        clock_id=alert.clock_id, deferral_id=alert.deferral_id, department_id=alert.department_id,
        item_type=alert.item_type[:40], content=alert.content[:300], due_date=alert.due_date,
        respond_by=respond, escalated_from=alert.escalated_from)


def _announce(records: list[SupervisionRecord], alerts: list[Alert]) -> None:
    """One audit event per record and one notification per addressee, each in one insert."""
    for verb, escalated in ((AuditVerb.SUPERVISION_RAISE, False), (AuditVerb.SUPERVISION_ESCALATE, True)):
        audit_record_many(verb=verb, events=[
            {"target": r, "application": a.application,
             "after": {"number": r.number, "level": r.level, "rule": r.rule_code, "light": r.light,
                       "addressees": [u.pk for u in a.addressees],
                       "escalated_from": a.escalated_from.pk if a.escalated_from else None}}
            for r, a in zip(records, alerts, strict=True) if (a.escalated_from is not None) == escalated])
    rows = []
    for record, alert in zip(records, alerts, strict=True):
        params = {"number": record.number, "what": record.content, "rule": record.rule_code,
                  "due": record.respond_by.isoformat()}
        links = {"application": alert.application, "assignment": alert.assignment}
        rows += [{"key": f"sv-{record.pk}-u{u.pk}", "kind": NotificationKind.SUPERVISION,
                  "organization_id": u.organization_id, "params": params, "user": u, **links}
                 for u in alert.addressees]
        rows += [{"key": f"sv-{record.pk}-{kind}-u{u.pk}", "kind": kind, "organization_id": u.organization_id,
                  "params": {**params, **extra}, "user": u, "application": alert.application}
                 for u, kind, extra in alert.extra_notify]
    notify_many(rows)


LEVEL_BY_LIGHT = {"yellow": SupervisionLevel.AGENCY, "red": SupervisionLevel.COORDINATOR}
