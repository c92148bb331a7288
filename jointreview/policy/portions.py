"""Portions (各部门审查范围) as data.

The catalogue says which materials each item's agency reviews (a material belongs to an item),
which materials every agency of an application reads (``Material.shared``: site plan, project
basics), and whether the workflow's lead agency (牵头单位) reads every material
(``Workflow.lead_reads_all``). When an application is accepted, each assignment records its
portion (``Assignment.portion``: material codes, ``reads_all``) and the agency's group is granted
``view_document`` on exactly those documents; uploads later in the case (容缺 materials, revised
documents) are granted to the agencies whose recorded portion covers them. A catalogue change
therefore takes effect for applications accepted afterwards.
"""
from __future__ import annotations

from collections.abc import Iterable

from jointreview.models import Application, ApplicationItem, ApplicationMaterial, Assignment, Material


def portions_for(app: Application, items_by_agency: dict[int, list[ApplicationItem]],
                 materials: Iterable[ApplicationMaterial]) -> dict[int, tuple[list[str], bool]]:
    """(material codes, reads_all) of each agency on one application, from the catalogue now: the
    materials of its items and the application's shared materials (``materials``: every
    ApplicationMaterial of the application, with its material read). One query for all agencies."""
    wf = app.workflow
    own: dict[int, set[str]] = {}
    for item_id, code in Material.objects.filter(
        item_id__in={ai.item_id for items in items_by_agency.values() for ai in items}
    ).values_list("item_id", "code"):
        own.setdefault(item_id, set()).add(code)
    shared = {am.material.code for am in materials if am.material.shared}
    out = {}
    for agency_id, items in items_by_agency.items():
        codes = set(shared).union(*(own.get(ai.item_id, set()) for ai in items))
        out[agency_id] = (sorted(codes), bool(wf.lead_reads_all and wf.lead_agency_id == agency_id))
    return out


def covers(assignment: Assignment, material_code: str) -> bool:
    return assignment.reads_all or material_code in (assignment.portion or [])


def portion_document_ids(assignment: Assignment, materials: Iterable[ApplicationMaterial]) -> list[int]:
    """The uploaded documents within the assignment's portion, of ``materials`` (every
    ApplicationMaterial of its application, with its material read)."""
    codes = set(assignment.portion or [])
    return sorted({am.document_id for am in materials
                   if am.document_id is not None and (assignment.reads_all or am.material.code in codes)})


def portion_labels(assignment: Assignment) -> list[str]:
    """Names of the materials of the portion, for the page ("your portion: ...")."""
    qs = ApplicationMaterial.objects.filter(application_id=assignment.application_id).select_related("material")
    if not assignment.reads_all:
        qs = qs.filter(material__code__in=assignment.portion or [])
    seen: dict[str, str] = {}
    for am in qs.order_by("material__item__order", "material__order"):
        label = am.material.name + (" *" if am.material.shared else "")
        seen.setdefault(am.material.code, label)
    return list(seen.values())
