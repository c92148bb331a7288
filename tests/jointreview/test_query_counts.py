"""Every main page's query count is the same with N and 3N rows (issue 11: pages fast at scale).

One centre, one owner organization and one agency; ``_add_rows`` adds, per step, applications of three
kinds on one project of the owner: one ready for its certificate (the agency's opinion signed, passing),
one whose agency asked for a pause (awaiting the coordinator), one with a draft joint notice. Each has an
application clock and an assignment clock, the agency's guardian grants (as acceptance gives them) and
is visible to the owner. A page is read after N steps and again after 3N: the counts must be equal
(``CaptureQueriesContext``; counts, never times).
"""
from __future__ import annotations

import datetime
import itertools
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from jointreview.clocks import services as clocks
from jointreview.models import (
    ApplicationStatus,
    Assignment,
    AssignmentStatus,
    IssuedDocument,
    IssuedKind,
    Opinion,
    Outcome,
    PauseRequest,
    ReviewRound,
)
from jointreview.policy import grant_many
from tests.factories import (
    AgencyFactory,
    ApplicationFactory,
    CentreFactory,
    CoordinatorFactory,
    LeadFactory,
    OwnerFactory,
    OwnerUserFactory,
    ProjectFactory,
    ReviewerFactory,
    WorkflowFactory,
)

START = datetime.date(2026, 3, 2)  # a Monday
N = 1
pytestmark = pytest.mark.django_db
_serial = itertools.count(1)


@dataclass
class World:
    coordinator: object
    owner: object
    lead: object
    reviewer: object
    agency: object
    project: object
    workflow: object
    first_app: object = None
    first_assignment: object = None


def _world() -> World:
    centre = CentreFactory()
    owner_org = OwnerFactory()
    agency = AgencyFactory()
    return World(coordinator=CoordinatorFactory(organization=centre), owner=OwnerUserFactory(organization=owner_org),
                 lead=LeadFactory(organization=agency), reviewer=ReviewerFactory(organization=agency), agency=agency,
                 project=ProjectFactory(owner=owner_org), workflow=WorkflowFactory())


def _application(w: World, status: str):
    """An accepted application of the world's project with its round and one assignment to the agency."""
    app = ApplicationFactory(project=w.project, workflow=w.workflow, status=ApplicationStatus.ACCEPTED,
                             current_round=1, created_by=w.owner)
    app_clock = clocks.clock_create(kind="application", limit_value=20)
    clocks.clock_start(clock=app_clock, on=START, actor=w.coordinator)
    type(app).objects.filter(pk=app.pk).update(clock=app_clock, accepted_by=w.coordinator)
    rnd = ReviewRound.objects.create(application=app, number=1)
    clock = clocks.clock_create(kind="assignment", limit_value=10)
    clocks.clock_start(clock=clock, on=START, actor=w.coordinator)
    clock.refresh_from_db()
    a = Assignment.objects.create(application=app, round=rnd, round_number=1, agency=w.agency, clock=clock,
                                  due_date=clock.due_date, status=status, reviewer=w.reviewer)
    grant_many([("jointreview.view_assignment", w.agency, a), ("jointreview.review_assignment", w.agency, a),
                ("jointreview.view_application", w.agency, app)])
    if w.first_app is None:
        w.first_app, w.first_assignment = app, a
    return app, rnd, a


def _add_rows(w: World, steps: int) -> None:
    for _ in range(steps):
        _app, _rnd, a = _application(w, AssignmentStatus.SIGNED)  # ready for a certificate
        Opinion.objects.create(assignment=a, version=1, state=Opinion.State.SIGNED, outcome=Outcome.PASS,
                               summary="符合要求", author=w.reviewer, signed_by=w.reviewer, signed_at=timezone.now())
        _app, _rnd, a = _application(w, AssignmentStatus.IN_REVIEW)  # a pause awaiting the coordinator
        PauseRequest.objects.create(assignment=a, reason="site_inspection", reason_text="现场踏勘", expected_days=3,
                                    requested_by=w.reviewer)
        app, rnd, a = _application(w, AssignmentStatus.SIGNED)  # a draft joint notice
        Opinion.objects.create(assignment=a, version=1, state=Opinion.State.SIGNED, outcome=Outcome.REVISE,
                               summary="须修改", author=w.reviewer, signed_by=w.reviewer, signed_at=timezone.now())
        k = next(_serial)
        IssuedDocument.objects.create(kind=IssuedKind.JOINT_NOTICE, application=app, round=rnd,
                                      number=f"LS-QC-{k:05d}", verification_code=f"QC{k:08d}", title="综合审查意见书",
                                      content={"counts": {"findings": 1}})


def _count(client, url: str) -> int:
    client.get(url)  # warm up: session, translations, content types
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


PAGES = [
    # (who reads it, the URL from the world)
    ("coordinator", lambda w: reverse("review:coordination")),
    ("coordinator", lambda w: reverse("clocks:dashboard")),
    ("coordinator", lambda w: "/api/clocks/"),
    ("coordinator", lambda w: reverse("cockpit:cockpit")),
    ("coordinator", lambda w: reverse("intake:window")),
    ("coordinator", lambda w: reverse("intake:project_list")),
    ("coordinator", lambda w: "/api/intake/applications/"),
    ("owner", lambda w: reverse("intake:project_list")),
    ("owner", lambda w: reverse("intake:project_detail", args=[w.project.pk])),
    ("owner", lambda w: reverse("intake:application_detail", args=[w.first_app.pk])),
    ("owner", lambda w: reverse("review:application_rounds", args=[w.first_app.pk])),
    ("owner", lambda w: "/api/intake/applications/"),
    ("lead", lambda w: reverse("review:inbox")),
    ("reviewer", lambda w: reverse("review:inbox")),
    ("reviewer", lambda w: reverse("review:assignment", args=[w.first_assignment.pk])),
    ("reviewer", lambda w: "/api/review/inbox/"),
    ("lead", lambda w: reverse("notifications:list")),
    ("lead", lambda w: "/api/notifications/"),
    ("coordinator", lambda w: reverse("supervision:list")),
]


@pytest.mark.parametrize(("who", "url"), PAGES, ids=[f"{who}-{i}" for i, (who, _u) in enumerate(PAGES)])
def test_page_query_count_does_not_grow_with_the_data(client, who, url):
    w = _world()
    _add_rows(w, N)
    client.force_login(getattr(w, who))
    small = _count(client, url(w))
    _add_rows(w, 2 * N)  # 3N in all
    large = _count(client, url(w))
    print(f"queries {who} {url(w)}: {small} with N, {large} with 3N")  # shown by pytest -s
    assert large == small


def test_coordination_lists_are_paged_with_their_totals(client, monkeypatch):
    from jointreview.review import selectors

    monkeypatch.setattr(selectors, "COORDINATION_PAGE_SIZE", 2)
    monkeypatch.setattr(selectors, "CANDIDATES_PAGE_SIZE", 2)
    w = _world()
    _add_rows(w, 3)
    client.force_login(w.coordinator)
    page = client.get(reverse("review:coordination"))
    c = page.context["c"]
    assert c.pauses.paginator.count == 3 and len(c.pauses) == 2
    assert c.notices.paginator.count == 3 and len(c.notices) == 2
    assert len(c.ready) == 2 and not c.blocked  # the first page of the 3 ready applications
    body = page.content.decode()
    assert "?pauses=2" in body and "?notices=2" in body and "?candidates=2" in body
    second = client.get(reverse("review:coordination"), {"pauses": 2, "candidates": 2}).context["c"]
    assert len(second.pauses) == 1 and len(second.ready) == 1


def test_certificate_check_of_many_applications_says_what_each_lacks():
    from jointreview.review.services import certificate_outstanding, certificate_outstanding_many

    w = _world()
    _add_rows(w, 1)
    apps = list(type(w.first_app).objects.filter(project=w.project).order_by("pk"))
    many = certificate_outstanding_many(apps)
    assert many == {app.pk: certificate_outstanding(app) for app in apps}
    ready, paused, noticed = apps
    assert many[ready.pk] == []
    assert len(many[paused.pk]) == 1 and len(many[noticed.pk]) == 1  # not signed / revise
    Opinion.objects.create(assignment=w.first_assignment, version=2, state=Opinion.State.DRAFT, author=w.reviewer)
    assert len(certificate_outstanding_many([ready])[ready.pk]) == 1  # a correction still a draft
