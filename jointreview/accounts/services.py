"""People and organizations, as the admin, commands and seeds change them: every write audited,
privileges only from a superuser (jointreview/policy/accounts.py)."""
from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from jointreview.audit.services import audit_record
from jointreview.audit.verbs import AuditVerb
from jointreview.policy.accounts import can_change_user, can_grant_privileges
from jointreview.services.errors import PermissionDeniedError, ServiceError
from projects import services as people
from projects.models import Organization, Role, User

# what a centre admin may change on a user (the rest is a superuser's)
USER_FIELDS = ("username", "email", "first_name", "last_name", "display_name", "phone", "organization", "role",
               "is_active", "is_absent")
PRIVILEGE_FIELDS = ("is_superuser", "is_staff")


def _snapshot(user: User) -> dict[str, Any]:
    return {f: getattr(user, f"{f}_id" if f == "organization" else f) for f in USER_FIELDS + PRIVILEGE_FIELDS}


def _message(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    return " ".join(exc.messages)


def check_user_change(*, actor, user: User | None, changes: dict[str, Any]) -> None:
    """Refuse (PermissionDeniedError) what the actor may not do; used by the admin form before it
    saves and by the services below."""
    if not can_change_user(actor, user):
        raise PermissionDeniedError(_("Only a superuser may change a superuser."))
    privileged = [f for f in PRIVILEGE_FIELDS if f in changes and bool(changes[f]) != bool(getattr(user, f, False))]
    becomes_admin = changes.get("role") == Role.CENTRE_ADMIN and getattr(user, "role", "") != Role.CENTRE_ADMIN
    leaves_admin = (user is not None and user.role == Role.CENTRE_ADMIN and "role" in changes
                    and changes["role"] != Role.CENTRE_ADMIN)
    if (privileged or becomes_admin or leaves_admin) and not can_grant_privileges(actor):
        raise PermissionDeniedError(
            _("Only a superuser may grant or remove superuser, staff or centre-admin status.")
        )


@transaction.atomic
def user_create(*, actor, username: str, password: str | None, organization: Organization | None, role: str,
                **fields: Any) -> User:
    check_user_change(actor=actor, user=None, changes={"role": role, **fields})
    privileges = {f: fields.pop(f) for f in PRIVILEGE_FIELDS if f in fields}
    try:
        user = people.user_create(username=username, password=password, organization=organization, role=role,
                                  **fields)
    except ValidationError as exc:
        raise ServiceError(_message(exc)) from None
    if privileges:
        User.objects.filter(pk=user.pk).update(**privileges)
        user.refresh_from_db()
    audit_record(actor=actor, verb=AuditVerb.USER_CREATE, target=user, after=_snapshot(user))
    return user


@transaction.atomic
def user_update(*, actor, user: User | int, **changes: Any) -> User:
    """Change a user's organization, role, active flag and details (privileges: a superuser only).
    The organization's permission group follows (projects/signals.py)."""
    pk = user.pk if isinstance(user, User) else user
    try:
        user = User.objects.select_for_update().get(pk=pk)
    except User.DoesNotExist:
        raise ServiceError(_("No such user."), code="not_found") from None
    unknown = set(changes) - set(USER_FIELDS) - set(PRIVILEGE_FIELDS)
    if unknown:
        raise ServiceError(_("Unknown user fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    check_user_change(actor=actor, user=user, changes=changes)
    before = _snapshot(user)
    for field, value in changes.items():
        setattr(user, field, value)
    if "role" in changes and not user.is_superuser:
        user.is_staff = user.role == Role.CENTRE_ADMIN  # the admin login asks for is_staff
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        raise ServiceError(_message(exc)) from None
    user.save()
    after = _snapshot(user)
    if after != before:
        audit_record(actor=actor, verb=AuditVerb.USER_CHANGE, target=user,
                     before={k: v for k, v in before.items() if after[k] != v},
                     after={k: v for k, v in after.items() if before[k] != v})
    return user


@transaction.atomic
def organization_save(*, actor, organization: Organization, specialities=None) -> Organization:
    """Create or change an organization (its permission group is made with it)."""
    creating = organization.pk is None
    before = {} if creating else dict(
        Organization.objects.filter(pk=organization.pk).values("name", "kind", "agency_type", "is_active").first()
        or {}
    )
    try:
        organization.full_clean()
    except ValidationError as exc:
        raise ServiceError(_message(exc)) from None
    organization.save()
    if specialities is not None:
        organization.specialities.set(specialities)
    people.organization_group(organization)
    after = {"name": organization.name, "kind": organization.kind, "agency_type": organization.agency_type,
             "is_active": organization.is_active}
    audit_record(actor=actor, verb=AuditVerb.ORGANIZATION_CREATE if creating else AuditVerb.ORGANIZATION_CHANGE,
                 target=organization, before=before, after=after)
    return organization
