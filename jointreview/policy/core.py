"""What every policy module shares: 404 alike for missing and not-yours, the guardian grants of a
user's organization, and the grant writers used by the services that change state.

The mechanism of record is django-guardian (object permissions given to the group of the
organization). Membership of that group follows ``User.organization`` (projects/signals.py), and
the checks below read the grants of the user's *organization's* group, so a group added by hand
gives nothing. Rules that are not grants (the centre reads everything, an owner owns its projects,
the acting reviewer writes) are written next to the predicate that uses them.
"""
from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Q, Subquery
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from guardian.shortcuts import assign_perm

from projects.models import Organization

# what a 404 names, by the English word the access functions pass (the message is shown in the reader's
# language; an unlisted word is shown as it is)
_NOUNS = {
    "object": gettext_lazy("object"),
    "application": gettext_lazy("application"),
    "assignment": gettext_lazy("assignment"),
    "attachment": gettext_lazy("attachment"),
    "document": gettext_lazy("document"),
    "document version": gettext_lazy("document version"),
    "finding": gettext_lazy("finding"),
    "opinion": gettext_lazy("opinion"),
    "pause request": gettext_lazy("pause request"),
    "project": gettext_lazy("project"),
    "report": gettext_lazy("report"),
}


def not_found(what: str = "object") -> Http404:
    """The one answer for 'missing' and 'not yours' (no difference a prober could read)."""
    return Http404(_("No such %(what)s, or you may not see it.") % {"what": _NOUNS.get(what, what)})


def fetch_visible(queryset, pk, what: str, visible):
    """The row ``pk`` of ``queryset`` if ``visible(row)``; otherwise the one 404, alike for a missing
    row, a malformed id and a row the user may not see (every ``access_<thing>`` starts here)."""
    try:
        obj = queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise not_found(what) from None
    if not visible(obj):
        raise not_found(what)
    return obj


def authenticated(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def is_centre(user) -> bool:
    return authenticated(user) and bool(getattr(user, "is_centre", False))


def is_owner_of(user, owner_id: int | None) -> bool:
    """Rule: staff of the project's owner organization."""
    return authenticated(user) and bool(user.is_owner) and owner_id is not None and user.organization_id == owner_id


def is_agency_member(user, agency_id: int | None) -> bool:
    """Rule: a reviewer or lead of this agency."""
    return authenticated(user) and bool(user.is_agency) and agency_id is not None and user.organization_id == agency_id


def _org_id(user) -> int | None:
    """The user's organization, whose permission group's grants count (a group added by hand does not)."""
    if not authenticated(user) or not user.organization_id:
        return None
    return user.organization_id


def _grant_model(model):
    """The direct foreign-key group permission model guardian uses for ``model``."""
    from guardian.utils import get_group_obj_perms_model

    return get_group_obj_perms_model(model)


def has_grant(user, codename: str, obj) -> bool:
    """Does the user's organization's group hold ``codename`` on ``obj``? One query per object,
    cached for the request."""
    org_id = _org_id(user)
    if org_id is None or obj is None or obj.pk is None:
        return False
    cache = user.__dict__.setdefault("_jr_policy", {})
    key = (obj._meta.label, obj.pk)
    if key not in cache:
        gop = _grant_model(type(obj))
        cache[key] = set(
            gop.objects.filter(group__organization=org_id, content_object_id=obj.pk).values_list(
                "permission__codename", flat=True
            )
        )
    return codename in cache[key]


def prefetch_grants(user, objs) -> None:
    """Load the grants of the user's organization on many objects of one model in one query, so the
    per-row predicates of a list page cost nothing more."""
    objs = [o for o in objs if o is not None and o.pk is not None]
    org_id = _org_id(user)
    if org_id is None or not objs:
        return
    cache = user.__dict__.setdefault("_jr_policy", {})
    label = objs[0]._meta.label
    for o in objs:
        cache.setdefault((label, o.pk), set())
    gop = _grant_model(type(objs[0]))
    rows = gop.objects.filter(group__organization=org_id, content_object_id__in=[o.pk for o in objs]).values_list(
        "content_object_id", "permission__codename"
    )
    for pk, codename in rows:
        cache[(label, pk)].add(codename)


def granted_q(user, codename: str, model, field: str = "pk") -> Q:
    """A filter for lists: rows whose ``field`` (the guarded object's pk) the user's organization holds
    ``codename`` on. One subquery, no per-row query."""
    org_id = _org_id(user)
    if org_id is None:
        return Q(pk__in=[])
    gop = _grant_model(model)
    # the group and the permission as scalar subqueries (not joins): PostgreSQL then estimates the grant rows
    # of one group and one permission from the table's statistics and hashes them, where the joins made it
    # guess one row and re-scan every grant of the organization for each candidate row (a page of 50
    # assignments of an agency holding thousands read ~800,000 grant rows)
    group = Subquery(Organization.objects.filter(pk=org_id).order_by().values("group_id")[:1])
    permission = Subquery(Permission.objects.filter(
        content_type=ContentType.objects.get_for_model(model), codename=codename).order_by().values("pk")[:1])
    ids = gop.objects.filter(group_id=group, permission_id=permission).values("content_object_id")
    return Q(**{f"{field}__in": ids})


# --------------------------------------------------------------------------- grant writers (services)


def grant(perm: str, org: Organization, obj) -> None:
    """Give an organization's group ``perm`` on one object (never a global grant)."""
    from projects.services import organization_group

    assign_perm(perm, organization_group(org), obj)


def grant_many(grants: list[tuple[str, Organization, Any]]) -> None:
    """``grant`` for many (perm, organization, object) triples at once, existing grants left alone: on
    PostgreSQL ONE statement for every direct foreign-key grant table (an accept grants on assignments,
    its application and documents), elsewhere one bulk insert per table. Permission ids are read once
    per process (``permission_ids``)."""
    if not grants:
        return
    kinds = {type(obj) for _p, _o, obj in grants}
    ct_of = {cls: ContentType.objects.get_for_model(cls).pk for cls in kinds}
    perms = permission_ids({(ct_of[type(obj)], perm.split(".")[-1]) for perm, _o, obj in grants})
    models = {cls: _grant_model(cls) for cls in kinds}
    rows: dict[type, list[tuple[int, int, Any]]] = {}
    for perm, org, obj in grants:
        key = (ct_of[type(obj)], perm.split(".")[-1])
        if key not in perms:
            raise LookupError(f"unknown permission {perm} for {obj._meta.label}")
        rows.setdefault(models[type(obj)], []).append((perms[key], _group_id(org), obj))
    direct = {model: triples for model, triples in rows.items() if _is_direct(model)}
    if direct and connection.vendor == "postgresql":
        _insert_direct_grants(direct)
        rows = {model: triples for model, triples in rows.items() if model not in direct}
    for model, triples in rows.items():
        model.objects.bulk_create([_grant_row(model, *t) for t in triples], ignore_conflicts=True)


_PERMISSION_IDS: dict[tuple[int, str], int] = {}


def permission_ids(wanted: set[tuple[int, str]]) -> dict[tuple[int, str], int]:
    """(content type id, codename) -> permission id, read from the database once per process (one query for
    what is not known yet); ``forget_permission_ids`` (on post_migrate, which a flush also sends) empties it."""
    missing = wanted - _PERMISSION_IDS.keys()
    if missing:
        for p in Permission.objects.filter(content_type_id__in={ct for ct, _c in missing},
                                           codename__in={c for _ct, c in missing}).only("pk", "content_type_id",
                                                                                        "codename"):
            _PERMISSION_IDS[(p.content_type_id, p.codename)] = p.pk
    return _PERMISSION_IDS


def forget_permission_ids(**_kwargs) -> None:
    _PERMISSION_IDS.clear()


def _insert_direct_grants(direct: dict[type, list[tuple[int, int, Any]]]) -> None:
    """PostgreSQL: the rows of every direct grant table in one statement (an INSERT per table, all but
    the last as data-modifying CTEs), each from three arrays, ON CONFLICT DO NOTHING (guardian's unique
    group/permission/object). ``test_grant_many_paths`` checks it writes what the ORM path writes."""
    inserts, params = [], []
    for model, triples in direct.items():
        meta = model._meta
        cols = ", ".join(connection.ops.quote_name(meta.get_field(f).column)
                         for f in ("permission", "group", "content_object"))
        table = connection.ops.quote_name(meta.db_table)
        inserts.append(f"INSERT INTO {table} ({cols}) SELECT * FROM unnest(%s::integer[], "  # noqa: S608 (names
                       "%s::integer[], %s::bigint[]) ON CONFLICT DO NOTHING")  # from the models, values parameters)
        params += [[p for p, _g, _o in triples], [g for _p, g, _o in triples], [o.pk for _p, _g, o in triples]]
    ctes = ", ".join(f"g{i} AS ({sql} RETURNING 1)" for i, sql in enumerate(inserts[:-1]))
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {ctes} {inserts[-1]}" if ctes else inserts[-1], params)


def _group_id(org: Organization) -> int:
    from projects.services import organization_group

    return org.group_id or organization_group(org).pk


def _grant_row(model, permission_id: int, group_id: int, obj):
    """One unsaved grant row: by the object's id in a direct foreign-key table (no per-row content type
    or object lookups), through ``content_object`` in guardian's generic one."""
    if _is_direct(model):
        return model(permission_id=permission_id, group_id=group_id, content_object_id=obj.pk)
    return model(permission_id=permission_id, group_id=group_id, content_object=obj)


def _is_direct(model) -> bool:
    return any(f.attname == "content_object_id" for f in model._meta.concrete_fields)
