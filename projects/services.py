"""Writers for organizations and people (used by seed_demo, the admin and tests)."""
from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction

from .models import Organization, Role, User


def organization_group(org: Organization) -> Group:
    """The organization's permission group (one per organization; object grants go to it)."""
    if org.group_id:
        return org.group
    group, _ = Group.objects.get_or_create(name=f"org:{org.pk}")
    Organization.objects.filter(pk=org.pk, group__isnull=True).update(group=group)
    org.group = group
    return group


@transaction.atomic
def organization_create(*, name: str, kind: str, **fields) -> Organization:
    specialities = fields.pop("specialities", None)
    org = Organization(name=name, kind=kind, **fields)
    org.full_clean()
    org.save()
    if specialities:
        org.specialities.set(specialities)
    organization_group(org)
    return org


@transaction.atomic
def user_create(
    *, username: str, password: str | None, organization: Organization | None, role: str, **fields
) -> User:
    user = User(username=username, organization=organization, role=role, **fields)
    user.is_staff = role == Role.CENTRE_ADMIN  # the admin login form asks for is_staff
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    if organization is not None:
        user.groups.add(organization_group(organization))
    return user
