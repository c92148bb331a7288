"""Clock services: events, validation, cached evaluation, sweep, dashboard and API access."""
from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from jointreview.clocks import services as svc
from jointreview.clocks.calendar import invalidate_calendar
from jointreview.models import AuditEvent, Clock, ClockEvent, Notification, PauseReason
from jointreview.services.errors import ConflictError, ServiceError
from tests.factories import (
    AgencyFactory,
    AssignmentFactory,
    CentreAdminFactory,
    CentreFactory,
    CoordinatorFactory,
    LeadFactory,
    OwnerUserFactory,
    ReviewerFactory,
)

pytestmark = pytest.mark.django_db

# 2025 National Day: Oct 1-8 off, Sun Sep 28 and Sat Oct 11 worked.
START = date(2025, 9, 26)


@pytest.fixture(autouse=True)
def _fresh_calendar():
    invalidate_calendar()
    yield
    invalidate_calendar()


@pytest.fixture
def coordinator():
    return CoordinatorFactory()


def started(limit=5, **kw):
    clock = svc.clock_create(kind=Clock.Kind.APPLICATION, limit_value=limit, **kw)
    return svc.clock_start(clock=clock, on=START, actor=None)


def test_start_sets_due_date_over_national_day(coordinator):
    clock = svc.clock_create(kind=Clock.Kind.APPLICATION, limit_value=5)
    assert clock.state == "not_started" and clock.remaining_days == 5
    svc.clock_start(clock=clock, on=START, actor=coordinator)
    clock.refresh_from_db()
    assert clock.state == "running"
    assert clock.started_on == START
    assert clock.due_date == date(2025, 10, 10)
    assert clock.provisional is False
    assert list(clock.events.values_list("seq", "kind")) == [(1, "start")]
    assert AuditEvent.objects.filter(verb="clock.start", target_id=str(clock.pk), actor=coordinator).exists()


def test_status_counts_used_and_remaining_as_of_a_day():
    clock = started(limit=5)
    status = svc.clock_status(clock, today=date(2025, 10, 9))
    assert (status.used, status.remaining, status.light) == (4, 1, "yellow")
    status = svc.clock_status(clock, today=date(2025, 9, 29))
    assert (status.used, status.remaining, status.light) == (2, 3, "yellow")  # 3 <= JR_WARN_DAYS
    status = svc.clock_status(clock, today=date(2025, 10, 13))
    assert status.light == "red" and status.remaining < 0


def test_warn_days_per_clock_override():
    clock = started(limit=10, warn_days=1, warn_percent=0)
    assert svc.clock_status(clock, today=date(2025, 9, 29)).light == "green"  # 8 left
    clock = started(limit=10)  # settings: 3 days / 20 %
    assert svc.clock_status(clock, today=date(2025, 10, 10)).light == "green"  # 10-5=5 left
    assert svc.clock_status(clock, today=date(2025, 10, 14)).light == "yellow"  # 2 left


def test_pause_and_resume_push_the_due_date(coordinator):
    clock = started(limit=5)
    svc.clock_pause(clock=clock, on=date(2025, 9, 29), reason=PauseReason.SUPPLEMENT, actor=coordinator)
    assert clock.state == "paused"
    svc.clock_resume(clock=clock, on=date(2025, 10, 13), actor=coordinator)
    clock.refresh_from_db()
    # used Sep 28, Sep 29 before the pause; 3 more after Oct 13: Oct 14, 15, 16
    assert clock.due_date == date(2025, 10, 16)
    assert clock.state == "running"
    status = svc.clock_status(clock, today=date(2025, 10, 14))
    assert status.used == 3 and status.paused_days > 0


def test_restart_policy_restarts_the_full_limit():
    clock = started(limit=5, policy="restart")
    svc.clock_pause(clock=clock, on=date(2025, 9, 29), reason=PauseReason.REVISION, actor=None)
    svc.clock_resume(clock=clock, on=date(2025, 10, 13), actor=None)
    clock.refresh_from_db()
    assert clock.due_date == date(2025, 10, 20)  # five full working days after Oct 13


def test_extension_adds_days_and_is_not_a_pause(coordinator):
    clock = started(limit=5)
    approver = CentreAdminFactory()
    svc.clock_extend(clock=clock, on=date(2025, 9, 30), days=3, approver=approver,
                     reason_text="需补充专家论证 more expert input", actor=coordinator)
    clock.refresh_from_db()
    assert clock.state == "running"
    # 8 working days: Sep 28, 29, 30, Oct 9, 10, 11 (Sat worked), 13, 14
    assert clock.due_date == date(2025, 10, 14)
    event = clock.events.get(kind="extend")
    assert event.days == 3 and event.approver == approver


def test_stop_freezes_the_clock():
    clock = started(limit=5)
    svc.clock_stop(clock=clock, on=date(2025, 10, 9), actor=None)
    status = svc.clock_status(clock, today=date(2025, 12, 1))
    assert status.state == "stopped" and status.light == "green" and status.used == 4


def test_last_seq_moves_with_every_event_and_not_with_a_refusal(coordinator):
    """Project budgets are memoised by each clock's last_seq: it must equal its last event's seq after
    every kind of event, whichever service wrote it, and stay put when an event is refused."""
    def last_seq(clock):
        return Clock.objects.get(pk=clock.pk).last_seq

    def max_seq(clock):
        return max(clock.events.values_list("seq", flat=True), default=0)

    clock = svc.clock_create(kind=Clock.Kind.APPLICATION, limit_value=5)
    assert last_seq(clock) == 0
    svc.clock_start(clock=clock, on=START, actor=coordinator)
    steps = [
        lambda: svc.clock_pause(clock=clock, on=date(2025, 9, 29), reason=PauseReason.SUPPLEMENT, actor=None),
        lambda: svc.clock_resume(clock=clock, on=date(2025, 10, 13), actor=None),
        lambda: svc.clock_extend(clock=clock, on=date(2025, 10, 14), days=2, approver=CentreAdminFactory(),
                                 reason_text="专家论证", actor=coordinator),
        lambda: svc.clock_stop(clock=clock, on=date(2025, 10, 15), actor=None),
    ]
    assert last_seq(clock) == max_seq(clock) == clock.last_seq == 1
    for n, step in enumerate(steps, start=2):
        step()
        assert last_seq(clock) == max_seq(clock) == clock.last_seq == n
    with pytest.raises(ConflictError):
        svc.clock_resume(clock=clock, on=date(2025, 10, 16), actor=None)
    assert last_seq(clock) == 5


def test_clocks_started_together_have_their_start_event_as_last_seq(coordinator):
    app = AssignmentFactory().application
    clocks = svc.clocks_start_new(terms=[{"kind": "application", "limit_value": 5},
                                         {"kind": "assignment", "limit_value": 3}],
                                  on=START, actor=coordinator, application=app, audit=[])
    for clock in clocks:
        assert Clock.objects.get(pk=clock.pk).last_seq == 1 == clock.events.get().seq


@pytest.mark.parametrize(
    "steps, message",
    [
        ([("resume", date(2025, 9, 29))], "计时未暂停, 不能恢复"),
        ([("pause", date(2025, 9, 29)), ("pause", date(2025, 9, 30))], "计时已暂停"),
        ([("stop", date(2025, 9, 29)), ("pause", date(2025, 9, 30))], "停止, 不能暂停"),
        ([("stop", date(2025, 9, 29)), ("resume", date(2025, 9, 30))], "停止, 不能恢复"),
        ([("pause", date(2025, 9, 20))], "早于该计时的上一事件"),
        ([("start", date(2025, 9, 29))], "计时已于 2025-09-26 开始"),
    ],
)
def test_invalid_sequences_are_refused(steps, message):
    clock = started(limit=5)
    with pytest.raises(ServiceError, match=message):
        for kind, on in steps:
            if kind == "pause":
                svc.clock_pause(clock=clock, on=on, reason=PauseReason.EXPERT_REVIEW, actor=None)
            elif kind == "resume":
                svc.clock_resume(clock=clock, on=on, actor=None)
            elif kind == "stop":
                svc.clock_stop(clock=clock, on=on, actor=None)
            else:
                svc.clock_start(clock=clock, on=on, actor=None)


def test_refusals_leave_no_event_behind():
    clock = started(limit=5)
    n = ClockEvent.objects.filter(clock=clock).count()
    with pytest.raises(ConflictError):
        svc.clock_resume(clock=clock, on=date(2025, 9, 29), actor=None)
    assert ClockEvent.objects.filter(clock=clock).count() == n


def test_event_before_start_is_refused():
    clock = svc.clock_create(kind=Clock.Kind.ASSIGNMENT, limit_value=5)
    with pytest.raises(ServiceError, match="计时尚未开始, 不能暂停"):
        svc.clock_pause(clock=clock, on=START, reason=PauseReason.SUPPLEMENT, actor=None)
    with pytest.raises(ServiceError, match="计时尚未开始, 不能停止"):
        svc.clock_stop(clock=clock, on=START, actor=None)
    assert not ClockEvent.objects.filter(clock=clock).exists()


def test_extension_needs_approver_reason_and_days():
    clock = started(limit=5)
    approver = CentreAdminFactory()
    with pytest.raises(ServiceError, match="批准人"):
        svc.clock_extend(clock=clock, on=START, days=3, approver=None, reason_text="x", actor=None)
    with pytest.raises(ServiceError, match="告知申请人的理由"):
        svc.clock_extend(clock=clock, on=START, days=3, approver=approver, reason_text="  ", actor=None)
    with pytest.raises(ServiceError, match="不小于1的整数"):
        svc.clock_extend(clock=clock, on=START, days=0, approver=approver, reason_text="x", actor=None)


def test_pause_reason_must_be_legal_and_other_needs_text():
    clock = started(limit=5)
    with pytest.raises(ServiceError, match="未知的暂停原因「lunch」"):
        svc.clock_pause(clock=clock, on=START, reason="lunch", actor=None)
    with pytest.raises(ServiceError, match="须填写书面说明"):
        svc.clock_pause(clock=clock, on=START, reason=PauseReason.OTHER, actor=None)
    svc.clock_pause(clock=clock, on=START, reason=PauseReason.OTHER, reason_text="业主申请暂停", actor=None)
    assert clock.state == "paused"


def test_clock_create_validates():
    with pytest.raises(ServiceError, match="时限必须是不小于1的整数天数"):
        svc.clock_create(kind=Clock.Kind.APPLICATION, limit_value=0)
    with pytest.raises(ServiceError, match="未知的计时类型「nope」"):
        svc.clock_create(kind="nope", limit_value=5)
    with pytest.raises(ServiceError, match="未知的时间单位「hours」"):
        svc.clock_create(kind=Clock.Kind.APPLICATION, limit_value=5, limit_unit="hours")


def test_natural_day_clock():
    clock = started(limit=7, limit_unit="natural")
    # Sep 26 + 7 natural days = Oct 3 (holiday) -> rolls forward to Oct 9
    assert clock.due_date == date(2025, 10, 9)


def test_assignment_due_date_mirrors_its_clock():
    assignment = AssignmentFactory()
    clock = svc.clock_create(kind=Clock.Kind.ASSIGNMENT, limit_value=5)
    assignment.clock = clock
    assignment.save(update_fields=["clock"])
    svc.clock_start(clock=clock, on=START, actor=None)
    assignment.refresh_from_db()
    assert assignment.due_date == date(2025, 10, 10)
    assert AuditEvent.objects.filter(verb="clock.start", application=assignment.application).exists()


def test_refresh_caches_light_as_of_a_day():
    clock = started(limit=5)
    svc.clock_refresh(clock=clock, today=date(2025, 10, 9))
    clock.refresh_from_db()
    assert (clock.light, clock.remaining_days, clock.used_days, clock.evaluated_on) == (
        "yellow", 1, 4, date(2025, 10, 9))


def test_sweep_moves_lights_and_notifies_once():
    centre = CentreFactory()
    clock = started(limit=5)
    svc.clock_refresh(clock=clock, today=date(2025, 9, 26))
    assert Clock.objects.get(pk=clock.pk).light == "green"
    stats = svc.clock_sweep(today=date(2025, 10, 9))
    assert stats["yellow"] == 1
    assert Clock.objects.get(pk=clock.pk).light == "yellow"
    note = Notification.objects.get(key__startswith=f"clock-{clock.pk}-yellow")
    assert note.organization == centre
    again = svc.clock_sweep(today=date(2025, 10, 9))
    assert again["evaluated"] == 0
    svc.clock_sweep(today=date(2025, 10, 13))
    svc.clock_sweep(today=date(2025, 10, 14))
    assert Clock.objects.get(pk=clock.pk).light == "red"
    assert Notification.objects.filter(key__startswith=f"clock-{clock.pk}-").count() == 2


def test_sweep_ignores_stopped_and_not_started_clocks():
    CentreFactory()
    stopped = started(limit=5)
    svc.clock_stop(clock=stopped, on=date(2025, 9, 29), actor=None)
    svc.clock_create(kind=Clock.Kind.APPLICATION, limit_value=5)
    assert svc.clock_sweep(today=date(2025, 12, 1))["evaluated"] == 0
    assert not Notification.objects.exists()


# --- the dashboard and the API: centre only -------------------------------------------------


def _login(client, user):
    client.force_login(user)


@pytest.mark.parametrize("factory", [CoordinatorFactory, CentreAdminFactory])
def test_dashboard_allowed_for_centre(client, factory):
    clock = started(limit=5)
    svc.clock_refresh(clock=clock, today=date(2025, 10, 9))
    _login(client, factory())
    response = client.get(reverse("clocks:dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "2025-10-10" in html
    assert "light-yellow" in html


@pytest.mark.parametrize("factory", [OwnerUserFactory, ReviewerFactory, LeadFactory])
def test_dashboard_denied_for_owner_and_agency(client, factory):
    _login(client, factory())
    assert client.get(reverse("clocks:dashboard")).status_code == 403
    assert client.get("/api/clocks/").status_code == 403


def test_dashboard_needs_login(client):
    response = client.get(reverse("clocks:dashboard"))
    assert response.status_code == 302


def test_dashboard_filters_by_light_and_shows_provisional(client):
    green = started(limit=30)
    red = started(limit=2)
    svc.clock_refresh(clock=green, today=date(2025, 9, 29))
    svc.clock_refresh(clock=red, today=date(2025, 10, 13))
    late = svc.clock_create(kind=Clock.Kind.APPLICATION, limit_value=10)
    svc.clock_start(clock=late, on=date(2026, 12, 21), actor=None)
    assert late.provisional
    _login(client, CoordinatorFactory())
    rows = client.get(reverse("clocks:dashboard"), {"light": "red"}).context["rows"]
    assert [r["clock"].pk for r in rows] == [red.pk]
    html = client.get(reverse("clocks:dashboard")).content.decode()
    assert '<span class="provisional">暂定</span>' in html  # zh-Hans, the default language
    response = client.get(reverse("clocks:dashboard"), {"light": "purple"}, follow=True)
    assert response.status_code == 200 and "未知的灯色" in response.content.decode()


def test_dashboard_query_count_is_constant(client, django_assert_num_queries):
    user = CoordinatorFactory()
    _login(client, user)
    assignment = AssignmentFactory(agency=AgencyFactory())
    clock = started(limit=5)
    assignment.clock = clock
    assignment.save(update_fields=["clock"])
    client.get(reverse("clocks:dashboard"))  # warm the calendar cache and the session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(reverse("clocks:dashboard"))
    for _ in range(4):
        a = AssignmentFactory(agency=AgencyFactory())
        a.clock = started(limit=5)
        a.save(update_fields=["clock"])
    with django_assert_num_queries(len(one)):
        response = client.get(reverse("clocks:dashboard"))
    assert len(response.context["rows"]) == 5


def test_api_lists_open_clocks_for_centre(client):
    clock = started(limit=5)
    _login(client, CoordinatorFactory())
    data = client.get("/api/clocks/").json()
    assert data["count"] == 1
    row = data["results"][0]
    assert row["id"] == clock.pk and row["due_date"] == "2025-10-10" and row["provisional"] is False
    assert client.get("/api/clocks/", {"light": "blue"}).status_code == 400
