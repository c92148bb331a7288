"""One audit event per state change (who, when, what, before/after), and the in-app notifications
that tell people about it (their kinds and texts: jointreview/audit/notifications.py)."""
from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import models

from jointreview.audit.notifications import NotificationKind
from jointreview.audit.verbs import AuditVerb
from jointreview.models import Application, AuditEvent, Notification
from projects.models import Organization, OrganizationKind, Role


def _verb(verb: str) -> AuditVerb:
    """The verb as its enum member: a free string that is not a listed verb is a programming error."""
    try:
        return AuditVerb(verb)
    except ValueError:
        raise ValueError(f"unknown audit verb {verb!r}: add it to jointreview/audit/verbs.py") from None


def audit_record(**kwargs) -> AuditEvent:
    """Record one event now: ``audit_build``'s arguments (actor, verb, target, before, after, application,
    note); the row is inserted at once."""
    event = audit_build(**kwargs)
    event.save(force_insert=True)
    return event


def audit_build(
    *,
    actor,
    verb: str,
    target: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    application: Application | None = None,
    note: str = "",
) -> AuditEvent:
    """``audit_record``'s row, not yet saved: a service that writes many rows in one transaction
    builds them here and saves them together with ``audit_save`` (one insert)."""
    if application is None and isinstance(target, Application):
        application = target
    return _build(actor=actor, verb=verb, target_type=target._meta.label, target_id=str(target.pk),
                  application=application, before=before, after=after, note=note)


def audit_save(events: list[AuditEvent]) -> None:
    """Save rows built by ``audit_build`` in one insert, in the order given."""
    if events:
        AuditEvent.objects.bulk_create(events)


def _create(*, actor, verb: str, target_type: str, target_id: str, application=None, before=None, after=None,
            note: str = "") -> AuditEvent:
    """The one writer of single audit rows (``audit_build`` + ``audit_save`` write many)."""
    event = _build(actor=actor, verb=verb, target_type=target_type, target_id=target_id, application=application,
                   before=before, after=after, note=note)
    event.save(force_insert=True)
    return event


def _build(*, actor, verb: str, target_type: str, target_id: str, application=None, before=None, after=None,
           note: str = "") -> AuditEvent:
    """An audit row: the actor's snapshot, a listed verb, JSON-safe before/after."""
    person = actor if getattr(actor, "pk", None) else None
    return AuditEvent(
        actor=person,
        **actor_snapshot(person),
        verb=_verb(verb),
        target_type=target_type,
        target_id=target_id,
        application=application,
        before=_jsonable(before or {}),
        after=_jsonable(after or {}),
        note=note[:300],
    )


def audit_record_many(*, verb: str, events: list[dict[str, Any]]) -> int:
    """Many events of one verb by the system (a sweep), in one insert; each event holds ``target`` and
    optionally ``application``, ``before``, ``after``, ``note`` (as ``audit_record``)."""
    verb = _verb(verb)
    rows = [AuditEvent(actor=None, **actor_snapshot(None), verb=verb, target_type=e["target"]._meta.label,
                       target_id=str(e["target"].pk), application=e.get("application"),
                       before=_jsonable(e.get("before") or {}), after=_jsonable(e.get("after") or {}),
                       note=(e.get("note") or "")[:300]) for e in events]
    return len(AuditEvent.objects.bulk_create(rows))


def audit_record_login(
    *,
    actor,
    verb: str,
    username: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str = "",
) -> AuditEvent:
    """An event about a login name (lockouts): its User when one has that name; otherwise the user
    model with an empty id, since failed logins also come for names nobody has."""
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first() if username else None
    if user is not None:
        return audit_record(actor=actor, verb=verb, target=user, before=before, after=after, note=note)
    return _create(actor=actor, verb=verb, target_type=user_model._meta.label, target_id="", before=before,
                   after=after, note=note)


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, models.Model):
            out[key] = value.pk
        elif value is None or isinstance(value, (str, int, float, bool, list, dict)):
            out[key] = value
        else:
            out[key] = str(value)
    return out


def actor_snapshot(actor) -> dict[str, str]:
    """The actor as they are now, copied into the row (name, organization, role)."""
    if actor is None:
        return {"actor_name": "", "actor_organization": "", "actor_role": ""}
    name = getattr(actor, "display_name", "") or actor.username
    org = ""
    if getattr(actor, "organization_id", None):
        org = str(actor.organization.name)
    return {"actor_name": f"{name} ({actor.username})"[:150], "actor_organization": org[:200],
            "actor_role": (getattr(actor, "role", "") or ("superuser" if actor.is_superuser else ""))[:30]}


def notify(*, key: str, kind: str, organization_id: int, params: dict[str, Any] | None = None, user=None,
           application=None, assignment=None) -> bool:
    """An in-app notification of a listed kind to an organization (and, with ``user``, to one of its
    people: that person alone reads it), idempotent by its unique ``key``: a second call does nothing. ``params`` fill the kind's
    texts when someone reads it (jointreview/audit/notifications.py). Returns whether it was created."""
    try:
        kind = NotificationKind(kind)
    except ValueError:
        raise ValueError(f"unknown notification kind {kind!r}: add it to jointreview/audit/notifications.py") from None
    if user is not None and user.organization_id != organization_id:
        # a person reads their notifications as a member of their organization (policy/notifications.py)
        raise ValueError(f"notification {key!r}: user {user.pk} is not a member of organization {organization_id}")
    _obj, created = Notification.objects.get_or_create(
        key=key[:120],
        defaults={"organization_id": organization_id, "kind": kind, "params": _jsonable(params or {}),
                  "user": user, "application": application, "assignment": assignment},
    )
    return created


def notify_many(rows: list[dict[str, Any]]) -> int:
    """Many notifications in one insert (a sweep's alerts), each row holding ``notify``'s keyword
    arguments; idempotent by key like ``notify`` (a key already stored is skipped)."""
    objs = []
    for row in rows:
        try:
            kind = NotificationKind(row["kind"])
        except ValueError:
            raise ValueError(f"unknown notification kind {row['kind']!r}: add it to "
                             "jointreview/audit/notifications.py") from None
        objs.append(Notification(key=row["key"][:120], organization_id=row["organization_id"], kind=kind,
                                 params=_jsonable(row.get("params") or {}), user=row.get("user"),
                                 application=row.get("application"), assignment=row.get("assignment")))
    return len(Notification.objects.bulk_create(objs, ignore_conflicts=True))


def centre_organizations(*, admins_only: bool = False) -> list[Organization]:
    """The active centre organizations (for ``admins_only``: those with an active centre admin, else
    every centre)."""
    qs = Organization.objects.filter(kind=OrganizationKind.CENTRE, is_active=True).order_by("pk")
    if admins_only:
        orgs = list(qs.filter(members__role=Role.CENTRE_ADMIN, members__is_active=True).distinct())
        if orgs:
            return orgs
    return list(qs)


def notify_centre(*, key: str, kind: str, params: dict[str, Any] | None = None, admins_only: bool = False,
                  application=None, assignment=None) -> int:
    """The same notification to every centre organization, idempotent: the key of each is
    ``<key>-c<organization id>``. Returns how many were created."""
    return sum(
        notify(key=f"{key}-c{org.pk}", kind=kind, organization_id=org.pk, params=params, application=application,
               assignment=assignment)
        for org in centre_organizations(admins_only=admins_only)
    )
