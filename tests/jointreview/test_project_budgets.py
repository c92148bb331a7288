"""Project budgets from the database: the seeded catalogue fits the target, the admin refuses caps over it,
the bulk selector's query count, the cached lights' transitions, who sees a budget, and where it is shown."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from jointreview.catalogue.seed import seed_catalogue
from jointreview.clocks import services as svc
from jointreview.clocks.budgets import _catalogue, _memo, project_budgets
from jointreview.clocks.calendar import invalidate_calendar
from jointreview.clocks.models import PauseReason
from jointreview.clocks.selectors import budgets_for
from jointreview.models import (
    Application,
    ApplicationStatus,
    Assignment,
    Clock,
    Item,
    ProjectLight,
    ReviewRound,
    Stage,
    StageCap,
    Workflow,
)
from jointreview.policy import grant_many
from projects.models import AgencyType, FlowType
from tests.factories import (
    AgencyFactory,
    ApplicationFactory,
    CentreAdminFactory,
    CoordinatorFactory,
    LeadFactory,
    OwnerUserFactory,
    ProjectFactory,
    StageFactory,
    WorkflowFactory,
)

pytestmark = pytest.mark.django_db
FILING = date(2025, 9, 1)


@pytest.fixture(autouse=True)
def _fresh_calendar():
    invalidate_calendar()
    yield
    invalidate_calendar()


def started(project, *, stage=1, on=date(2025, 9, 2), agency=None, limit=12):
    """A stage application with a running clock and, when ``agency`` is given, that agency's running assignment."""
    wf = WorkflowFactory(stage=StageFactory(code=stage, name=f"阶段{stage}"), limit_value=limit)
    app = ApplicationFactory(project=project, workflow=wf, status=ApplicationStatus.ACCEPTED, current_round=1)
    app.clock = svc.clock_create(kind=Clock.Kind.APPLICATION, limit_value=limit)
    app.save(update_fields=["clock"])
    svc.clock_start(clock=app.clock, on=on, actor=None)
    if agency is not None:
        rnd = ReviewRound.objects.create(application=app, number=1)
        clock = svc.clock_create(kind="assignment", limit_value=limit)
        svc.clock_start(clock=clock, on=on, actor=None)
        a = Assignment.objects.create(application=app, round=rnd, round_number=1, agency=agency, clock=clock)
        grant_many([("view_assignment", agency, a), ("review_assignment", agency, a), ("view_application", agency, app)])
    return app


# --- the catalogue ---------------------------------------------------------------------------


def test_seeded_caps_and_promised_limits_fit_the_target_with_their_sources():
    seed_catalogue()
    cat = _catalogue()
    for flow_type in FlowType.values:
        caps = {c.stage.code: c for c in StageCap.objects.filter(flow_type=flow_type).select_related("stage")}
        assert set(caps) == {1, 2, 3, 4}
        assert sum(caps[code].cap_days for code in (1, 2, 3)) <= 40
        assert all(c.source for c in caps.values())
        for code in (1, 2, 3, 4):  # what the workflows promise fits each stage's cap
            assert cat.promised[code] <= caps[code].cap_days
    assert sum(cat.promised[code] for code in (1, 2, 3)) <= 40
    for item in Item.objects.select_related("workflow"):
        if item.promised_limit_unit == item.workflow.limit_unit:
            assert item.promised_limit_value <= item.workflow.limit_value, item.code
    assert all(s.lead_agency_id for s in Stage.objects.filter(code__lte=4))


def test_the_seeded_stages_are_complete_and_the_permit_is_the_housing_departments_own_item():
    seed_catalogue()
    stage_of = dict(Item.objects.values_list("code", "workflow__stage__code"))
    assert stage_of["land-siting"] == stage_of["land-planning-permit"] == 1  # 用地预审与选址意见书, 建设用地规划许可证
    assert stage_of["scheme-review"] == stage_of["planning-permit"] == 2
    assert stage_of["drawing-review"] == stage_of["construction-permit"] == 3
    assert stage_of["completion-filing"] == 4  # 竣工验收备案
    permit = Item.objects.select_related("workflow", "agency").get(code="construction-permit")
    assert permit.agency.short_name == "市住建局" and permit.workflow.items.count() == 1
    assert permit.workflow.sequence > Workflow.objects.get(code="53").sequence  # after 联合审图


def test_a_cap_over_the_target_is_refused_by_the_model():
    seed_catalogue()
    cap = StageCap.objects.get(stage__code=1, flow_type=FlowType.SOCIAL)
    cap.cap_days += 1
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        cap.full_clean()
    assert "add up to 41 working days" in str(exc.value) and "target of 40" in str(exc.value)


def test_the_admin_refuses_a_cap_over_the_target_with_a_clear_message(en_client, settings):
    seed_catalogue()
    en_client.force_login(CentreAdminFactory())
    cap = StageCap.objects.get(stage__code=3, flow_type=FlowType.SMALL)
    url = reverse("admin:jointreview_stagecap_change", args=[cap.pk])
    form = {"stage": cap.stage_id, "flow_type": cap.flow_type, "cap_days": 19, "source": cap.source}
    response = en_client.post(url, form)
    assert response.status_code == 200
    assert "add up to 41 working days" in response.content.decode()
    cap.refresh_from_db()
    assert cap.cap_days == 18
    settings.JR_TOTAL_TARGET_DAYS = 45  # a centre with a looser target accepts it
    assert en_client.post(url, form).status_code == 302
    cap.refresh_from_db()
    assert cap.cap_days == 19


# --- the bulk selector and the cached lights ---------------------------------------------------


def _projects(n):
    out = []
    for _ in range(n):
        project = ProjectFactory(filing_date=FILING)
        started(project, agency=AgencyFactory())
        started(project, stage=2, agency=AgencyFactory(agency_type=AgencyType.INTERMEDIARY))
        out.append(project.pk)
    return out


def test_the_bulk_selector_reads_n_projects_in_a_constant_number_of_queries():
    few, many = _projects(2), _projects(6)
    project_budgets(few, today=date(2025, 9, 30))  # the calendar is loaded once per process
    _memo.clear()  # computed afresh both times
    with CaptureQueriesContext(connection) as small:
        assert len(project_budgets(few, today=date(2025, 9, 30))) == 2
    _memo.clear()
    with CaptureQueriesContext(connection) as large:
        budgets = project_budgets(few + many, today=date(2025, 9, 30))
    assert len(budgets) == 8 and len(small) == len(large) == 8
    b = budgets[few[0]]
    assert b.stages[1].counters.intermediary > 0 and b.total.government > 0


def test_a_repeat_reads_no_events_and_any_new_event_or_day_is_computed_afresh():
    """The per-process memo: an unchanged project is not recomputed (its events are not read), but a new
    clock event, a status change or another day gives new figures, never stale ones."""
    (pk,) = _projects(1)
    _memo.clear()
    first = project_budgets([pk], today=date(2025, 9, 30))[pk]
    with CaptureQueriesContext(connection) as repeat:
        again = project_budgets([pk], today=date(2025, 9, 30))[pk]
    assert again.figures == first.figures
    assert not any("jointreview_clockevent\".\"kind\"" in q["sql"] for q in repeat.captured_queries)
    assert len(repeat) == 7
    later = project_budgets([pk], today=date(2025, 10, 10))[pk]
    assert later.used > first.used  # another day: computed again
    for app in Application.objects.filter(project_id=pk).exclude(clock=None):  # the owner's turn, everywhere
        for clock in [app.clock, *(a.clock for a in app.assignments.exclude(clock=None))]:
            svc.clock_pause(clock=clock, on=date(2025, 9, 16), reason=PauseReason.SUPPLEMENT, actor=None)
    paused = project_budgets([pk], today=date(2025, 9, 30))[pk]
    _memo.clear()
    assert paused.figures == project_budgets([pk], today=date(2025, 9, 30))[pk].figures  # not stale
    assert paused.used < first.used and paused.total.applicant > first.total.applicant


def test_refresh_moves_each_light_once_and_returns_the_transitions():
    quiet = ProjectFactory(filing_date=FILING)
    started(quiet, on=date(2025, 9, 10), agency=AgencyFactory())
    busy = ProjectFactory(filing_date=FILING)
    started(busy, on=date(2025, 9, 2), agency=AgencyFactory())
    StageCap.objects.create(stage=Stage.objects.get(code=1), flow_type=FlowType.SOCIAL, cap_days=12, source="test")
    # 11 September: busy has 7 government days (5 left of its stage cap 12) -> yellow; quiet 1 day -> green
    assert svc.project_budget_refresh(today=date(2025, 9, 11)) == [(busy.pk, "green", "yellow")]
    assert svc.project_budget_refresh(today=date(2025, 9, 11)) == []  # a second sweep: nothing moved again
    row = ProjectLight.objects.get(pk=busy.pk)
    assert (row.light, row.used_days, row.remaining_days, row.evaluated_on) == ("yellow", 7, 33, date(2025, 9, 11))
    assert ProjectLight.objects.get(pk=quiet.pk).light == "green"
    # 22 September: busy 14 > 12 -> red; quiet 8 days, 4 left -> yellow
    assert svc.project_budget_refresh(today=date(2025, 9, 22)) == [(quiet.pk, "green", "yellow"),
                                                                    (busy.pk, "yellow", "red")]


# --- who sees a budget, and where --------------------------------------------------------------


def test_each_user_sees_only_the_budgets_of_their_projects():
    agency, other_agency = AgencyFactory(), AgencyFactory()
    mine, theirs = ProjectFactory(), ProjectFactory()
    started(mine, agency=agency)
    started(theirs, agency=other_agency)
    ids = [mine.pk, theirs.pk]
    owner = OwnerUserFactory(organization=mine.owner)
    assert set(budgets_for(owner, ids)) == {mine.pk}
    assert set(budgets_for(LeadFactory(organization=agency), ids)) == {mine.pk}
    assert set(budgets_for(LeadFactory(organization=AgencyFactory()), ids)) == set()
    assert set(budgets_for(CoordinatorFactory(), ids)) == {mine.pk, theirs.pk}
    assert budgets_for(OwnerUserFactory(), ids) == {}


def recent():
    return timezone.localdate() - timedelta(days=3)


def test_the_owner_sees_the_bar_on_the_project_page(en_client):
    project = ProjectFactory(filing_date=recent())
    started(project, on=recent(), agency=AgencyFactory())
    en_client.force_login(OwnerUserFactory(organization=project.owner))
    html = en_client.get(reverse("intake:project_detail", args=[project.pk])).content.decode()
    assert f'id="budget-{project.pk}"' in html and 'class="budget-bar"' in html
    assert "working days left" in html and "Intermediary" in html and "Suspended" in html
    en_client.force_login(OwnerUserFactory())  # another owner: the page (and its budget) is not found
    assert en_client.get(reverse("intake:project_detail", args=[project.pk])).status_code == 404


def test_the_agency_sees_the_projects_remaining_budget_on_its_inbox_row(en_client):
    lead = LeadFactory()
    project = ProjectFactory(filing_date=recent())
    started(project, on=recent(), agency=lead.organization)
    en_client.force_login(lead)
    response = en_client.get(reverse("review:inbox"))
    row = response.context["page"][0]
    assert row.project_budget is not None and row.project_budget.project.pk == project.pk
    assert "of 40 working days" in response.content.decode()


def test_the_coordinator_sees_budgets_on_the_deadlines_page(en_client):
    project = ProjectFactory(filing_date=recent(), name="预算项目")
    started(project, on=recent(), agency=AgencyFactory())
    en_client.force_login(CoordinatorFactory())
    html = en_client.get(reverse("clocks:dashboard")).content.decode()
    assert "预算项目" in html and f'id="budget-{project.pk}"' in html and "working days left" in html


def test_the_coordinator_sees_the_budget_wherever_a_project_appears(en_client):
    """The application page, the window's lists and the coordination worklist carry the project's budget
    pill (the cockpit and the deadlines page have their own tests); an agency sees it on the application
    page of a case it reviews."""
    from jointreview.models import PauseRequest

    lead = LeadFactory()
    project = ProjectFactory(filing_date=recent(), name="预算项目")
    app = started(project, on=recent(), agency=lead.organization)
    PauseRequest.objects.create(assignment=app.assignments.get(), reason="testing", reason_text="检测",
                                expected_days=3, requested_by=lead)
    en_client.force_login(CoordinatorFactory())
    for url in (reverse("intake:application_detail", args=[app.pk]), reverse("intake:window"),
                reverse("review:coordination")):
        html = en_client.get(url).content.decode()
        assert 'class="budget-pill' in html and "of 40 working days left" in html, url
    en_client.force_login(lead)
    assert 'class="budget-pill' in en_client.get(reverse("intake:application_detail", args=[app.pk])).content.decode()
    en_client.force_login(OwnerUserFactory())  # another owner: not found, no budget
    assert en_client.get(reverse("intake:application_detail", args=[app.pk])).status_code == 404


def test_an_application_of_stage_4_is_not_counted():
    project = ProjectFactory(filing_date=FILING)
    started(project, stage=4)
    Stage.objects.filter(code=4).update(counts_to_timeline=False)
    assert project_budgets([project.pk], today=date(2025, 9, 30))[project.pk].applications == 0
    assert Application.objects.filter(project=project).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_refreshes_at_the_same_time_return_each_transition_once():
    import threading

    projects = [ProjectFactory(filing_date=FILING) for _ in range(5)]
    for project in projects:
        started(project, on=date(2025, 9, 2), agency=AgencyFactory())
    StageCap.objects.create(stage=Stage.objects.get(code=1), flow_type=FlowType.SOCIAL, cap_days=12, source="test")
    barrier, results, errors = threading.Barrier(2), [], []

    def refresh():
        try:
            barrier.wait(timeout=10)
            results.append(svc.project_budget_refresh(today=date(2025, 9, 22)))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    moved = sorted(m for r in results for m in r)
    assert moved == [(p.pk, "green", "red") for p in projects]  # five transitions in all, not ten
    assert set(ProjectLight.objects.values_list("light", flat=True)) == {"red"}


def test_counting_another_stage_is_refused_when_its_caps_would_go_over_the_target():
    seed_catalogue()
    stage4 = Stage.objects.get(code=4)
    stage4.counts_to_timeline = True
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        stage4.full_clean()
    assert "to 55 working days" in str(exc.value)
    Stage.objects.get(code=1).full_clean()  # the seeded stages 1-3 pass
