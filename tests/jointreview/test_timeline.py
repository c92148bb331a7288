"""The project timeline: government time of stage 1-3 applications since the filing date."""
from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from jointreview.clocks import services as svc
from jointreview.clocks.calendar import get_calendar, invalidate_calendar
from jointreview.clocks.selectors import project_timelines
from jointreview.models import ApplicationStatus, Clock, PauseReason
from tests.factories import (
    ApplicationFactory,
    CoordinatorFactory,
    ItemFactory,
    OwnerUserFactory,
    ProjectFactory,
    StageFactory,
    WorkflowFactory,
)

pytestmark = pytest.mark.django_db

FILING = date(2025, 9, 1)  # a Monday
TODAY = date(2025, 9, 30)


@pytest.fixture(autouse=True)
def _fresh_calendar():
    invalidate_calendar()
    yield
    invalidate_calendar()


def application(project, stage_code=3, counts=True, limit=20, **kw):
    stage = StageFactory(code=stage_code, name=f"阶段{stage_code}", counts_to_timeline=counts)
    app = ApplicationFactory(project=project, workflow=WorkflowFactory(stage=stage, limit_value=limit), **kw)
    app.clock = svc.clock_create(kind=Clock.Kind.APPLICATION, limit_value=20)
    app.save(update_fields=["clock"])
    return app


def project_timeline(project, today):
    """The project's row of the centre dashboard's timelines (None: not listed)."""
    rows = [t for t in project_timelines(CoordinatorFactory(), today=today) if t.project == project]
    assert len(rows) <= 1
    return rows[0] if rows else None


def wd(a, b):
    return get_calendar().between(a, b)


def test_running_application_counts_from_its_start():
    project = ProjectFactory(filing_date=FILING)
    app = application(project)
    svc.clock_start(clock=app.clock, on=date(2025, 9, 10), actor=None)
    t = project_timeline(project, today=TODAY)
    assert t.used == wd(date(2025, 9, 10), TODAY) == 15  # incl. Sun Sep 28 (调休 worked)
    assert t.remaining == 40 - 15
    # the projection adds what the stage still promises: its workflow's 20 days, 15 used
    assert t.projected_total == 20 and t.projected_finish == get_calendar().add(TODAY, 5)
    assert not t.red and not t.provisional and t.applications == 1


def test_parallel_applications_are_counted_once():
    project = ProjectFactory(filing_date=FILING)
    a = application(project, stage_code=1)
    b = application(project, stage_code=2)
    svc.clock_start(clock=a.clock, on=date(2025, 9, 10), actor=None)
    svc.clock_start(clock=b.clock, on=date(2025, 9, 12), actor=None)
    svc.clock_stop(clock=a.clock, on=date(2025, 9, 19), actor=None)
    t = project_timeline(project, today=TODAY)
    assert t.used == wd(date(2025, 9, 10), TODAY)  # union: Sep 10 -> today, once
    assert t.applications == 2


def test_owner_time_and_expert_review_are_excluded():
    project = ProjectFactory(filing_date=FILING)
    app = application(project)
    svc.clock_start(clock=app.clock, on=date(2025, 9, 10), actor=None)
    svc.clock_pause(clock=app.clock, on=date(2025, 9, 15), reason=PauseReason.SUPPLEMENT, actor=None)
    svc.clock_resume(clock=app.clock, on=date(2025, 9, 22), actor=None)
    svc.clock_pause(clock=app.clock, on=date(2025, 9, 24), reason=PauseReason.EXPERT_REVIEW, actor=None)
    t = project_timeline(project, today=TODAY)
    assert t.used == wd(date(2025, 9, 10), date(2025, 9, 15)) + wd(date(2025, 9, 22), date(2025, 9, 24)) == 5


def test_stage_4_and_uncounted_stages_do_not_count():
    project = ProjectFactory(filing_date=FILING)
    app = application(project, stage_code=4, counts=False)
    svc.clock_start(clock=app.clock, on=date(2025, 9, 10), actor=None)
    assert project_timeline(project, today=TODAY) is None  # nothing counted: not on the dashboard


def test_time_before_filing_is_not_counted():
    project = ProjectFactory(filing_date=date(2025, 9, 15))
    app = application(project)
    svc.clock_start(clock=app.clock, on=date(2025, 9, 10), actor=None)
    assert project_timeline(project, today=TODAY).used == wd(date(2025, 9, 15), TODAY)


def test_red_when_target_exceeded(settings):
    settings.JR_TOTAL_TARGET_DAYS = 10
    project = ProjectFactory(filing_date=FILING)
    app = application(project)
    svc.clock_start(clock=app.clock, on=date(2025, 9, 10), actor=None)
    t = project_timeline(project, today=TODAY)
    assert t.target == 10 and t.red and t.remaining == 10 - 15 and t.light == "red"


def test_complete_when_the_construction_permit_is_approved():
    project = ProjectFactory(filing_date=FILING)
    drawings = application(project, status=ApplicationStatus.APPROVED)
    svc.clock_start(clock=drawings.clock, on=date(2025, 9, 2), actor=None)
    svc.clock_stop(clock=drawings.clock, on=date(2025, 9, 9), actor=None)
    assert not project_timeline(project, today=date(2025, 12, 1)).complete  # 联合审图 done: not the end yet
    app = application(project, status=ApplicationStatus.APPROVED)
    ItemFactory(code="construction-permit", workflow=app.workflow)  # 施工许可证 ends the timeline
    svc.clock_start(clock=app.clock, on=date(2025, 9, 10), actor=None)
    svc.clock_stop(clock=app.clock, on=date(2025, 9, 19), actor=None)
    t = project_timeline(project, today=date(2025, 12, 1))
    assert t.complete and t.projected_finish == date(2025, 9, 19)
    assert t.used == wd(date(2025, 9, 2), date(2025, 9, 9)) + wd(date(2025, 9, 10), date(2025, 9, 19))


def test_timeline_into_an_unpublished_year_is_provisional():
    project = ProjectFactory(filing_date=date(2026, 12, 1))
    app = application(project, limit=40)
    svc.clock_start(clock=app.clock, on=date(2026, 12, 1), actor=None)
    t = project_timeline(project, today=date(2026, 12, 10))
    assert t.projected_finish.year == 2027 and t.provisional


def test_dashboard_panel_lists_project_timelines(client):
    project = ProjectFactory(filing_date=FILING, name="示范大厦A")
    app = application(project)
    svc.clock_start(clock=app.clock, on=date(2025, 9, 10), actor=None)
    ProjectFactory(name="未开始项目")  # no started clock: not listed
    coordinator = CoordinatorFactory()
    assert [t.project for t in project_timelines(coordinator, today=TODAY)] == [project]
    assert project_timelines(OwnerUserFactory(), today=TODAY) == []
    client.force_login(coordinator)
    html = client.get(reverse("clocks:dashboard")).content.decode()
    assert "示范大厦A" in html and "未开始项目" not in html
