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
    user.save()  # the organization's group follows (projects/signals.py)
    return user


def sync_organization_group(user: User) -> None:
    """Make the user a member of its organization's group and of no other organization's group."""
    if user.pk is None:
        return
    want = {organization_group(user.organization).pk} if user.organization_id else set()
    have = set(user.groups.filter(organization__isnull=False).values_list("pk", flat=True))
    if have - want:
        user.groups.remove(*(have - want))
    if want - have:
        user.groups.add(*(want - have))
