"""Answering and closing supervision records; clock extensions (延长审批): request, approve, refuse, once."""
from __future__ import annotations

import datetime

import pytest
from django.utils import translation

from jointreview.models import (
    AuditEvent,
    Clock,
    ClockEvent,
    ExtensionRequest,
    Notification,
    SupervisionRecord,
)
from jointreview.services.errors import ConflictError, PermissionDeniedError, ServiceError
from jointreview.supervision.services import (
    escalation_sweep,
    extension_decide,
    extension_request,
    supervision_answer,
    supervision_close,
)
from tests.factories import CentreAdminFactory
from tests.jointreview.supervision.conftest import RED_DAY, lights_on

pytestmark = pytest.mark.django_db


@pytest.fixture
def red_record(case):
    lights_on(RED_DAY)
    escalation_sweep(today=RED_DAY)
    return SupervisionRecord.objects.get(assignment=case.agencies[0].assignment)


def test_an_addressee_answers_and_the_coordinator_closes(case, red_record):
    side = case.agencies[0]
    supervision_answer(actor=side.lead, record=red_record, response="已安排B角复核, 3月18日出具意见")
    red_record.refresh_from_db()
    assert (red_record.status, red_record.responded_by) == ("answered", side.lead)
    assert Notification.objects.filter(kind="supervision_answered", user=case.coordinator).count() == 1
    with pytest.raises(ConflictError):
        supervision_answer(actor=side.reviewer, record=red_record, response="again")
    supervision_close(actor=case.coordinator, record=red_record, note="已核实")
    red_record.refresh_from_db()
    assert (red_record.status, red_record.closed_by) == ("closed", case.coordinator)
    verbs = list(AuditEvent.objects.filter(target_id=str(red_record.pk), verb__startswith="supervision.")
                 .order_by("pk").values_list("verb", flat=True))
    assert verbs == ["supervision.raise", "supervision.answer", "supervision.close"]


def test_nobody_else_answers_or_closes(case, red_record):
    other_side_reviewer = case.agencies[0].reviewer
    supervision_leader = case.leader
    with pytest.raises(PermissionDeniedError):
        supervision_answer(actor=case.owner, record=red_record, response="x")
    with pytest.raises(PermissionDeniedError):  # the leader is not addressed at level 2
        supervision_answer(actor=supervision_leader, record=red_record, response="x")
    supervision_answer(actor=other_side_reviewer, record=red_record, response="处理中")
    with pytest.raises(PermissionDeniedError):
        supervision_close(actor=case.agencies[0].lead, record=red_record)
    with pytest.raises(PermissionDeniedError):
        supervision_close(actor=CentreAdminFactory(organization=case.coordinator.organization), record=red_record)
    supervision_close(actor=supervision_leader, record=red_record)  # the leader closes too


def test_an_open_record_cannot_be_closed_and_an_empty_answer_is_refused(case, red_record):
    with translation.override("en"), pytest.raises(ServiceError, match="Write your answer"):
        supervision_answer(actor=case.coordinator, record=red_record, response="   ")
    with pytest.raises(ConflictError):
        supervision_close(actor=case.coordinator, record=red_record)


def test_extension_request_approve_moves_the_due_date_and_is_audited(case):
    side = case.agencies[0]
    clock = Clock.objects.get(pk=side.assignment.clock_id)
    assert clock.due_date == datetime.date(2026, 3, 16)
    ext = extension_request(actor=side.reviewer, assignment_id=side.assignment.pk, reason="需组织专家论证")
    assert ext.days == 10 and ext.status == "pending"
    assert Notification.objects.filter(kind="extension_requested", user=side.lead).exists()
    with pytest.raises(PermissionDeniedError):  # the reviewer does not approve their own request
        extension_decide(actor=side.reviewer, extension_id=ext.pk, approve=True)
    extension_decide(actor=side.lead, extension_id=ext.pk, approve=True, on=datetime.date(2026, 3, 10))
    clock.refresh_from_db()
    assert clock.due_date == datetime.date(2026, 3, 30)  # +10 working days
    side.assignment.refresh_from_db()
    assert side.assignment.due_date == datetime.date(2026, 3, 30)
    event = ClockEvent.objects.get(clock=clock, kind="extend")
    assert (event.days, event.approver, event.reason_text) == (10, side.lead, "需组织专家论证")
    verbs = set(AuditEvent.objects.filter(application=case.app).values_list("verb", flat=True))
    assert {"extension.request", "extension.approve", "clock.extend"} <= verbs
    told = Notification.objects.get(kind="extension_approved", user=case.owner)
    assert told.params["due"] == "2026-03-30" and told.params["note"] == "需组织专家论证"


def test_a_second_extension_is_refused(case):
    side = case.agencies[0]
    ext = extension_request(actor=side.reviewer, assignment_id=side.assignment.pk, reason="专家论证")
    with pytest.raises(ConflictError):  # one pending already
        extension_request(actor=side.lead, assignment_id=side.assignment.pk, reason="again")
    extension_decide(actor=side.lead, extension_id=ext.pk, approve=True, on=datetime.date(2026, 3, 10))
    with pytest.raises(ConflictError):
        extension_request(actor=side.reviewer, assignment_id=side.assignment.pk, reason="once more")
    with pytest.raises(ConflictError):
        extension_decide(actor=side.lead, extension_id=ext.pk, approve=False)


def test_refusal_leaves_the_clock_and_allows_a_new_request(case):
    side = case.agencies[0]
    ext = extension_request(actor=side.reviewer, assignment_id=side.assignment.pk, reason="专家论证")
    extension_decide(actor=side.lead, extension_id=ext.pk, approve=False, note="理由不充分")
    assert Clock.objects.get(pk=side.assignment.clock_id).due_date == datetime.date(2026, 3, 16)
    assert not ClockEvent.objects.filter(clock_id=side.assignment.clock_id, kind="extend").exists()
    assert Notification.objects.get(kind="extension_refused").user == side.reviewer
    assert AuditEvent.objects.filter(verb="extension.refuse").count() == 1
    extension_request(actor=side.reviewer, assignment_id=side.assignment.pk, reason="补充理由")  # allowed again


def test_the_lead_asks_and_the_centre_leader_decides(case):
    side = case.agencies[0]
    ext = extension_request(actor=side.lead, assignment_id=side.assignment.pk, reason="检测")
    assert set(Notification.objects.filter(kind="extension_requested").values_list("user_id", flat=True)) \
        == {case.leader.pk}
    with pytest.raises(PermissionDeniedError):
        extension_decide(actor=side.lead, extension_id=ext.pk, approve=True)
    with pytest.raises(PermissionDeniedError):
        extension_decide(actor=case.coordinator, extension_id=ext.pk, approve=True)
    extension_decide(actor=case.leader, extension_id=ext.pk, approve=True, on=datetime.date(2026, 3, 10))
    assert ExtensionRequest.objects.get(pk=ext.pk).decided_by == case.leader


def test_only_the_acting_reviewer_or_lead_asks(case):
    side = case.agencies[0]
    for who in (side.backup, case.owner, case.coordinator):  # B while A is present, not the agency, the centre
        with pytest.raises(PermissionDeniedError):
            extension_request(actor=who, assignment_id=side.assignment.pk, reason="x")
    with translation.override("en"), pytest.raises(ServiceError, match="written reason"):
        extension_request(actor=side.reviewer, assignment_id=side.assignment.pk, reason=" ")
