"""The world the permission matrix runs in, built through the real services: an owner's accepted
application with two agencies (X: lead, reviewer A, backup B; Y: another agency on the same
application), a returned-then-accepted history (a one-time notice), reviewer A's draft opinion
with a finding and an attachment, an approved pause (its pause notice issued), a draft joint
notice, a survey report; and the same again for a third owner with a third agency (the foreign
objects no role of the matrix is involved in)."""
from __future__ import annotations

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile

from jointreview.documents.services import issued_document_render
from jointreview.intake import services as intake
from jointreview.models import (
    ExtensionRequest,
    IssuedDocument,
    IssuedKind,
    Notification,
    Opinion,
    SupervisionRecord,
    SurveyReport,
)
from jointreview.review import services as review
from tests.factories import (
    PDF_BYTES,
    AgencyFactory,
    CentreAdminFactory,
    CentreFactory,
    CentreLeaderFactory,
    CoordinatorFactory,
    ItemFactory,
    LeadFactory,
    MaterialFactory,
    OwnerUserFactory,
    ProjectFactory,
    ReviewerFactory,
    WorkflowFactory,
)

TODAY = datetime.date(2026, 3, 2)


def _pdf(name="drawing.pdf"):
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def _case(*, owner, coordinator, agencies: dict, lead, reviewer_a, reviewer_b, tag: str) -> dict:
    """One owner's application accepted to ``agencies`` ({key: agency}) through the services."""
    workflow = WorkflowFactory(name=f"联审-{tag}")
    items = {}
    for i, (key, agency) in enumerate(agencies.items()):
        items[key] = ItemFactory(workflow=workflow, agency=agency, order=i)
        MaterialFactory(item=items[key], code=f"m-{key}-{tag}", name=f"{key} 材料")
    MaterialFactory(item=items[next(iter(agencies))], code=f"site-{tag}", name="总平面图", shared=True)
    competitive = ItemFactory(workflow=workflow, agency=None, competitive=True, kind="intermediary", order=9,
                              applicability={"field": "underground_area", "op": ">", "value": 10 ** 9})
    project = ProjectFactory(owner=owner.organization, name=f"项目-{tag}")
    app = intake.application_open(actor=owner, project=project, workflow=workflow)
    for am in app.materials.all():
        intake.document_upload(actor=owner, application_material=am, upload=_pdf())
    intake.application_submit(actor=owner, application=app)
    ams = list(app.materials.all())
    intake.completeness_check(actor=coordinator, application=app, results=[
        {"material_id": am.pk, "status": "defective" if i == 0 else "ok", "note": "缺少签章"}
        for i, am in enumerate(ams)])
    completeness_notice = intake.application_return(actor=coordinator, application=app)
    intake.document_upload(actor=owner, application_material=ams[0], upload=_pdf("signed.pdf"))
    intake.application_submit(actor=owner, application=app)
    intake.completeness_check(actor=coordinator, application=app,
                              results=[{"material_id": am.pk, "status": "ok"} for am in ams])
    intake.application_accept(actor=coordinator, application=app, today=TODAY)
    x = app.assignments.get(agency=next(iter(agencies.values())))
    review.assignment_assign(actor=lead, assignment_id=x.pk, reviewer_id=reviewer_a.pk, backup_id=reviewer_b.pk)
    draft = review.opinion_save_draft(actor=reviewer_a, assignment_id=x.pk, outcome="revise", summary="草稿意见")
    own_version = app.materials.get(material__code=f"m-{next(iter(agencies))}-{tag}").document.versions.first()
    finding = review.finding_add(actor=reviewer_a, assignment_id=x.pk, text="疏散宽度不足", standard="GB 50016-2014",
                                 clause="5.5.18", document_version_id=own_version.pk)
    attachment = review.opinion_attach(actor=reviewer_a, opinion_id=draft.pk, upload=_pdf("calc.pdf"))
    pause = review.pause_request(actor=reviewer_a, assignment_id=x.pk, reason="site_inspection",
                                 reason_text="现场踏勘", expected_days=3)
    review.pause_decide(actor=coordinator, pause_id=pause.pk, approve=True, on=TODAY)
    pause_notice = IssuedDocument.objects.get(kind=IssuedKind.PAUSE_NOTICE, application=app)
    draft_notice = IssuedDocument.objects.create(
        kind=IssuedKind.JOINT_NOTICE, application=app, round=app.rounds.get(number=1), number=f"ZH-{tag}",
        verification_code=f"DRAFT{tag.upper()}", title="综合审查意见书")
    for doc in (completeness_notice, pause_notice, draft_notice):  # as the render task would
        issued_document_render(document_id=doc.pk)
    other_keys = list(agencies)[1:]
    report = SurveyReport.objects.create(application=app, department=agencies[other_keys[0]] if other_keys
                                         else next(iter(agencies.values())), title=f"分编报告-{tag}")
    other_version = (app.materials.get(material__code=f"m-{other_keys[0]}-{tag}").document.versions.first()
                     if other_keys else own_version)
    notices = Notification.objects.filter(application=app)
    notifications = {  # one for the owner, one for agency X, one for reviewer A alone, one for the centre
        "owner_notification": notices.get(key=f"application-{app.pk}-accepted"),
        "agency_notification": notices.get(key=f"pause-{pause.pk}-approved-agency"),
        "personal_notification": notices.get(kind="assignment_assigned", user=reviewer_a),
        "centre_notification": notices.filter(key__startswith=f"pause-{pause.pk}-requested").first(),
    }
    return {
        **notifications,
        "project": project, "application": app, "assignment": x, "opinion": Opinion.objects.get(pk=draft.pk),
        "finding": finding, "attachment": attachment, "pause": pause, "pause_notice": pause_notice,
        "completeness_notice": completeness_notice, "draft_notice": draft_notice, "report": report,
        "version": own_version, "other_version": other_version, "competitive_item": competitive,
        "material": ams[0], "verification_code": pause_notice.verification_code,
    }


def build_world() -> dict:
    centre = CentreFactory()
    coordinator = CoordinatorFactory(organization=centre)
    users = {
        "owner": OwnerUserFactory(),
        "other_owner": OwnerUserFactory(),
        "coordinator": coordinator,
        "centre_admin": CentreAdminFactory(organization=centre),
    }
    agency_x, agency_y = AgencyFactory(name="审查机构X"), AgencyFactory(name="审查机构Y")
    users["lead"] = LeadFactory(organization=agency_x)
    users["reviewer_a"] = ReviewerFactory(organization=agency_x)
    users["reviewer_b"] = ReviewerFactory(organization=agency_x)
    users["other_reviewer"] = ReviewerFactory(organization=agency_y)
    LeadFactory(organization=agency_y)
    own = _case(owner=users["owner"], coordinator=coordinator, agencies={"x": agency_x, "y": agency_y},
                lead=users["lead"], reviewer_a=users["reviewer_a"], reviewer_b=users["reviewer_b"], tag="own")
    # the foreign case: a third owner, a third agency; no role of the matrix takes part
    agency_z = AgencyFactory(name="审查机构Z")
    z_lead, z_a, z_b = LeadFactory(organization=agency_z), ReviewerFactory(organization=agency_z), \
        ReviewerFactory(organization=agency_z)
    foreign = _case(owner=OwnerUserFactory(), coordinator=coordinator, agencies={"z": agency_z}, lead=z_lead,
                    reviewer_a=z_a, reviewer_b=z_b, tag="foreign")
    users["leader"] = CentreLeaderFactory(organization=centre)
    own["record"], own["extension"] = _supervision(own, [users["reviewer_a"], users["reviewer_b"], users["lead"],
                                                         coordinator], requester=users["reviewer_a"], tag="own")
    foreign["record"], foreign["extension"] = _supervision(foreign, [z_lead, z_a], requester=z_a, tag="foreign")
    return {"users": users, "own": own, "foreign": foreign}


def _supervision(case: dict, addressees: list, *, requester, tag: str):
    """A red supervision record of the case's assignment and an extension request pending on it."""
    a = case["assignment"]
    record = SupervisionRecord.objects.create(
        number=f"DB-{tag}", key=f"world-{tag}", source="clock", level=2, light="red", rule_code="CLK-R",
        warning_type="2", application=case["application"], assignment=a, clock_id=a.clock_id,
        department=a.agency, content=f"{case['application'].number} / {a.agency}", respond_by=TODAY)
    record.addressees.set(addressees)
    extension = ExtensionRequest.objects.create(assignment=a, clock_id=a.clock_id, days=10, reason="专家论证",
                                                requested_by=requester)
    return record, extension
