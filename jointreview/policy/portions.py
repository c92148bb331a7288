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


def portion_for(app: Application, agency_id: int, items: Iterable[ApplicationItem]) -> tuple[list[str], bool]:
    """(material codes, reads_all) of one agency on one application, from the catalogue now."""
    wf = app.workflow
    reads_all = bool(wf.lead_reads_all and wf.lead_agency_id == agency_id)
    item_ids = [ai.item_id for ai in items]
    own = set(Material.objects.filter(item_id__in=item_ids).values_list("code", flat=True))
    shared = set(
        ApplicationMaterial.objects.filter(application=app, material__shared=True).values_list(
            "material__code", flat=True
        )
    )
    return sorted(own | shared), reads_all


def covers(assignment: Assignment, material_code: str) -> bool:
    return assignment.reads_all or material_code in (assignment.portion or [])


def portion_document_ids(app: Application, assignment: Assignment) -> list[int]:
    """The application's uploaded documents within the assignment's portion."""
    qs = ApplicationMaterial.objects.filter(application=app, document__isnull=False)
    if not assignment.reads_all:
        qs = qs.filter(material__code__in=assignment.portion or [])
    return sorted(set(qs.values_list("document_id", flat=True)))


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
