"""Group membership follows ``User.organization``, whichever way a user is created or moved (the
admin, a service, a command, the shell): the one piece of derived data kept by a signal, because
it must hold for every write path. The permission group of an organization can never be given to a
member of another organization (refused for any path, including ``group.user_set.add``).
Grants themselves are written by the services that change state (jointreview/policy)."""
from __future__ import annotations

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db.models.signals import m2m_changed, post_save
from django.dispatch import receiver
from django.utils.translation import gettext as _

from .models import Organization, User
from .services import sync_organization_group


@receiver(post_save, sender=User, dispatch_uid="projects.user_follows_organization")
def user_follows_organization(sender, instance: User, created: bool, raw: bool = False, update_fields=None,
                              **kwargs) -> None:
    if raw:
        return
    if update_fields is not None and "organization" not in update_fields:
        return  # e.g. the login's last_login update
    sync_organization_group(instance)


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="projects.refuse_foreign_org_groups")
def refuse_foreign_organization_groups(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    if action != "pre_add" or not pk_set:
        return
    if not reverse:  # user.groups.add(groups)
        pairs = [(instance, gid) for gid in pk_set]
    else:  # group.user_set.add(users)
        pairs = [(u, instance.pk) for u in User.objects.filter(pk__in=pk_set)]
    org_of_group = dict(
        Organization.objects.filter(group_id__in={gid for _u, gid in pairs}).values_list("group_id", "pk")
    )
    for user, gid in pairs:
        org_id = org_of_group.get(gid)
        if org_id is not None and org_id != user.organization_id:
            name = Group.objects.filter(pk=gid).values_list("name", flat=True).first()
            raise PermissionDenied(
                _("The permission group %(name)s belongs to another organization; a user's group follows "
                  "the user's organization.") % {"name": name}
            )
