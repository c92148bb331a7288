"""The coordinator's cockpit: filters (each one), counts, sorting, pagination, bad input, exports that hold
exactly the filtered rows (all pages), the policy, and a query count constant in the number of rows."""
from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from jointreview.models import ApplicationStatus, AssignmentStatus, Clock, ClockState, Deferral, Light
from tests.factories import (
    AgencyFactory,
    ApplicationFactory,
    AssignmentFactory,
    CentreFactory,
    CoordinatorFactory,
    LeadFactory,
    MaterialFactory,
    OwnerUserFactory,
    ProjectFactory,
    ReviewerFactory,
    ReviewRoundFactory,
    StageFactory,
    WorkflowFactory,
    ZoneFactory,
)

pytestmark = pytest.mark.django_db
URL = reverse("cockpit:cockpit")
CSV_URL = reverse("cockpit:export_csv")
XLSX_URL = reverse("cockpit:export_xlsx")


def clock(light=Light.GREEN, due=None, provisional=False, state=ClockState.RUNNING, kind="application"):
    today = timezone.localdate()
    return Clock.objects.create(kind=kind, limit_value=10, state=state, light=light, started_on=today,
                                due_date=due or today + datetime.timedelta(days=10), remaining_days=5,
                                provisional=provisional)


def case(status=ApplicationStatus.ACCEPTED, *, light=Light.GREEN, due=None, agency=None, workflow=None, zone=None,
         accepted_by=None, provisional=False, assignment_status=AssignmentStatus.IN_REVIEW, assignment_light=None):
    project = ProjectFactory(zone=zone)
    app = ApplicationFactory(project=project, status=status, workflow=workflow or WorkflowFactory(),
                             clock=clock(light, due, provisional), accepted_by=accepted_by,
                             current_round=1 if status in (ApplicationStatus.ACCEPTED, ApplicationStatus.REVISION)
                             else 0)
    if agency is not None:
        rnd = ReviewRoundFactory(application=app)
        AssignmentFactory(round=rnd, agency=agency, status=assignment_status,
                          clock=clock(assignment_light or Light.GREEN, kind="assignment"))
    return app


@pytest.fixture
def coord():
    return CoordinatorFactory(organization=CentreFactory())


def numbers(response) -> set[str]:
    return {row.number for row in response.context["rows"]}


def csv_numbers(content: bytes) -> list[str]:
    text = content.decode("utf-8-sig")
    return [r[0] for r in list(csv.reader(io.StringIO(text)))[1:]]


def test_only_the_centre_sees_the_cockpit_and_its_exports(client, coord):
    case()
    for user in (OwnerUserFactory(), ReviewerFactory(), LeadFactory()):
        client.force_login(user)
        for url in (URL, CSV_URL, XLSX_URL):
            assert client.get(url).status_code == 403, (user, url)
    client.force_login(coord)
    assert client.get(URL).status_code == 200


def test_open_cases_only_and_each_row_links_to_its_case(client, coord):
    open_app = case(agency=AgencyFactory())
    case(ApplicationStatus.APPROVED)
    case(ApplicationStatus.DRAFT)
    client.force_login(coord)
    response = client.get(URL)
    assert numbers(response) == {open_app.number}
    html = response.content.decode()
    assert f'href="{reverse("intake:application_detail", args=[open_app.pk])}"' in html
    assignment = open_app.assignments.get()
    assert f'href="{reverse("review:assignment", args=[assignment.pk])}"' in html


def test_each_filter(client, coord):
    today = timezone.localdate()
    fire, water = AgencyFactory(), AgencyFactory()
    wf_a, wf_b = WorkflowFactory(stage=StageFactory(code=2, name="工程建设许可")), WorkflowFactory()
    zone = ZoneFactory()
    other = CoordinatorFactory(organization=coord.organization)
    red = case(light=Light.RED, agency=fire, accepted_by=coord)
    yellow_assignment = case(agency=water, assignment_light=Light.YELLOW, workflow=wf_a, accepted_by=other)
    returned = case(ApplicationStatus.RETURNED, zone=zone)
    due = case(due=today, provisional=True, agency=fire, assignment_status=AssignmentStatus.UNASSIGNED)
    late = case(workflow=wf_b)
    Deferral.objects.create(application=late, material=MaterialFactory(), promised_date=today - datetime.timedelta(1),
                            commitment="按期补交", recorded_by=coord)
    client.force_login(coord)
    expected = {
        f"agency={fire.pk}": {red, due},
        f"workflow={wf_a.pk}": {yellow_assignment},
        "stage=2": {yellow_assignment},
        f"zone={zone.pk}": {returned},
        "light=red": {red},
        "light=yellow": {yellow_assignment},  # an open assignment's light counts
        "accepted_by=me": {red},
        f"accepted_by={other.pk}": {yellow_assignment},
        "waiting=1": {returned},
        "provisional=1": {due},
        "due_today=1": {due},
        "unassigned=1": {due},
        "deferral_overdue=1": {late},
        f"agency={fire.pk}&light=red&accepted_by=me": {red},
    }
    for query, apps in expected.items():
        response = client.get(f"{URL}?{query}")
        assert response.status_code == 200, query
        assert numbers(response) == {a.number for a in apps}, query
        # the exports hold exactly the same rows
        assert sorted(csv_numbers(client.get(f"{CSV_URL}?{query}").content)) == sorted(a.number for a in apps), query


def test_counts_at_the_top(client, coord):
    today = timezone.localdate()
    case(light=Light.RED, agency=AgencyFactory(), assignment_light=Light.RED)
    case(light=Light.YELLOW, due=today)
    case(ApplicationStatus.REVISION, agency=AgencyFactory(), assignment_status=AssignmentStatus.UNASSIGNED)
    client.force_login(coord)
    counts = client.get(URL).context["counts"]
    assert counts["red"] == 2 and counts["yellow"] == 1 and counts["due_today"] == 1
    assert counts["unassigned"] == 1 and counts["waiting"] == 1
    assert counts["supervision_unanswered"] == 0  # no supervision record yet (tests/jointreview/supervision)
    page = client.get(URL).content.decode()
    assert 'id="count-supervision"' in page and "/supervision/?status=open" in page


@pytest.mark.parametrize("query", [
    "agency=abc", "agency=99999999", "workflow=²", "stage=9", "zone=-1", "light=purple", "accepted_by=x",
    "waiting=maybe", "sort=password", "agency=" + "9" * 25, "accepted_by=99999",
])
def test_bad_filter_values_are_refused_not_500(client, coord, query):
    case()
    client.force_login(coord)
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 400 and 'id="filter-errors"' in response.content.decode()
    assert client.get(f"{CSV_URL}?{query}").status_code == 400
    assert client.get(f"{XLSX_URL}?{query}").status_code == 400


def test_sorted_and_paginated_50_a_page_and_the_export_holds_every_page(client, coord):
    today = timezone.localdate()
    apps = [case(due=today + datetime.timedelta(days=i + 1)) for i in range(55)]
    client.force_login(coord)
    first = client.get(URL)
    assert len(first.context["rows"]) == 50 and first.context["page"].paginator.num_pages == 2
    assert [r.number for r in first.context["rows"]] == [a.number for a in apps[:50]]  # soonest due first
    second = client.get(f"{URL}?page=2")
    assert [r.number for r in second.context["rows"]] == [a.number for a in apps[50:]]
    backwards = client.get(f"{URL}?sort=-due")
    assert backwards.context["rows"][0].number == apps[-1].number
    assert csv_numbers(client.get(CSV_URL).content) == [a.number for a in apps]


def test_default_order_puts_applications_without_a_clock_last_on_every_page(client, coord):
    today = timezone.localdate()
    clocked = [case(due=today + datetime.timedelta(days=i + 1)) for i in range(48)]
    at_window = []
    for _ in range(4):
        app = case(ApplicationStatus.SUBMITTED)
        type(app).objects.filter(pk=app.pk).update(clock=None)
        at_window.append(app)
    client.force_login(coord)
    expected = [a.number for a in clocked] + [a.number for a in at_window]
    first = [r.number for r in client.get(URL).context["rows"]]
    second = [r.number for r in client.get(f"{URL}?page=2").context["rows"]]
    assert first + second == expected and len(first) == 50
    # the export of the default view: the same order, every page
    assert csv_numbers(client.get(CSV_URL).content) == expected
    # the plain sorted query (used for filtered views) gives the same order as the two index scans
    from jointreview.cockpit.selectors import CockpitFilters, cockpit_applications, ordered_ids

    plain = cockpit_applications(coord, CockpitFilters(), today=today).values_list("number", flat=True)
    assert list(plain) == expected
    fast = ordered_ids(cockpit_applications(coord, CockpitFilters(), today=today), CockpitFilters())
    assert fast[3:51] == [a.pk for a in clocked[3:]] + [a.pk for a in at_window[:3]]


def test_excel_export_has_the_filtered_rows(client, coord):
    from openpyxl import load_workbook

    red = case(light=Light.RED)
    case()
    client.force_login(coord)
    response = client.get(f"{XLSX_URL}?light=red")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert [v[0] for v in values[1:]] == [red.number]


def test_a_formula_in_a_project_name_is_not_a_formula_in_the_export(client, coord):
    app = case()
    app.project.name = "=HYPERLINK(\"http://evil\")"
    app.project.save()
    client.force_login(coord)
    text = client.get(CSV_URL).content.decode("utf-8-sig")
    assert "'=HYPERLINK" in text


def test_query_count_is_constant_in_the_number_of_rows(client, coord):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from jointreview.clocks.budgets import _memo as budget_memo

    agency = AgencyFactory()
    for _ in range(3):
        case(agency=agency, accepted_by=coord)
    client.force_login(coord)
    client.get(URL)  # warm the session
    budget_memo.clear()  # both pages compute their budgets afresh (a repeat spares the events query)
    with CaptureQueriesContext(connection) as few:
        client.get(f"{URL}?agency={agency.pk}")
    for _ in range(30):
        case(agency=agency, accepted_by=coord)
    budget_memo.clear()
    with CaptureQueriesContext(connection) as many:
        response = client.get(f"{URL}?agency={agency.pk}")
    assert len(response.context["rows"]) == 33
    assert len(many.captured_queries) == len(few.captured_queries)
