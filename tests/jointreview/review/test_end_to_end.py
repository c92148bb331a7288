"""End to end through the real intake services: 3 agencies, one asks for revision, round 2 goes
only to that agency, then approval; the joint notice and certificate PDFs contain (by pypdf text
extraction) every finding and the Chinese project name."""
from __future__ import annotations

import datetime
import io
import re

import pypdf
import pytest
from django.urls import reverse

from jointreview.documents import services as documents
from jointreview.intake import services as intake
from jointreview.models import (
    ApplicationStatus,
    Assignment,
    AssignmentStatus,
    ClockState,
    Finding,
    IssuedDocument,
    IssuedKind,
    Notification,
    Opinion,
    ReviewRound,
)
from jointreview.review import services as review
from tests.factories import (
    PDF_BYTES,
    AgencyFactory,
    CentreFactory,
    CoordinatorFactory,
    ItemFactory,
    LeadFactory,
    MaterialFactory,
    OwnerFactory,
    OwnerUserFactory,
    ReviewerFactory,
    SpecialityFactory,
    WorkflowFactory,
)

pytestmark = pytest.mark.django_db
D = datetime.date
PROJECT_NAME = "示范市高新区人民医院门急诊综合楼"


def pdf_text(doc: IssuedDocument) -> str:
    doc.refresh_from_db()
    assert doc.file, f"{doc.number} was not rendered"
    with doc.file.open("rb") as fh:
        reader = pypdf.PdfReader(io.BytesIO(fh.read()))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def three_agency_workflow():
    """A 多图联审 workflow with one item at each of three agencies (fire, civil defence, structure), and
    per agency its lead, a reviewer (A) and a backup (B)."""
    workflow = WorkflowFactory(name="多图联审")
    sides = []
    for i, (spec_code, spec_name) in enumerate([("fire", "消防"), ("defence", "人防"), ("structure", "结构")]):
        agency = AgencyFactory(name=f"示范市{spec_name}审查机构")
        item = ItemFactory(workflow=workflow, agency=agency, name=f"{spec_name}设计审查", order=i,
                           speciality=SpecialityFactory(code=spec_code, name=spec_name), promised_limit_value=10)
        MaterialFactory(item=item, name=f"{spec_name}施工图", accepted_types="pdf")
        sides.append({"agency": agency, "lead": LeadFactory(organization=agency),
                      "reviewer": ReviewerFactory(organization=agency),
                      "backup": ReviewerFactory(organization=agency)})
    return workflow, sides


def assert_rounds_page_shows(client, app, text, *users):
    for user in users:
        client.force_login(user)
        page = client.get(reverse("review:application_rounds", args=[app.pk]))
        assert page.status_code == 200 and text in page.content.decode(), user


def test_three_agencies_one_revision_round_two_then_certificate(client, run_tasks,
                                                                django_capture_on_commit_callbacks):
    # --- the catalogue: one workflow, three items at three agencies
    coordinator = CoordinatorFactory(organization=CentreFactory())
    workflow, sides = three_agency_workflow()

    # --- intake: register, open, upload, submit, check, accept (fan-out)
    owner = OwnerUserFactory(organization=OwnerFactory(name="示范市卫生健康委员会"))
    project = intake.project_register(
        actor=owner, code="2025-320500-84-01-000777", name=PROJECT_NAME, location="示范市高新区", flow_type="gov_building",
        floor_area="48000", underground_area="12000", height_m="45", investment="90000",
    )
    app = intake.application_open(actor=owner, project=project, workflow=workflow)
    for am in app.materials.all():
        intake.document_upload(actor=owner, application_material=am, upload=("drawing.pdf", PDF_BYTES))
    intake.application_submit(actor=owner, application=app)
    intake.completeness_check(actor=coordinator, application=app, results=[
        {"material_id": am.pk, "status": "ok"} for am in app.materials.all()
    ])
    with django_capture_on_commit_callbacks(execute=True):
        intake.application_accept(actor=coordinator, application=app, today=D(2026, 3, 2))
    app.refresh_from_db()
    assert app.status == ApplicationStatus.ACCEPTED and app.current_round == 1
    for s in sides:
        s["assignment"] = Assignment.objects.get(application=app, agency=s["agency"], round_number=1)
        assert Notification.objects.filter(assignment=s["assignment"], kind="assignment").exists()
    fire, defence, structure = sides

    # --- agency work: assign, a pause told to the owner, opinions
    for s in sides:
        review.assignment_assign(actor=s["lead"], assignment_id=s["assignment"].pk, reviewer_id=s["reviewer"].pk,
                                 backup_id=s["backup"].pk)
    pr = review.pause_request(actor=defence["reviewer"], assignment_id=defence["assignment"].pk,
                              reason="expert_review", reason_text="人防工程专家论证", expected_days=3)
    with django_capture_on_commit_callbacks(execute=True):
        review.pause_decide(actor=coordinator, pause_id=pr.pk, approve=True, on=D(2026, 3, 4))
    review.pause_end(actor=defence["reviewer"], pause_id=pr.pk, on=D(2026, 3, 9))
    assert Notification.objects.filter(organization=project.owner, kind="pause_notice").exists()

    version = app.materials.select_related("document").first().document.versions.get()
    findings_r1 = {
        "fire": ["地下车库防火分区面积超过4000平方米, 应按规范划分", "疏散楼梯间应采用封闭楼梯间 <建施-05>"],
        "defence": ["建议人防出入口增设防倒塌棚架"],
    }
    with django_capture_on_commit_callbacks(execute=True):
        review.opinion_save_draft(actor=structure["reviewer"], assignment_id=structure["assignment"].pk,
                                  outcome="pass", summary="结构设计符合要求")
        review.opinion_sign(actor=structure["reviewer"], opinion_id=Opinion.objects.get(
            assignment=structure["assignment"]).pk, on=D(2026, 3, 10))
        review.opinion_save_draft(actor=defence["reviewer"], assignment_id=defence["assignment"].pk,
                                  outcome="conditional", summary="有条件通过")
        review.finding_add(actor=defence["reviewer"], assignment_id=defence["assignment"].pk,
                           text=findings_r1["defence"][0], standard="GB 50038-2005", clause="3.3.2")
        review.opinion_sign(actor=defence["reviewer"], opinion_id=Opinion.objects.get(
            assignment=defence["assignment"]).pk, on=D(2026, 3, 11))
        # the reviewer A is away: B signs for the fire agency
        review.user_mark_absent(actor=fire["lead"], user_id=fire["reviewer"].pk, absent=True)
        review.opinion_save_draft(actor=fire["backup"], assignment_id=fire["assignment"].pk, outcome="revise",
                                  summary="请修改后复审")
        for n, text in enumerate(findings_r1["fire"]):
            review.finding_add(actor=fire["backup"], assignment_id=fire["assignment"].pk, text=text,
                               standard="GB 50016-2014", clause=f"5.3.{n + 1}", mandatory=True,
                               document_version_id=version.pk, sheet=f"建施-0{n + 4}")
        review.opinion_sign(actor=fire["backup"], opinion_id=Opinion.objects.get(assignment=fire["assignment"]).pk,
                            on=D(2026, 3, 12))
    rnd1 = ReviewRound.objects.get(application=app, number=1)
    assert rnd1.completed_at is not None
    notice1 = IssuedDocument.objects.get(round=rnd1, kind=IssuedKind.JOINT_NOTICE)
    assert notice1.state == IssuedDocument.State.DRAFT
    client.force_login(owner)
    assert client.get(reverse("review:issued_file", args=[notice1.pk])).status_code == 404  # draft: centre only
    with django_capture_on_commit_callbacks(execute=True):
        review.notice_issue(actor=coordinator, notice_id=notice1.pk, on=D(2026, 3, 13))
    app.refresh_from_db()
    assert app.status == ApplicationStatus.REVISION
    text1 = pdf_text(notice1)
    assert flat(PROJECT_NAME) in text1
    for text in findings_r1["fire"] + findings_r1["defence"]:
        assert flat(text) in text1, text
    assert "人防工程专家论证" in text1 and notice1.number in text1
    assert "第1页/共" in text1 and notice1.verification_code in text1

    # --- the owner answers, uploads a revision, resubmits: round 2 only to the fire agency
    for f in Finding.objects.filter(opinion__assignment=fire["assignment"]):
        review.finding_respond(actor=owner, finding_id=f.pk, response="fixed", text=f"已修改: {f.sheet}")
    fire_material = app.materials.get(material__item__agency=fire["agency"])
    intake.document_upload(actor=owner, application_material=fire_material, upload=("drawing-v2.pdf", PDF_BYTES),
                           note="按审查意见修改")
    with django_capture_on_commit_callbacks(execute=True):
        rnd2 = review.application_resubmit(actor=owner, application_id=app.pk, on=D(2026, 3, 17))
    round2 = list(Assignment.objects.filter(application=app, round_number=2))
    assert [a.agency_id for a in round2] == [fire["agency"].pk]
    a2 = round2[0]
    assert a2.previous_id == fire["assignment"].pk and a2.clock.state == ClockState.RUNNING
    assert Notification.objects.filter(assignment=a2, kind="assignment").exists()
    # the fire reviewer is back; closes both carried findings and passes
    review.user_mark_absent(actor=fire["lead"], user_id=fire["reviewer"].pk, absent=False)
    op2 = review.opinion_save_draft(actor=fire["reviewer"], assignment_id=a2.pk, outcome="pass", summary="已按意见修改")
    assert op2.findings.count() == 2
    for f in op2.findings.all():
        review.finding_update(actor=fire["reviewer"], finding_id=f.pk, state="closed")
    with django_capture_on_commit_callbacks(execute=True):
        review.opinion_sign(actor=fire["reviewer"], opinion_id=op2.pk, on=D(2026, 3, 19))
    rnd2.refresh_from_db()
    assert rnd2.completed_at is not None
    notice2 = IssuedDocument.objects.get(round=rnd2, kind=IssuedKind.JOINT_NOTICE)
    assert {c["agency"] for c in notice2.content["carried_over"]} == {str(defence["agency"]),
                                                                       str(structure["agency"])}
    review.notice_issue(actor=coordinator, notice_id=notice2.pk, on=D(2026, 3, 20))
    text2 = pdf_text(documents.issued_document_render(document_id=notice2.pk))
    assert flat(PROJECT_NAME) in text2 and all(flat(t) in text2 for t in findings_r1["fire"])
    assert "已关闭" in text2

    # --- approval
    with django_capture_on_commit_callbacks(execute=True):
        cert = review.certificate_issue(actor=coordinator, application_id=app.pk, on=D(2026, 3, 23))
    app.refresh_from_db()
    assert app.status == ApplicationStatus.APPROVED and app.clock.state == ClockState.STOPPED
    assert cert.kind == IssuedKind.CERTIFICATE
    cert_text = pdf_text(cert)
    assert flat(PROJECT_NAME) in cert_text and flat("审查合格书") in cert_text
    for text in findings_r1["fire"] + findings_r1["defence"]:
        assert flat(text) in cert_text, text
    # round history stays visible to everyone entitled to the application
    assert_rounds_page_shows(client, app, notice1.number, owner, fire["reviewer"], structure["reviewer"], coordinator)
    # the public check
    client.logout()
    page = client.get(reverse("verify", args=[cert.verification_code]))
    assert page.status_code == 200 and PROJECT_NAME in page.content.decode() and cert.number in page.content.decode()
    assert Assignment.objects.filter(application=app, status=AssignmentStatus.SIGNED).count() == 4
