"""The review services: AB角, opinions, signing, pauses, consolidation, rounds, certificate."""
from __future__ import annotations

import datetime

import pytest

from jointreview.models import (
    ApplicationStatus,
    AssignmentStatus,
    AuditEvent,
    Clock,
    ClockEvent,
    ClockState,
    Deferral,
    Finding,
    FindingTemplate,
    IssuedDocument,
    IssuedKind,
    Notification,
    Opinion,
    PauseRequest,
    ReviewRound,
)
from jointreview.review import services as review
from jointreview.services.errors import ConflictError, PermissionDeniedError, ServiceError
from tests.factories import DocumentVersionFactory, MaterialFactory

from .conftest import START, make_round

pytestmark = pytest.mark.django_db
D = datetime.date


def sign(side, outcome, findings=(), on=D(2026, 3, 9), actor=None):
    actor = actor or side.reviewer
    review.opinion_save_draft(actor=actor, assignment_id=side.assignment.pk, outcome=outcome, summary="审查意见")
    for text in findings:
        review.finding_add(actor=actor, assignment_id=side.assignment.pk, text=text, standard="GB 50016-2014",
                           clause="5.3.1", mandatory=outcome in ("revise", "reject"))
    op = Opinion.objects.get(assignment=side.assignment, state=Opinion.State.DRAFT)
    return review.opinion_sign(actor=actor, opinion_id=op.pk, on=on)


def test_lead_assigns_a_and_b_and_b_acts_while_a_is_absent():
    s = make_round(1, assign=False)
    side = s.agencies[0]
    a = review.assignment_assign(actor=side.lead, assignment_id=side.assignment.pk, reviewer_id=side.reviewer.pk,
                                 backup_id=side.backup.pk)
    assert a.status == AssignmentStatus.IN_REVIEW and a.acting_reviewer == side.reviewer
    with pytest.raises(PermissionDeniedError):
        review.opinion_save_draft(actor=side.backup, assignment_id=a.pk, outcome="pass")
    review.user_mark_absent(actor=side.lead, user_id=side.reviewer.pk, absent=True)
    review.opinion_save_draft(actor=side.backup, assignment_id=a.pk, outcome="pass")
    side.reviewer.refresh_from_db()
    with pytest.raises(PermissionDeniedError):
        review.opinion_save_draft(actor=side.reviewer, assignment_id=a.pk, outcome="pass")
    assert AuditEvent.objects.filter(verb="user.absent", target_id=str(side.reviewer.pk)).exists()


def test_only_the_lead_assigns_and_only_members_of_the_agency():
    s = make_round(2, assign=False)
    one, two = s.agencies
    with pytest.raises(PermissionDeniedError):
        review.assignment_assign(actor=one.reviewer, assignment_id=one.assignment.pk, reviewer_id=one.reviewer.pk)
    with pytest.raises(PermissionDeniedError):
        review.assignment_assign(actor=two.lead, assignment_id=one.assignment.pk, reviewer_id=two.reviewer.pk)
    with pytest.raises(ServiceError, match="须为本机构的在职人员"):
        review.assignment_assign(actor=one.lead, assignment_id=one.assignment.pk, reviewer_id=two.reviewer.pk)
    with pytest.raises(PermissionDeniedError):
        review.user_mark_absent(actor=two.lead, user_id=one.reviewer.pk, absent=True)
    one.assignment.refresh_from_db()
    assert one.assignment.status == AssignmentStatus.UNASSIGNED and one.assignment.reviewer is None


def test_reassign_is_allowed_and_audited():
    s = make_round(1)
    side = s.agencies[0]
    review.assignment_assign(actor=side.lead, assignment_id=side.assignment.pk, reviewer_id=side.backup.pk,
                             backup_id=side.reviewer.pk)
    side.assignment.refresh_from_db()
    assert side.assignment.reviewer == side.backup
    assert AuditEvent.objects.filter(verb="assignment.reassign", target_id=str(side.assignment.pk)).exists()


def test_signing_an_empty_return_is_refused_and_nothing_changes():
    s = make_round(1)
    side = s.agencies[0]
    review.opinion_save_draft(actor=side.reviewer, assignment_id=side.assignment.pk, outcome="revise")
    op = Opinion.objects.get(assignment=side.assignment)
    events = ClockEvent.objects.count()
    with pytest.raises(ServiceError, match="不能签署空的退回意见"):
        review.opinion_sign(actor=side.reviewer, opinion_id=op.pk)
    op.refresh_from_db()
    side.assignment.refresh_from_db()
    assert op.state == Opinion.State.DRAFT and op.signed_at is None
    assert side.assignment.status == AssignmentStatus.IN_REVIEW
    assert ClockEvent.objects.count() == events
    assert side.assignment.clock.state == ClockState.RUNNING


def test_reject_needs_a_finding_too_and_pass_cannot_leave_mandatory_open():
    s = make_round(1)
    side = s.agencies[0]
    review.opinion_save_draft(actor=side.reviewer, assignment_id=side.assignment.pk, outcome="reject")
    op = Opinion.objects.get(assignment=side.assignment)
    with pytest.raises(ServiceError, match="不能签署空的退回意见"):
        review.opinion_sign(actor=side.reviewer, opinion_id=op.pk)
    review.finding_add(actor=side.reviewer, assignment_id=side.assignment.pk, text="疏散宽度不足", mandatory=True)
    review.opinion_save_draft(actor=side.reviewer, assignment_id=side.assignment.pk, outcome="pass")
    with pytest.raises(ServiceError, match="强制性条目"):
        review.opinion_sign(actor=side.reviewer, opinion_id=op.pk)


def test_signing_stops_the_clock_and_a_signed_opinion_is_immutable_for_everyone(no_tasks):
    s = make_round(2)
    side = s.agencies[0]
    op = sign(side, "revise", ["疏散楼梯数量不足"])
    side.assignment.refresh_from_db()
    assert op.state == Opinion.State.SIGNED and side.assignment.status == AssignmentStatus.SIGNED
    assert Clock.objects.get(pk=side.assignment.clock_id).state == ClockState.STOPPED
    finding = op.findings.get()
    for actor in (side.reviewer, side.lead, s.coordinator, s.owner):
        with pytest.raises((ConflictError, PermissionDeniedError)):
            review.opinion_save_draft(actor=actor, assignment_id=side.assignment.pk, outcome="pass")
        with pytest.raises((ConflictError, PermissionDeniedError)):
            review.finding_update(actor=actor, finding_id=finding.pk, text="changed")
        with pytest.raises((ConflictError, PermissionDeniedError)):
            review.finding_remove(actor=actor, finding_id=finding.pk)
        with pytest.raises((ConflictError, PermissionDeniedError)):
            review.finding_add(actor=actor, opinion_id=op.pk, text="x")
        with pytest.raises((ConflictError, PermissionDeniedError, ServiceError)):
            review.opinion_sign(actor=actor, opinion_id=op.pk)
    finding.refresh_from_db()
    op.refresh_from_db()
    assert finding.text == "疏散楼梯数量不足" and op.outcome == "revise" and op.findings.count() == 1
    assert no_tasks == []  # the round is not complete: one agency still reviews


def test_last_signature_completes_the_round_and_enqueues_consolidation(no_tasks,
                                                                         django_capture_on_commit_callbacks):
    s = make_round(3)
    with django_capture_on_commit_callbacks(execute=True):
        sign(s.agencies[0], "pass")
        sign(s.agencies[1], "conditional", ["建议增设无障碍坡道"])
    s.round.refresh_from_db()
    assert s.round.completed_at is None and no_tasks == []
    with django_capture_on_commit_callbacks(execute=True):
        sign(s.agencies[2], "revise", ["地下室防火分区超过限值"])
    s.round.refresh_from_db()
    assert s.round.completed_at is not None
    assert no_tasks == [("jointreview.consolidate_round", {"round_id": s.round.pk})]


def test_consolidation_groups_numbers_and_is_idempotent(run_tasks, django_capture_on_commit_callbacks):
    s = make_round(3)
    with django_capture_on_commit_callbacks(execute=True):
        sign(s.agencies[0], "pass")
        sign(s.agencies[1], "revise", ["甲条意见", "乙条意见"])
        sign(s.agencies[2], "revise", ["丙条意见"])
    notice = IssuedDocument.objects.get(round=s.round, kind=IssuedKind.JOINT_NOTICE)
    assert notice.state == IssuedDocument.State.DRAFT and notice.file and notice.sha256
    nos = [f["no"] for ag in notice.content["agencies"] for g in ag["groups"] for f in g["findings"]]
    texts = [f["text"] for ag in notice.content["agencies"] for g in ag["groups"] for f in g["findings"]]
    assert nos == [1, 2, 3] and sorted(texts) == sorted(["甲条意见", "乙条意见", "丙条意见"])
    assert all(f["state"] == "open" for ag in notice.content["agencies"] for g in ag["groups"] for f in g["findings"])
    again = review.round_consolidate(round_id=s.round.pk)
    assert again.pk == notice.pk
    assert IssuedDocument.objects.filter(round=s.round, kind=IssuedKind.JOINT_NOTICE).count() == 1
    centre_notes = Notification.objects.filter(kind="notice_drafted")
    assert centre_notes.count() == 1 and centre_notes.get().organization.kind == "centre"
    assert not Notification.objects.filter(organization=s.project.owner, kind="joint_notice").exists()


def test_consolidating_an_incomplete_round_is_refused():
    s = make_round(2)
    sign(s.agencies[0], "pass")
    with pytest.raises(ConflictError, match="尚未完成"):
        review.round_consolidate(round_id=s.round.pk)
    assert not IssuedDocument.objects.exists()


def _complete_round(s, outcomes, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for side, outcome in zip(s.agencies, outcomes, strict=True):
            sign(side, outcome, [f"{side.agency.name}的意见"] if outcome in ("revise", "reject") else [])
    return IssuedDocument.objects.get(round=s.round, kind=IssuedKind.JOINT_NOTICE)


def test_issue_with_a_revise_outcome_moves_to_revision_and_pauses_the_application_clock(
        run_tasks, django_capture_on_commit_callbacks):
    s = make_round(3)
    notice = _complete_round(s, ["pass", "revise", "pass"], django_capture_on_commit_callbacks)
    with pytest.raises(PermissionDeniedError):
        review.notice_issue(actor=s.owner, notice_id=notice.pk)
    with django_capture_on_commit_callbacks(execute=True):
        review.notice_issue(actor=s.coordinator, notice_id=notice.pk, on=D(2026, 3, 10))
    s.app.refresh_from_db()
    notice.refresh_from_db()
    assert notice.state == IssuedDocument.State.ISSUED and notice.file
    assert s.app.status == ApplicationStatus.REVISION
    assert Clock.objects.get(pk=s.app.clock_id).state == ClockState.PAUSED
    assert Notification.objects.filter(organization=s.project.owner, kind="joint_notice").exists()
    with pytest.raises(ConflictError):
        review.notice_issue(actor=s.coordinator, notice_id=notice.pk)


def test_any_reject_rejects_the_application(run_tasks, django_capture_on_commit_callbacks):
    s = make_round(2)
    notice = _complete_round(s, ["revise", "reject"], django_capture_on_commit_callbacks)
    review.notice_issue(actor=s.coordinator, notice_id=notice.pk, on=D(2026, 3, 10))
    s.app.refresh_from_db()
    assert s.app.status == ApplicationStatus.REJECTED
    assert Clock.objects.get(pk=s.app.clock_id).state == ClockState.STOPPED


def test_all_pass_keeps_accepted_and_certificate_can_follow(run_tasks, django_capture_on_commit_callbacks):
    s = make_round(2)
    notice = _complete_round(s, ["pass", "conditional"], django_capture_on_commit_callbacks)
    review.notice_issue(actor=s.coordinator, notice_id=notice.pk, on=D(2026, 3, 10))
    s.app.refresh_from_db()
    assert s.app.status == ApplicationStatus.ACCEPTED
    with django_capture_on_commit_callbacks(execute=True):
        cert = review.certificate_issue(actor=s.coordinator, application_id=s.app.pk, on=D(2026, 3, 11))
    s.app.refresh_from_db()
    cert.refresh_from_db()
    assert cert.kind == IssuedKind.CERTIFICATE and cert.state == IssuedDocument.State.ISSUED and cert.file
    assert s.app.status == ApplicationStatus.APPROVED
    assert Clock.objects.get(pk=s.app.clock_id).state == ClockState.STOPPED


def test_approving_with_an_agency_outstanding_is_refused_and_nothing_changes(no_tasks):
    s = make_round(3)
    sign(s.agencies[0], "pass")
    sign(s.agencies[1], "pass")
    before = (IssuedDocument.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ServiceError, match="尚有审查机构未通过") as exc:
        review.certificate_issue(actor=s.coordinator, application_id=s.app.pk)
    assert str(s.agencies[2].agency) in exc.value.message
    s.app.refresh_from_db()
    assert s.app.status == ApplicationStatus.ACCEPTED
    assert (IssuedDocument.objects.count(), AuditEvent.objects.count()) == before
    assert Clock.objects.get(pk=s.app.clock_id).state == ClockState.RUNNING


def test_an_unfulfilled_deferral_blocks_the_certificate(no_tasks):
    s = make_round(1)
    sign(s.agencies[0], "pass")
    Deferral.objects.create(application=s.app, material=MaterialFactory(name="消防设计专篇"),
                            promised_date=D(2026, 3, 20), commitment="按期补交", recorded_by=s.coordinator)
    with pytest.raises(ServiceError, match="消防设计专篇"):
        review.certificate_issue(actor=s.coordinator, application_id=s.app.pk)
    Deferral.objects.update(fulfilled_at="2026-03-12T10:00:00+08:00")
    review.certificate_issue(actor=s.coordinator, application_id=s.app.pk)
    s.app.refresh_from_db()
    assert s.app.status == ApplicationStatus.APPROVED


def test_pause_flow_tells_the_owner_in_writing_and_appears_on_the_next_notice(
        run_tasks, django_capture_on_commit_callbacks):
    s = make_round(1)
    side = s.agencies[0]
    pr = review.pause_request(actor=side.reviewer, assignment_id=side.assignment.pk, reason="expert_review",
                              reason_text="超限高层抗震专项审查", expected_days=5)
    with pytest.raises(PermissionDeniedError):
        review.pause_decide(actor=side.lead, pause_id=pr.pk, approve=True)
    with django_capture_on_commit_callbacks(execute=True):
        review.pause_decide(actor=s.coordinator, pause_id=pr.pk, approve=True, on=D(2026, 3, 4))
    pr.refresh_from_db()
    clock = Clock.objects.get(pk=side.assignment.clock_id)
    assert pr.status == PauseRequest.Status.APPROVED and pr.owner_told_at is not None
    assert clock.state == ClockState.PAUSED
    told = Notification.objects.get(organization=s.project.owner, kind="pause_notice")
    assert "超限高层抗震专项审查" in told.body
    pause_doc = IssuedDocument.objects.get(kind=IssuedKind.PAUSE_NOTICE)
    assert pause_doc.state == IssuedDocument.State.ISSUED and pause_doc.file
    review.pause_end(actor=side.reviewer, pause_id=pr.pk, on=D(2026, 3, 11))
    clock.refresh_from_db()
    side.assignment.refresh_from_db()
    assert clock.state == ClockState.RUNNING and side.assignment.due_date == clock.due_date
    assert clock.due_date > D(2026, 3, 13)  # ten working days from 3-2, plus the five paused
    with django_capture_on_commit_callbacks(execute=True):
        sign(side, "revise", ["补充抗震计算书"], on=D(2026, 3, 12))
    notice = IssuedDocument.objects.get(kind=IssuedKind.JOINT_NOTICE)
    assert notice.content["pauses"][0]["reason_text"] == "超限高层抗震专项审查"


def test_pausing_a_stopped_clock_is_refused_and_nothing_changes(no_tasks):
    s = make_round(2)
    side = s.agencies[0]
    pr = review.pause_request(actor=side.reviewer, assignment_id=side.assignment.pk, reason="testing",
                              reason_text="材料检测", expected_days=3)
    sign(side, "pass")  # signing refuses the pending request and stops the clock
    pr.refresh_from_db()
    assert pr.status == PauseRequest.Status.REFUSED
    events = ClockEvent.objects.filter(clock_id=side.assignment.clock_id).count()
    with pytest.raises(ConflictError, match="计时"):
        review.pause_request(actor=side.reviewer, assignment_id=side.assignment.pk, reason="testing",
                             reason_text="材料检测", expected_days=3)
    # a request decided after the clock stopped (e.g. stopped by another path) is refused as well
    pr2 = PauseRequest.objects.create(assignment=side.assignment, reason="testing", reason_text="检测",
                                      expected_days=2, requested_by=side.reviewer)
    with pytest.raises(ConflictError, match="计时已停止, 不能暂停"):
        review.pause_decide(actor=s.coordinator, pause_id=pr2.pk, approve=True)
    pr2.refresh_from_db()
    assert pr2.status == PauseRequest.Status.REQUESTED
    assert ClockEvent.objects.filter(clock_id=side.assignment.clock_id).count() == events
    assert Clock.objects.get(pk=side.assignment.clock_id).state == ClockState.STOPPED
    assert not Notification.objects.filter(kind="pause_notice").exists()


def test_correction_is_a_new_version_and_the_old_stays_readable(run_tasks, django_capture_on_commit_callbacks):
    s = make_round(2)
    notice = _complete_round(s, ["pass", "revise"], django_capture_on_commit_callbacks)
    side = s.agencies[1]
    old = Opinion.objects.get(assignment=side.assignment)
    with pytest.raises(ServiceError, match="更正须写明原因"):
        review.opinion_correct(actor=side.reviewer, opinion_id=old.pk, reason=" ")
    new = review.opinion_correct(actor=side.reviewer, opinion_id=old.pk, reason="条款号写错")
    assert new.version == 2 and new.supersedes == old and new.findings.count() == 1
    f = new.findings.get()
    review.finding_update(actor=side.reviewer, finding_id=f.pk, clause="5.5.17")
    with pytest.raises(ConflictError, match="仍有意见更正为草稿"):
        review.notice_issue(actor=s.coordinator, notice_id=notice.pk)
    with django_capture_on_commit_callbacks(execute=True):
        review.opinion_sign(actor=side.reviewer, opinion_id=new.pk)
    old.refresh_from_db()
    assert old.state == Opinion.State.SIGNED and old.findings.get().clause == "5.3.1"
    notice.refresh_from_db()
    clauses = [f["clause"] for ag in notice.content["agencies"] for g in ag["groups"] for f in g["findings"]]
    assert clauses == ["5.5.17"]
    review.notice_issue(actor=s.coordinator, notice_id=notice.pk, on=D(2026, 3, 10))
    with pytest.raises(ConflictError, match="已签发"):
        review.opinion_correct(actor=side.reviewer, opinion_id=new.pk, reason="again")


def test_answering_a_closed_finding_is_refused_and_nothing_changes(run_tasks, django_capture_on_commit_callbacks):
    s = make_round(1)
    side = s.agencies[0]
    with django_capture_on_commit_callbacks(execute=True):
        review.opinion_save_draft(actor=side.reviewer, assignment_id=side.assignment.pk, outcome="revise")
        open_f = review.finding_add(actor=side.reviewer, assignment_id=side.assignment.pk, text="须修改")
        closed_f = review.finding_add(actor=side.reviewer, assignment_id=side.assignment.pk, text="仅提示")
        review.finding_update(actor=side.reviewer, finding_id=closed_f.pk, state="closed")
        review.opinion_sign(actor=side.reviewer, opinion_id=open_f.opinion_id, on=D(2026, 3, 9))
    notice = IssuedDocument.objects.get(kind=IssuedKind.JOINT_NOTICE)
    with pytest.raises(ConflictError, match="待修改、重新提交之前答复"):
        review.finding_respond(actor=s.owner, finding_id=open_f.pk, response="fixed", text="已改")
    review.notice_issue(actor=s.coordinator, notice_id=notice.pk, on=D(2026, 3, 10))
    with pytest.raises(ConflictError, match="该条目已关闭"):
        review.finding_respond(actor=s.owner, finding_id=closed_f.pk, response="fixed", text="已改")
    closed_f.refresh_from_db()
    assert closed_f.response == "" and closed_f.response_text == "" and closed_f.responded_at is None
    with pytest.raises(PermissionDeniedError):
        review.finding_respond(actor=side.reviewer, finding_id=open_f.pk, response="fixed", text="已改")
    with pytest.raises(ServiceError, match="答复须写明内容"):
        review.finding_respond(actor=s.owner, finding_id=open_f.pk, response="fixed", text="")
    review.finding_respond(actor=s.owner, finding_id=open_f.pk, response="disputed", text="规范不适用")
    open_f.refresh_from_db()
    assert open_f.response == "disputed" and open_f.responded_by == s.owner


def test_resubmission_goes_only_to_revising_agencies_with_carried_findings(
        run_tasks, django_capture_on_commit_callbacks):
    s = make_round(3)
    notice = _complete_round(s, ["pass", "revise", "conditional"], django_capture_on_commit_callbacks)
    review.notice_issue(actor=s.coordinator, notice_id=notice.pk, on=D(2026, 3, 10))
    with pytest.raises(ServiceError, match="请先答复全部未关闭的审查意见"):
        review.application_resubmit(actor=s.owner, application_id=s.app.pk, on=D(2026, 3, 16))
    f = Finding.objects.get(opinion__assignment=s.agencies[1].assignment)
    review.finding_respond(actor=s.owner, finding_id=f.pk, response="fixed", text="已调整防火分区")
    with pytest.raises(ServiceError, match="请上传修改后的文件"):
        review.application_resubmit(actor=s.owner, application_id=s.app.pk, on=D(2026, 3, 16))
    DocumentVersionFactory(document=s.version.document, number=2, uploaded_by=s.owner)
    with django_capture_on_commit_callbacks(execute=True):
        rnd = review.application_resubmit(actor=s.owner, application_id=s.app.pk, on=D(2026, 3, 16))
    s.app.refresh_from_db()
    assert rnd.number == 2 and s.app.current_round == 2 and s.app.status == ApplicationStatus.ACCEPTED
    assert Clock.objects.get(pk=s.app.clock_id).state == ClockState.RUNNING
    new = rnd.assignments.get()
    prev = s.agencies[1].assignment
    assert new.agency == prev.agency and new.previous == prev and new.reviewer == s.agencies[1].reviewer
    prev_clock = Clock.objects.get(pk=prev.clock_id)
    assert new.clock.limit_value == prev_clock.remaining_days  # resume: the remaining days
    assert new.clock.state == ClockState.RUNNING and new.due_date == new.clock.due_date
    assert s.agencies[1].lead.has_perm("jointreview.review_assignment", new)
    assert not s.agencies[0].lead.has_perm("jointreview.view_assignment", new)
    assert Notification.objects.filter(assignment=new, kind="assignment").exists()  # via notify_assignment
    # the reviewer opens the draft: the open finding is carried with the owner's answer
    op = review.opinion_save_draft(actor=s.agencies[1].reviewer, assignment_id=new.pk, outcome="pass")
    carried = op.findings.get()
    assert carried.carried_from == f and carried.response_text == "已调整防火分区"
    with pytest.raises(ConflictError, match="上一轮延续的条目"):
        review.finding_remove(actor=s.agencies[1].reviewer, finding_id=carried.pk)
    review.finding_update(actor=s.agencies[1].reviewer, finding_id=carried.pk, state="closed")
    with django_capture_on_commit_callbacks(execute=True):
        review.opinion_sign(actor=s.agencies[1].reviewer, opinion_id=op.pk, on=D(2026, 3, 18))
    notice2 = IssuedDocument.objects.get(round=rnd, kind=IssuedKind.JOINT_NOTICE)
    assert [c["agency"] for c in notice2.content["carried_over"]] == sorted(
        [str(s.agencies[0].agency), str(s.agencies[2].agency)])
    review.certificate_issue(actor=s.coordinator, application_id=s.app.pk, on=D(2026, 3, 19))
    s.app.refresh_from_db()
    assert s.app.status == ApplicationStatus.APPROVED
    assert ReviewRound.objects.filter(application=s.app).count() == 2


def test_restart_policy_gives_the_full_limit_again(run_tasks, django_capture_on_commit_callbacks):
    s = make_round(1, policy="restart")
    notice = _complete_round(s, ["revise"], django_capture_on_commit_callbacks)
    review.notice_issue(actor=s.coordinator, notice_id=notice.pk, on=D(2026, 3, 10))
    for f in Finding.objects.all():
        review.finding_respond(actor=s.owner, finding_id=f.pk, response="disputed", text="不同意")
    rnd = review.application_resubmit(actor=s.owner, application_id=s.app.pk, on=D(2026, 3, 16))
    new = rnd.assignments.get()
    assert new.clock.limit_value == 10 and new.clock.policy == "restart"


def test_findings_only_from_the_library_of_the_agency_or_shared():
    s = make_round(2)
    one, two = s.agencies
    shared = FindingTemplate.objects.create(speciality=one.item.speciality, standard="GB 50016-2014",
                                            clause="5.5.17", mandatory=True, text="疏散距离超过规定")
    foreign = FindingTemplate.objects.create(speciality=one.item.speciality, agency=two.agency, text="他人模板")
    f = review.finding_add(actor=one.reviewer, assignment_id=one.assignment.pk, template_id=shared.pk,
                           sheet="建施-03", document_version_id=s.version.pk)
    assert (f.text, f.clause, f.mandatory, f.sheet) == ("疏散距离超过规定", "5.5.17", True, "建施-03")
    with pytest.raises(ServiceError, match="意见库"):
        review.finding_add(actor=one.reviewer, assignment_id=one.assignment.pk, template_id=foreign.pk)
    other_version = DocumentVersionFactory()
    with pytest.raises(ServiceError, match="该文件版本不属于您可查阅"):
        review.finding_add(actor=one.reviewer, assignment_id=one.assignment.pk, text="x",
                           document_version_id=other_version.pk)


def test_finding_remove_renumbers():
    s = make_round(1)
    side = s.agencies[0]
    fs = [review.finding_add(actor=side.reviewer, assignment_id=side.assignment.pk, text=t) for t in "一二三"]
    review.finding_remove(actor=side.reviewer, finding_id=fs[0].pk)
    assert list(Finding.objects.order_by("number").values_list("number", "text")) == [(1, "二"), (2, "三")]


def test_clock_start_is_the_fixture_start():
    s = make_round(1)
    assert s.agencies[0].assignment.clock.started_on == START
