"""Fixtures of the review tests: a round of N agencies built with factories + the clock service.

``make_round`` builds what issue 4's acceptance would leave behind (round 1, one assignment per
agency with a running clock, guardian grants) without going through intake, so these tests stay
independent of it; ``test_end_to_end.py`` goes through the real intake services.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import pytest

from jointreview.clocks import services as clocks
from jointreview.models import ApplicationMaterial, ApplicationStatus, Assignment, CheckStatus, ReviewRound
from jointreview.policy import grant
from tests.factories import (
    AgencyFactory,
    ApplicationFactory,
    ApplicationItemFactory,
    CentreFactory,
    CoordinatorFactory,
    DocumentFactory,
    DocumentVersionFactory,
    ItemFactory,
    LeadFactory,
    MaterialFactory,
    OwnerFactory,
    OwnerUserFactory,
    ProjectFactory,
    ReviewerFactory,
    SpecialityFactory,
    WorkflowFactory,
)

START = datetime.date(2026, 3, 2)  # a Monday


@dataclass
class AgencySide:
    agency: object
    lead: object
    reviewer: object
    backup: object
    item: object
    assignment: Assignment


@dataclass
class Setup:
    app: object
    project: object
    owner: object
    coordinator: object
    round: ReviewRound
    version: object
    agencies: list[AgencySide] = field(default_factory=list)


def make_round(n: int = 3, *, project_name: str = "示范大厦1号楼", start: datetime.date = START,
               assign: bool = True, workflow=None, policy: str = "resume") -> Setup:
    centre = CentreFactory()
    coordinator = CoordinatorFactory(organization=centre)
    owner_org = OwnerFactory()
    owner = OwnerUserFactory(organization=owner_org)
    project = ProjectFactory(owner=owner_org, name=project_name)
    workflow = workflow or WorkflowFactory()
    app = ApplicationFactory(project=project, workflow=workflow, status=ApplicationStatus.ACCEPTED, current_round=1,
                             created_by=owner)
    app_clock = clocks.clock_create(kind="application", limit_value=workflow.limit_value)
    clocks.clock_start(clock=app_clock, on=start, actor=coordinator)
    type(app).objects.filter(pk=app.pk).update(clock=app_clock)
    app.refresh_from_db()
    rnd = ReviewRound.objects.create(application=app, number=1)
    doc = DocumentFactory(project=project, title="建筑施工图")
    version = DocumentVersionFactory(document=doc, number=1, uploaded_by=owner)
    setup = Setup(app=app, project=project, owner=owner, coordinator=coordinator, round=rnd, version=version)
    for i in range(n):
        agency = AgencyFactory(name=f"审查机构{i + 1}号-{app.pk}")
        lead = LeadFactory(organization=agency)
        reviewer = ReviewerFactory(organization=agency)
        backup = ReviewerFactory(organization=agency)
        spec = SpecialityFactory(code=f"spec-{i}", name=["消防", "人防", "结构", "节能"][i % 4])
        item = ItemFactory(workflow=workflow, agency=agency, speciality=spec, promised_limit_value=10,
                           resubmission_policy=policy)
        ai = ApplicationItemFactory(application=app, item=item)
        # the first agency's material is the drawing set every agency reads (shared), as accept records it
        material = MaterialFactory(item=item, shared=i == 0)
        if i == 0:
            shared_code = material.code
            ApplicationMaterial.objects.create(application=app, material=material, document=doc,
                                               check_status=CheckStatus.OK)
        clock = clocks.clock_create(kind="assignment", limit_value=10, policy=policy)
        clocks.clock_start(clock=clock, on=start, actor=coordinator)
        clock.refresh_from_db()
        a = Assignment.objects.create(application=app, round=rnd, round_number=1, agency=agency, clock=clock,
                                      due_date=clock.due_date, portion=sorted({material.code, shared_code}))
        a.items.set([ai])
        for perm in ("jointreview.view_assignment", "jointreview.review_assignment"):
            grant(perm, agency, a)
        grant("jointreview.view_application", agency, app)
        grant("projects.view_document", agency, doc)
        side = AgencySide(agency=agency, lead=lead, reviewer=reviewer, backup=backup, item=item, assignment=a)
        if assign:
            from jointreview.review.services import assignment_assign

            assignment_assign(actor=lead, assignment_id=a.pk, reviewer_id=reviewer.pk, backup_id=backup.pk)
            a.refresh_from_db()
        setup.agencies.append(side)
    return setup


@pytest.fixture
def no_tasks(monkeypatch):
    """Tasks enqueued by name are only recorded."""
    sent: list[tuple[str, dict]] = []
    monkeypatch.setattr("jointreview.services.queue.enqueue", lambda name, **kw: sent.append((name, kw)))
    return sent
