"""The escalation ladder (电子监察): yellow -> the agency, red -> + the accepting coordinator, overdue by
N working days -> the centre leader; unanswered records go one level up; 容缺 overdue; once per transition."""
from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from jointreview.models import AuditEvent, Clock, Deferral, Notification, SupervisionRecord
from jointreview.supervision.services import (
    budget_transitions_alert,
    escalation_sweep,
    extension_decide,
    extension_request,
    leader_cutoff,
    supervision_answer,
)
from tests.factories import MaterialFactory
from tests.jointreview.supervision.conftest import LEADER_DAY, RED_DAY, YELLOW_DAY, lights_on

pytestmark = pytest.mark.django_db


def _addressees(record) -> set[int]:
    return set(record.addressees.values_list("pk", flat=True))


def _agency_people(case) -> set[int]:
    side = case.agencies[0]
    return {side.reviewer.pk, side.backup.pk, side.lead.pk}


def test_yellow_goes_to_the_reviewers_and_the_agency_lead(case):
    lights_on(YELLOW_DAY)
    assert escalation_sweep(today=YELLOW_DAY)["clocks"] == 1  # the assignment's clock (the application's is green)
    record = SupervisionRecord.objects.get()
    assert (record.level, record.light, record.rule_code, record.warning_type) == (1, "yellow", "CLK-Y", "1")
    assert record.assignment_id == case.agencies[0].assignment.pk and record.application_id == case.app.pk
    assert record.department_id == case.agencies[0].agency.pk and record.number.startswith("DB2026-")
    assert _addressees(record) == _agency_people(case)
    told = set(Notification.objects.filter(kind="supervision").values_list("user_id", flat=True))
    assert told == _agency_people(case)
    assert AuditEvent.objects.filter(verb="supervision.raise", target_id=str(record.pk)).count() == 1


def test_red_adds_the_coordinator_who_accepted(case):
    lights_on(YELLOW_DAY)
    escalation_sweep(today=YELLOW_DAY)
    lights_on(RED_DAY)
    escalation_sweep(today=RED_DAY)
    red = SupervisionRecord.objects.get(level=2, assignment=case.agencies[0].assignment)
    assert red.light == "red" and red.rule_code == "CLK-R"
    assert _addressees(red) == _agency_people(case) | {case.coordinator.pk}
    assert Notification.objects.filter(kind="supervision", user=case.coordinator).count() == 1


def test_overdue_by_n_working_days_goes_to_the_centre_leader(case, settings):
    settings.JR_ESCALATION_LEADER_DAYS = 3
    lights_on(RED_DAY)
    escalation_sweep(today=RED_DAY)
    lights_on(datetime.date(2026, 3, 18))  # 2 working days late: still level 2
    escalation_sweep(today=datetime.date(2026, 3, 18))
    assert not SupervisionRecord.objects.filter(level=3, assignment=case.agencies[0].assignment).exists()
    lights_on(LEADER_DAY)
    escalation_sweep(today=LEADER_DAY)
    top = SupervisionRecord.objects.get(level=3, source="clock", assignment=case.agencies[0].assignment)
    assert _addressees(top) == {case.leader.pk} and top.rule_code == "CLK-OD"


def test_leader_cutoff_counts_working_days_over_a_weekend():
    # Monday 2026-03-23, 3 working days: Mon, Fri 20, Thu 19 -> a due date before Thursday is 3 days late
    assert leader_cutoff(datetime.date(2026, 3, 23), 3) == datetime.date(2026, 3, 19)


def test_a_clock_jumping_from_green_to_red_alerts_once_at_red(case):
    lights_on(RED_DAY)
    escalation_sweep(today=RED_DAY)
    records = SupervisionRecord.objects.filter(assignment=case.agencies[0].assignment)
    assert [r.level for r in records] == [2]


def test_running_twice_alerts_once_per_transition(case):
    lights_on(RED_DAY)
    first = escalation_sweep(today=RED_DAY)
    second = escalation_sweep(today=RED_DAY)
    later = escalation_sweep(today=RED_DAY + datetime.timedelta(days=1))  # same light, next day
    assert first["clocks"] >= 1 and second["clocks"] == 0 and later["clocks"] == 0
    assert SupervisionRecord.objects.filter(source="clock", assignment=case.agencies[0].assignment).count() == 1
    assert Clock.objects.get(pk=case.agencies[0].assignment.clock_id).alert_level == 2


def test_unanswered_record_escalates_one_level_linked(case):
    lights_on(YELLOW_DAY)
    escalation_sweep(today=YELLOW_DAY)
    first = SupervisionRecord.objects.get()
    assert first.respond_by == datetime.date(2026, 3, 17)  # 2 working days (JR_SUPERVISION_RESPONSE_DAYS)
    assert escalation_sweep(today=first.respond_by)["escalated"] == 0  # still in time on the day itself
    day = first.respond_by + datetime.timedelta(days=1)
    Clock.objects.filter(pk=case.agencies[0].assignment.clock_id).update(light="yellow")  # the light stays yellow: only the unanswered record escalates
    assert escalation_sweep(today=day)["escalated"] == 1
    second = SupervisionRecord.objects.get(escalated_from=first)
    assert second.level == 2 and second.source == "escalation" and second.rule_code == "CLK-Y"
    assert _addressees(second) == _agency_people(case) | {case.coordinator.pk}
    assert escalation_sweep(today=day)["escalated"] == 0  # once
    third_day = second.respond_by + datetime.timedelta(days=1)
    escalation_sweep(today=third_day)
    third = SupervisionRecord.objects.get(escalated_from=second)
    assert third.level == 3 and _addressees(third) == {case.leader.pk}
    assert AuditEvent.objects.filter(verb="supervision.escalate").count() == 2


def test_a_record_of_a_finished_case_does_not_escalate(case):
    lights_on(YELLOW_DAY)
    escalation_sweep(today=YELLOW_DAY)
    Clock.objects.filter(pk=case.agencies[0].assignment.clock_id).update(state="stopped")  # opinion signed
    assert escalation_sweep(today=datetime.date(2026, 3, 25))["escalated"] == 0


def test_an_answered_record_does_not_escalate(case):
    lights_on(YELLOW_DAY)
    escalation_sweep(today=YELLOW_DAY)
    record = SupervisionRecord.objects.get()
    supervision_answer(actor=case.agencies[0].reviewer, record=record, response="专家论证中, 3月16日办结")
    assert escalation_sweep(today=datetime.date(2026, 3, 25))["escalated"] == 0


def test_after_an_extension_a_new_rise_alerts_again(case):
    side = case.agencies[0]
    lights_on(YELLOW_DAY)
    escalation_sweep(today=YELLOW_DAY)
    ext = extension_request(actor=side.reviewer, assignment_id=side.assignment.pk, reason="需专家论证")
    extension_decide(actor=side.lead, extension_id=ext.pk, approve=True, on=YELLOW_DAY)
    lights_on(YELLOW_DAY)  # the due date moved 10 working days: green again
    escalation_sweep(today=YELLOW_DAY)
    assert Clock.objects.get(pk=side.assignment.clock_id).alert_level == 0
    new_yellow = datetime.date(2026, 3, 27)
    lights_on(new_yellow)
    escalation_sweep(today=new_yellow)
    assert SupervisionRecord.objects.filter(assignment=side.assignment, level=1).count() == 2


def test_overdue_deferral_alerts_the_coordinator_and_the_owner_once(case):
    material = MaterialFactory(item=case.agencies[0].item, name="消防设计说明")
    Deferral.objects.create(application=case.app, material=material, promised_date=datetime.date(2026, 3, 10),
                            commitment="3月10日前补交", recorded_by=case.coordinator)
    assert escalation_sweep(today=datetime.date(2026, 3, 10))["deferrals"] == 0  # due that day: not late yet
    assert escalation_sweep(today=datetime.date(2026, 3, 11))["deferrals"] == 1
    assert escalation_sweep(today=datetime.date(2026, 3, 12))["deferrals"] == 0
    record = SupervisionRecord.objects.get(source="deferral")
    assert _addressees(record) == {case.coordinator.pk} and record.rule_code == "DEF-OD"
    overdue = Notification.objects.filter(kind="deferral_overdue")
    assert set(overdue.values_list("user_id", flat=True)) == {case.owner.pk, case.coordinator.pk}
    assert overdue.get(user=case.owner).params["material"] == "消防设计说明"


def test_a_fulfilled_deferral_raises_nothing(case):
    material = MaterialFactory(item=case.agencies[0].item)
    Deferral.objects.create(application=case.app, material=material, promised_date=datetime.date(2026, 3, 10),
                            commitment="补交", recorded_by=case.coordinator, fulfilled_at=timezone.now())
    assert escalation_sweep(today=datetime.date(2026, 3, 20))["deferrals"] == 0


def test_budget_transitions_plug_in_as_a_source(case):
    records = budget_transitions_alert([(case.project.pk, "green", "yellow"), (case.project.pk, "red", "yellow")],
                                       today=YELLOW_DAY)
    assert len(records) == 1
    assert records[0].rule_code == "BUD-Y" and _addressees(records[0]) == {case.coordinator.pk}
    assert budget_transitions_alert([(case.project.pk, "green", "yellow")], today=YELLOW_DAY) == []  # once


def test_the_beat_entry_runs_every_configured_minutes_and_expires_within_it(settings):
    from tasks.schedule import BEAT_SCHEDULE

    entry = BEAT_SCHEDULE["escalation-sweep"]
    assert entry["task"] == "jointreview.escalation_sweep"
    assert entry["schedule"] == 60 * settings.JR_ESCALATION_SWEEP_MINUTES == 900  # default 15 minutes
    assert 0 < entry["options"]["expire_seconds"] < entry["schedule"]
