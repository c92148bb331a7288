"""The intake services: open, upload, submit, check, 一次告知, 容缺, accept, and their refusals."""
from __future__ import annotations

import datetime
import hashlib
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from guardian.shortcuts import get_perms

from jointreview import policy
from jointreview.documents import services as documents
from jointreview.intake import fanout
from jointreview.intake import services as intake
from jointreview.models import (
    AcceptanceMode,
    Application,
    ApplicationItem,
    ApplicationMaterial,
    ApplicationStatus,
    Assignment,
    AuditEvent,
    CheckStatus,
    Clock,
    Deferral,
    FeeOrder,
    IssuedDocument,
    NoticeDefect,
    Notification,
    RegionalEvaluation,
    ReviewRound,
)
from jointreview.services.errors import ConflictError, PermissionDeniedError, ServiceError
from projects.models import DocumentVersion
from tests.factories import (
    PDF_BYTES,
    AgencyFactory,
    ItemFactory,
    MaterialFactory,
    OwnerUserFactory,
    ReviewerFactory,
    ZoneFactory,
)

from .conftest import PNG_BYTES, check_all_ok, make_world, pdf, ready_app, submitted_app, upload_all

pytestmark = pytest.mark.django_db

COUNTED = (Application, ApplicationItem, ApplicationMaterial, Assignment, ReviewRound, Clock, Notification,
           IssuedDocument, NoticeDefect, Deferral, FeeOrder, DocumentVersion, AuditEvent)


def counts():
    return {m.__name__: m.objects.count() for m in COUNTED}


# ----------------------------------------------------------------------------------------- open


def test_open_derives_every_item_required_or_not_with_reason(world):
    not_needed = ItemFactory(workflow=world.workflow, agency=world.agencies[0], name="人防审查",
                             applicability={"field": "underground_area", "op": ">", "value": 10000})
    MaterialFactory(item=not_needed)
    app = intake.application_open(actor=world.owner, project=world.project, workflow=world.workflow)
    items = {ai.item_id: ai for ai in app.items.all()}
    assert len(items) == 4
    assert items[not_needed.pk].required is False
    assert "地下建筑面积 5000㎡ ≤ 10000㎡" in items[not_needed.pk].reason
    assert all(items[i.pk].required for i in world.items)
    # materials only for required items
    assert set(app.materials.values_list("material__item_id", flat=True)) == {i.pk for i in world.items}
    assert app.status == ApplicationStatus.DRAFT
    # the owner reads its application by rule (the project's owner), not by a grant nothing checks
    assert policy.can_view_application(world.owner, app) and get_perms(world.owner, app) == []
    assert AuditEvent.objects.filter(verb="application.open", target_id=str(app.pk)).exists()


def test_regional_evaluation_exempts_or_simplifies_and_is_named(world):
    zone = ZoneFactory()
    world.project.zone = zone
    world.project.save()
    exempt = RegionalEvaluation.objects.create(
        zone=zone, title="高新区环评区域评估", mode="exempt", valid_from=datetime.date(2020, 1, 1),
        valid_to=datetime.date(2099, 1, 1), report_reference="高新环评〔2024〕1号",
    )
    exempt.items.add(world.items[0])
    simplified = RegionalEvaluation.objects.create(
        zone=zone, title="高新区地灾区域评估", mode="simplified", valid_from=datetime.date(2020, 1, 1),
        valid_to=datetime.date(2099, 1, 1),
    )
    simplified.items.add(world.items[1])
    too_small = RegionalEvaluation.objects.create(
        zone=zone, title="高新区交评", mode="exempt", valid_from=datetime.date(2020, 1, 1),
        valid_to=datetime.date(2099, 1, 1), max_floor_area=Decimal("1000"),
    )
    too_small.items.add(world.items[2])
    app = intake.application_open(actor=world.owner, project=world.project, workflow=world.workflow)
    ai = {a.item_id: a for a in app.items.all()}
    assert ai[world.items[0].pk].required is False
    assert ai[world.items[0].pk].evaluation_mode == "exempt"
    assert "高新区环评区域评估" in ai[world.items[0].pk].reason
    assert ai[world.items[0].pk].regional_evaluation == exempt
    assert ai[world.items[1].pk].required is True and ai[world.items[1].pk].evaluation_mode == "simplified"
    assert "高新区地灾区域评估" in ai[world.items[1].pk].reason
    assert ai[world.items[2].pk].required is True and ai[world.items[2].pk].regional_evaluation is None
    assert "面积上限" in ai[world.items[2].pk].reason
    assert not app.materials.filter(material__item=world.items[0]).exists()


def test_negative_list_and_expired_evaluations_follow_the_normal_route(world):
    zone = ZoneFactory()
    world.project.zone = zone
    world.project.save()
    neg = RegionalEvaluation.objects.create(
        zone=zone, title="负面清单评估", mode="exempt", valid_from=datetime.date(2020, 1, 1),
        valid_to=datetime.date(2099, 1, 1), negative_list=["social"],
    )
    neg.items.add(world.items[0])
    old = RegionalEvaluation.objects.create(
        zone=zone, title="过期评估", mode="exempt", valid_from=datetime.date(2010, 1, 1),
        valid_to=datetime.date(2011, 1, 1),
    )
    old.items.add(world.items[1])
    app = intake.application_open(actor=world.owner, project=world.project, workflow=world.workflow)
    ai = {a.item_id: a for a in app.items.all()}
    assert ai[world.items[0].pk].required and "负面清单" in ai[world.items[0].pk].reason
    assert ai[world.items[1].pk].required and "不在有效期" in ai[world.items[1].pk].reason


def test_only_the_projects_owner_may_open(world):
    stranger = OwnerUserFactory()
    before = counts()
    with pytest.raises(PermissionDeniedError):
        intake.application_open(actor=stranger, project=world.project, workflow=world.workflow)
    with pytest.raises(PermissionDeniedError):
        intake.application_open(actor=world.centre, project=world.project, workflow=world.workflow)
    assert counts() == before


def test_a_second_open_application_for_the_same_workflow_is_refused(world):
    intake.application_open(actor=world.owner, project=world.project, workflow=world.workflow)
    with pytest.raises(ConflictError, match="已有进行中的"):
        intake.application_open(actor=world.owner, project=world.project, workflow=world.workflow)


# ----------------------------------------------------------------------------------------- uploads


def test_upload_creates_immutable_versions_numbered_with_sha256(world):
    app = intake.application_open(actor=world.owner, project=world.project, workflow=world.workflow)
    am = app.materials.first()
    v1 = intake.document_upload(actor=world.owner, application_material=am, upload=pdf("一层平面.pdf"))
    other = PDF_BYTES.replace(b"%%EOF", b"% v2\n%%EOF")
    v2 = intake.document_upload(actor=world.owner, application_material=am,
                                upload=SimpleUploadedFile("一层平面-修改.pdf", other))
    assert (v1.number, v2.number) == (1, 2)
    assert v1.document_id == v2.document_id
    assert v1.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    assert v2.sha256 == hashlib.sha256(other).hexdigest()
    assert v1.original_name == "一层平面.pdf" and v1.content_type == "application/pdf"
    assert "一层平面" not in v1.file.name and v1.sha256 in v1.file.name
    v1.file.open("rb")
    assert v1.file.read() == PDF_BYTES
    am.refresh_from_db()
    assert am.document_id == v1.document_id


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("drawing.pdf", PNG_BYTES, "PNG"),  # a PNG disguised as a PDF
        ("drawing.png", PNG_BYTES, "只接受 pdf"),
        ("drawing.pdf", b"just some text, no magic", "无法识别"),
        ("../../etc/passwd.pdf", PDF_BYTES, "路径"),
        ("dir/drawing.pdf", PDF_BYTES, "路径"),
        ("C:\\temp\\drawing.pdf", PDF_BYTES, "路径"),
        ("draw\x00ing.pdf", PDF_BYTES, "控制字符"),
        ("draw\ning.pdf", PDF_BYTES, "控制字符"),
        ("   ", PDF_BYTES, "文件名为空"),
        ("a" * 201 + ".pdf", PDF_BYTES, "最多200个字符"),
        ("empty.pdf", b"", "文件为空"),
    ],
)
def test_bad_uploads_are_refused_without_rows(world, name, data, message):
    app = intake.application_open(actor=world.owner, project=world.project, workflow=world.workflow)
    am = app.materials.first()
    before = counts()
    with pytest.raises(ServiceError, match=message):
        intake.document_upload(actor=world.owner, application_material=am, upload=(name, data))
    assert counts() == before
    am.refresh_from_db()
    assert am.document_id is None


def test_png_named_pdf_refused_even_when_png_is_accepted(world):
    app = intake.application_open(actor=world.owner, project=world.project, workflow=world.workflow)
    am = app.materials.first()
    am.material.accepted_types = "pdf,png"
    am.material.save()
    with pytest.raises(ServiceError, match="扩展名 .pdf 与内容"):
        intake.document_upload(actor=world.owner, application_material=am, upload=("x.pdf", PNG_BYTES))
    v = intake.document_upload(actor=world.owner, application_material=am, upload=("x.png", PNG_BYTES))
    assert v.content_type == "image/png"


def test_oversize_upload_is_refused(world, settings):
    settings.JR_UPLOAD_MAX_BYTES = 100
    app = intake.application_open(actor=world.owner, project=world.project, workflow=world.workflow)
    am = app.materials.first()
    before = counts()
    big = PDF_BYTES + b"0" * 200
    with pytest.raises(ServiceError, match="上限 100 字节"):
        intake.document_upload(actor=world.owner, application_material=am,
                               upload=SimpleUploadedFile("big.pdf", big))
    assert counts() == before


def test_uploads_only_while_editable_or_for_deferral(world):
    app = submitted_app(world)
    am = app.materials.first()
    with pytest.raises(ConflictError, match="已提交待受理"):
        intake.document_upload(actor=world.owner, application_material=am, upload=pdf())
    with pytest.raises(PermissionDeniedError):
        intake.document_upload(actor=OwnerUserFactory(), application_material=am, upload=pdf())


# ----------------------------------------------------------------------------------------- submit


def test_submit_lists_every_missing_required_material(world):
    app = intake.application_open(actor=world.owner, project=world.project, workflow=world.workflow)
    first = app.materials.first()
    intake.document_upload(actor=world.owner, application_material=first, upload=pdf())
    before = counts()
    with pytest.raises(ServiceError) as exc:
        intake.application_submit(actor=world.owner, application=app)
    for m in world.materials[1:]:
        assert m.name in exc.value.message
    assert world.materials[0].name not in exc.value.message
    assert counts() == before
    app.refresh_from_db()
    assert app.status == ApplicationStatus.DRAFT


def test_submit_then_withdraw(world):
    app = submitted_app(world)
    assert app.__class__.objects.get(pk=app.pk).status == ApplicationStatus.SUBMITTED
    with pytest.raises(ConflictError, match="申请已提交"):
        intake.application_submit(actor=world.owner, application=app)
    intake.application_withdraw(actor=world.owner, application=app, reason="项目调整")
    app.refresh_from_db()
    assert app.status == ApplicationStatus.WITHDRAWN
    with pytest.raises(ConflictError):
        intake.application_withdraw(actor=world.owner, application=app)


# ----------------------------------------------------------------------------------------- 一次告知


def test_return_issues_one_notice_listing_every_defect_and_no_clock(world):
    app = submitted_app(world)
    ams = list(app.materials.order_by("pk"))
    intake.completeness_check(actor=world.centre, application=app, results=[
        {"material_id": ams[0].pk, "status": "ok"},
        {"material_id": ams[1].pk, "status": "defective", "note": "未盖章 not stamped"},
        {"material_id": ams[2].pk, "status": "missing"},
    ])
    notice = intake.application_return(actor=world.centre, application=app)
    app.refresh_from_db()
    assert app.status == ApplicationStatus.RETURNED
    assert app.clock is None and app.accepted_on is None
    assert IssuedDocument.objects.filter(application=app).count() == 1
    defects = list(notice.defects.order_by("pk"))
    assert [(d.material_id, d.problem) for d in defects] == [
        (ams[1].material_id, "defective"), (ams[2].material_id, "missing")]
    assert defects[0].note == "未盖章 not stamped"
    assert notice.kind == "completeness_notice" and notice.state == "issued"
    assert Notification.objects.filter(organization=world.project.owner, kind="completeness_notice").count() == 1
    # the owner supplements and resubmits
    intake.document_upload(actor=world.owner, application_material=ams[1], upload=pdf("fixed.pdf"))
    intake.document_upload(actor=world.owner, application_material=ams[2], upload=pdf("new.pdf"))
    intake.application_submit(actor=world.owner, application=app)
    app.refresh_from_db()
    assert app.status == ApplicationStatus.SUBMITTED
    ams[1].refresh_from_db()
    assert ams[1].check_status == CheckStatus.UNCHECKED


def test_return_needs_every_material_checked(world):
    app = submitted_app(world)
    am = app.materials.first()
    intake.completeness_check(actor=world.centre, application=app,
                              results=[{"material_id": am.pk, "status": "missing"}])
    with pytest.raises(ServiceError, match="请先审查所有材料"):
        intake.application_return(actor=world.centre, application=app)
    assert IssuedDocument.objects.count() == 0


def test_return_with_nothing_wrong_is_refused(world):
    app = ready_app(world)
    with pytest.raises(ServiceError, match="无需退回, 请受理"):
        intake.application_return(actor=world.centre, application=app)


def test_check_refusals(world):
    app = submitted_app(world)
    am = app.materials.first()
    with pytest.raises(ServiceError, match="须写明原因"):
        intake.completeness_check(actor=world.centre, application=app,
                                  results=[{"material_id": am.pk, "status": "defective"}])
    with pytest.raises(ServiceError, match="不是有效的审查结果"):
        intake.completeness_check(actor=world.centre, application=app,
                                  results=[{"material_id": am.pk, "status": "great"}])
    with pytest.raises(PermissionDeniedError):
        intake.completeness_check(actor=world.owner, application=app,
                                  results=[{"material_id": am.pk, "status": "ok"}])


def test_notice_pdf_renders_with_number_and_defects(world):
    import io

    from pypdf import PdfReader

    app = submitted_app(world)
    intake.completeness_check(actor=world.centre, application=app, results=[
        {"material_id": am.pk, "status": "defective", "note": "<script>缺页</script>"}
        for am in app.materials.all()])
    notice = intake.application_return(actor=world.centre, application=app)
    doc = documents.issued_document_render(document_id=notice.pk)
    assert doc.file and len(doc.sha256) == 64
    doc.file.open("rb")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(doc.file.read())).pages)
    assert notice.number in text
    assert "第 1 页 / 共 1 页" in text


# ----------------------------------------------------------------------------------------- accept


def test_accept_creates_one_assignment_per_agency_with_clocks_grants_and_fanout(sent, django_capture_on_commit_callbacks):
    w = make_world(n_agencies=3, single_fee=True)
    extra = ItemFactory(workflow=w.workflow, agency=w.agencies[0], promised_limit_value=12, legal_limit_value=15,
                        fee=50)  # a second item of agency 0: same assignment, longer limit
    MaterialFactory(item=extra)
    app = ready_app(w)
    with django_capture_on_commit_callbacks(execute=True):
        intake.application_accept(actor=w.centre, application=app)
    app.refresh_from_db()
    assert app.status == ApplicationStatus.ACCEPTED and app.acceptance_mode == AcceptanceMode.FULL
    assert app.clock.state == "running" and app.clock.due_date is not None
    assert app.current_round == 1 and app.rounds.count() == 1
    assignments = list(app.assignments.order_by("agency_id"))
    assert [a.agency_id for a in assignments] == sorted(a.pk for a in w.agencies)
    a0 = next(a for a in assignments if a.agency_id == w.agencies[0].pk)
    assert a0.items.count() == 2
    assert a0.clock.limit_value == 12 and a0.due_date == a0.clock.due_date
    for a in assignments:
        reviewer = w.reviewers[a.agency_id]
        assert {"review_assignment", "view_assignment"} <= set(get_perms(reviewer, a))
        assert "view_application" in get_perms(reviewer, app)
        # its portion only: the materials of its own items (no material here is shared)
        for am in app.materials.select_related("material__item"):
            mine = am.material.item.agency_id == a.agency_id
            assert reviewer.has_perm("projects.view_document", am.document) is mine
            assert (am.material.code in a.portion) is mine
        assert a.notify_status == "pending"
    # the fan-out was enqueued once per assignment, on commit
    assert sorted(k["assignment_id"] for n, k in sent if n == "jointreview.notify_assignment") == \
        sorted(a.pk for a in assignments)
    # one fee split among the recipients
    order = FeeOrder.objects.get(application=app)
    assert order.total == Decimal("650.00")
    assert {s.recipient_id: s.amount for s in order.splits.all()} == {
        w.agencies[0].pk: Decimal("150.00"), w.agencies[1].pk: Decimal("200.00"), w.agencies[2].pk: Decimal("300.00")}
    assert AuditEvent.objects.filter(verb="application.accept", target_id=str(app.pk)).count() == 1
    # the notify task itself: exactly one notification per assignment, however often it runs
    for a in assignments:
        assert fanout.assignment_notify(assignment_id=a.pk) is True
        assert fanout.assignment_notify(assignment_id=a.pk) is False
    assert Notification.objects.filter(kind="assignment", application=app).count() == 3
    assert Assignment.objects.filter(application=app, notify_status="sent", notify_attempts=1).count() == 3
    events = AuditEvent.objects.filter(verb="assignment.notify", application=app)
    assert sorted(int(e.target_id) for e in events) == sorted(a.pk for a in assignments)
    assert {e.after["notify_status"] for e in events} == {"sent"}


def test_notify_leaves_the_mail_to_the_sweep(world, django_capture_on_commit_callbacks):
    from django.core import mail

    from jointreview.audit.mail import notification_email_sweep

    app = ready_app(world)
    intake.application_accept(actor=world.centre, application=app)
    a = app.assignments.first()
    with django_capture_on_commit_callbacks(execute=True):
        fanout.assignment_notify(assignment_id=a.pk)
    assert mail.outbox == []  # the fan-out's hot path sends nothing itself
    assert notification_email_sweep() == {"sent": 1, "failed": 0}
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [a.agency.email]
    assert app.number in mail.outbox[0].subject
    assert Notification.objects.get(assignment=a).emailed_at is not None
    assert notification_email_sweep() == {"sent": 0, "failed": 0}  # never twice
    assert len(mail.outbox) == 1


def test_mail_failure_is_retried_by_the_next_sweep(world, monkeypatch):
    from django.core import mail

    from jointreview.audit import mail as mail_service

    app = ready_app(world)
    intake.application_accept(actor=world.centre, application=app)
    a = app.assignments.first()
    assert fanout.assignment_notify(assignment_id=a.pk) is True

    def boom(*args, **kwargs):
        raise OSError("smtp down")

    monkeypatch.setattr(mail_service, "send_mail", boom)
    assert mail_service.notification_email_sweep() == {"sent": 0, "failed": 1}
    n = Notification.objects.get(assignment=a)
    assert n.emailed_at is None
    a.refresh_from_db()
    assert a.notify_status == "sent"  # the in-app notification stands
    monkeypatch.undo()
    assert mail_service.notification_email_sweep() == {"sent": 1, "failed": 0}
    assert len(mail.outbox) == 1


def test_old_notifications_are_not_mailed(world):
    import datetime

    from django.core import mail
    from django.utils import timezone

    from jointreview.audit.mail import notification_email_sweep

    app = ready_app(world)
    intake.application_accept(actor=world.centre, application=app)
    a = app.assignments.first()
    fanout.assignment_notify(assignment_id=a.pk)
    later = timezone.now() + datetime.timedelta(days=2)
    assert notification_email_sweep(now=later) == {"sent": 0, "failed": 0}
    assert mail.outbox == []

def test_accepting_twice_is_a_409_and_creates_nothing(world):
    app = ready_app(world)
    intake.application_accept(actor=world.centre, application=app)
    before = counts()
    with pytest.raises(ConflictError, match="申请已受理") as exc:
        intake.application_accept(actor=world.centre, application=app)
    assert exc.value.status_code == 409
    assert counts() == before


def test_accepting_never_submitted_or_withdrawn_is_refused_without_rows(world):
    draft = intake.application_open(actor=world.owner, project=world.project, workflow=world.workflow)
    upload_all(world, draft)
    before = counts()
    with pytest.raises(ServiceError, match="未提交"):
        intake.application_accept(actor=world.centre, application=draft)
    assert counts() == before
    intake.application_submit(actor=world.owner, application=draft)
    check_all_ok(world, draft)
    intake.application_withdraw(actor=world.owner, application=draft)
    before = counts()
    with pytest.raises(ServiceError, match="申请已撤回"):
        intake.application_accept(actor=world.centre, application=draft)
    assert counts() == before


def test_owner_or_agency_cannot_accept(world):
    app = ready_app(world)
    before = counts()
    for actor in (world.owner, world.reviewers[world.agencies[0].pk]):
        with pytest.raises(PermissionDeniedError) as exc:
            intake.application_accept(actor=actor, application=app)
        assert exc.value.status_code == 403
    assert counts() == before
    app.refresh_from_db()
    assert app.status == ApplicationStatus.SUBMITTED


def test_accept_refuses_unchecked_or_defective_materials(world):
    app = submitted_app(world)
    before = counts()
    with pytest.raises(ServiceError, match="不能受理"):
        intake.application_accept(actor=world.centre, application=app)
    assert counts() == before


def test_late_check_deems_acceptance_on_the_receipt_date(world):
    app = ready_app(world)
    received = datetime.date(2026, 3, 2)  # Monday
    Application.objects.filter(pk=app.pk).update(
        submitted_at=datetime.datetime(2026, 3, 2, 9, tzinfo=datetime.timezone(datetime.timedelta(hours=8))))
    intake.application_accept(actor=world.centre, application=app, today=datetime.date(2026, 3, 12))
    app.refresh_from_db()
    assert app.accepted_on == received and app.clock.started_on == received
    app2 = make_world()
    a2 = ready_app(app2)
    Application.objects.filter(pk=a2.pk).update(
        submitted_at=datetime.datetime(2026, 3, 2, 9, tzinfo=datetime.timezone(datetime.timedelta(hours=8))))
    intake.application_accept(actor=app2.centre, application=a2, today=datetime.date(2026, 3, 6))
    a2.refresh_from_db()
    assert a2.accepted_on == datetime.date(2026, 3, 6)


# ----------------------------------------------------------------------------------------- 容缺


def _deferrable_world():
    w = make_world(n_agencies=2)
    item = w.items[0]
    item.allows_deferral = True
    item.save()
    optional = MaterialFactory(item=item, essential=False, order=5, name="水平衡测试报告")
    return w, optional


def test_accept_with_gaps_records_deferral_and_fulfilment():
    w, optional = _deferrable_world()
    app = intake.application_open(actor=w.owner, project=w.project, workflow=w.workflow)
    for am in app.materials.exclude(material=optional):
        intake.document_upload(actor=w.owner, application_material=am, upload=pdf())
    intake.application_submit(actor=w.owner, application=app)  # the optional one may be deferred
    check_all_ok_except = [am for am in app.materials.all() if am.material_id != optional.pk]
    intake.completeness_check(actor=w.centre, application=app,
                              results=[{"material_id": am.pk, "status": "ok"} for am in check_all_ok_except])
    gap = app.materials.get(material=optional)
    today = datetime.date(2026, 3, 2)
    intake.application_accept(actor=w.centre, application=app, today=today, deferrals=[
        {"material_id": gap.pk, "promised_date": "2026-03-09", "commitment": "承诺3月9日前补交"}])
    app.refresh_from_db()
    assert app.acceptance_mode == AcceptanceMode.WITH_GAPS
    d = Deferral.objects.get(application=app)
    assert d.promised_date == datetime.date(2026, 3, 9) and d.fulfilled_at is None
    gap.refresh_from_db()
    assert gap.check_status == CheckStatus.DEFERRED
    # fulfilment while in review
    v = intake.document_upload(actor=w.owner, application_material=gap, upload=pdf("water.pdf"))
    d.refresh_from_db()
    assert d.fulfilled_version == v and d.fulfilled_at is not None
    reviewer = w.reviewers[w.agencies[0].pk]
    assert reviewer.has_perm("projects.view_document", v.document)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"promised_date": "2026-06-30"}, "事项承诺时限"),
        ({"promised_date": "2026-02-01"}, "事项承诺时限"),
        ({"promised_date": "soon"}, "不是有效日期"),
        ({"commitment": ""}, "书面容缺承诺"),
        ({"essential": True}, "是主要材料, 不能容缺"),
        ({"no_deferral": True}, "不允许容缺受理"),
    ],
)
def test_invalid_deferrals_are_400_without_rows(change, message):
    w, optional = _deferrable_world()
    if change.get("essential"):
        optional.essential = True
        optional.save()
    if change.get("no_deferral"):
        w.items[0].allows_deferral = False
        w.items[0].save()
    app = intake.application_open(actor=w.owner, project=w.project, workflow=w.workflow)
    upload_all(w, app)
    intake.application_submit(actor=w.owner, application=app)
    gap = app.materials.get(material=optional)
    others = [am for am in app.materials.all() if am.pk != gap.pk]
    intake.completeness_check(actor=w.centre, application=app, results=[
        {"material_id": am.pk, "status": "ok"} for am in others] + [
        {"material_id": gap.pk, "status": "defective", "note": "缺页"}])
    deferral = {"material_id": gap.pk, "promised_date": "2026-03-09", "commitment": "承诺"}
    deferral.update({k: v for k, v in change.items() if k in ("promised_date", "commitment")})
    before = counts()
    with pytest.raises(ServiceError, match=message) as exc:
        intake.application_accept(actor=w.centre, application=app, today=datetime.date(2026, 3, 2),
                                  deferrals=[deferral])
    assert exc.value.status_code == 400
    assert counts() == before


# ----------------------------------------------------------------------------------------- intermediaries


def test_competitive_item_needs_a_chosen_firm_of_the_right_speciality(world):
    from projects.models import Speciality

    spec = Speciality.objects.create(code="traffic", name="交通")
    item = ItemFactory(workflow=world.workflow, agency=None, competitive=True, kind="intermediary", speciality=spec)
    MaterialFactory(item=item)
    good = AgencyFactory(agency_type="intermediary", credit_rating="AAA")
    good.specialities.add(spec)
    wrong = AgencyFactory(agency_type="intermediary")
    department = AgencyFactory(agency_type="department")
    department.specialities.add(spec)
    app = intake.application_open(actor=world.owner, project=world.project, workflow=world.workflow)
    upload_all(world, app)
    with pytest.raises(ServiceError, match="未选择中介机构"):
        intake.application_submit(actor=world.owner, application=app)
    with pytest.raises(ServiceError, match="不具备「交通」专业"):
        intake.application_choose_intermediary(actor=world.owner, application=app, item=item, agency=wrong)
    with pytest.raises(ServiceError, match="在册且启用的中介机构"):
        intake.application_choose_intermediary(actor=world.owner, application=app, item=item, agency=department)
    with pytest.raises(ServiceError, match="由固定机构办理"):
        intake.application_choose_intermediary(actor=world.owner, application=app, item=world.items[0],
                                               agency=good)
    intake.application_choose_intermediary(actor=world.owner, application=app, item=item, agency=good)
    intake.application_submit(actor=world.owner, application=app)
    check_all_ok(world, app)
    intake.application_accept(actor=world.centre, application=app)
    assert app.assignments.filter(agency=good).count() == 1


def test_registry_shows_credit_and_on_time_rate(world):
    from django.utils import timezone

    from jointreview.intake.selectors import intermediary_registry, on_time_rate
    from jointreview.models import Opinion
    from tests.factories import AssignmentFactory

    firm = AgencyFactory(agency_type="intermediary", credit_rating="AA")
    idle = AgencyFactory(agency_type="intermediary", credit_rating="B")
    author = ReviewerFactory(organization=firm)
    due = datetime.date(2026, 3, 10)
    for signed_on in (datetime.date(2026, 3, 9), datetime.date(2026, 3, 10), datetime.date(2026, 3, 12)):
        a = AssignmentFactory(agency=firm, status="signed", due_date=due)
        Opinion.objects.create(assignment=a, state="signed", outcome="pass", author=author, signed_by=author,
                               signed_at=timezone.make_aware(datetime.datetime.combine(signed_on, datetime.time(10))))
    AssignmentFactory(agency=firm, status="in_review", due_date=due)  # not signed: not counted
    rows = {o.pk: o for o in intermediary_registry()}
    assert rows[firm.pk].credit_rating == "AA"
    assert rows[firm.pk].signed_count == 3 and rows[firm.pk].on_time_count == 2
    assert on_time_rate(rows[firm.pk]) == pytest.approx(2 / 3)
    assert on_time_rate(rows[idle.pk]) is None


# ----------------------------------------------------------------------------------------- fan-out sweep


def test_sweep_redispatches_pending_and_fails_after_max_attempts(world, sent, settings,
                                                                 django_capture_on_commit_callbacks):
    settings.JR_FANOUT_MAX_ATTEMPTS = 2
    app = ready_app(world)
    with django_capture_on_commit_callbacks(execute=True):
        intake.application_accept(actor=world.centre, application=app)
    sent.clear()
    # too young: nothing to do
    with django_capture_on_commit_callbacks(execute=True):
        assert fanout.fanout_sweep(older_than_s=60) == {"redispatched": 0, "failed": 0}
    done = app.assignments.order_by("pk").first()
    fanout.assignment_notify(assignment_id=done.pk)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            assert fanout.fanout_sweep(older_than_s=0) == {"redispatched": 2, "failed": 0}
    assert len(sent) == 4 and done.pk not in {k["assignment_id"] for _n, k in sent}
    with django_capture_on_commit_callbacks(execute=True):
        assert fanout.fanout_sweep(older_than_s=0) == {"redispatched": 0, "failed": 2}
    assert app.assignments.filter(notify_status="failed").count() == 2
    centre_notes = Notification.objects.filter(organization=world.centre.organization, kind="fanout_failed")
    assert centre_notes.count() == 2
    # a late delivery of a failed row does nothing
    failed = app.assignments.filter(notify_status="failed").first()
    assert fanout.assignment_notify(assignment_id=failed.pk) is False
    assert AuditEvent.objects.filter(verb="assignment.notify_failed").count() == 2


def test_dispatch_survives_a_broker_error(world, monkeypatch, django_capture_on_commit_callbacks):
    def down(name, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr("jointreview.services.queue.enqueue", down)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        fanout.dispatch_notify(123)  # logged, not raised
    assert len(callbacks) == 1  # the send was attempted (on commit)
