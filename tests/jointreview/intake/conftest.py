"""Shared data for the intake tests: a workflow with several fixed agencies, an owner and a centre."""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jointreview.intake import services as intake
from jointreview.models import Application, Item, Material, Workflow
from tests.factories import (
    PDF_BYTES,
    AgencyFactory,
    CoordinatorFactory,
    ItemFactory,
    MaterialFactory,
    OwnerUserFactory,
    ProjectFactory,
    ReviewerFactory,
    WorkflowFactory,
)

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


@dataclass
class World:
    owner: object
    centre: object
    project: object
    workflow: Workflow
    agencies: list
    items: list[Item]
    materials: list[Material]
    reviewers: dict = field(default_factory=dict)


@pytest.fixture(autouse=True)
def _no_broker(request, monkeypatch):
    """Unit tests: tasks are not sent to Redis; calls are recorded (integration tests use real ones)."""
    sent: list[tuple[str, dict]] = []
    if request.node.get_closest_marker("integration"):
        return sent

    def fake_enqueue(name, **kwargs):
        sent.append((name, kwargs))

    monkeypatch.setattr("jointreview.services.queue.enqueue", fake_enqueue)
    return sent


@pytest.fixture
def sent(_no_broker):
    return _no_broker


def make_world(n_agencies: int = 3, **workflow_kwargs) -> World:
    owner = OwnerUserFactory()
    centre = CoordinatorFactory()
    project = ProjectFactory(owner=owner.organization)
    workflow = WorkflowFactory(**workflow_kwargs)
    agencies, items, materials, reviewers = [], [], [], {}
    for i in range(n_agencies):
        agency = AgencyFactory(email=f"agency{i}@example.org")
        item = ItemFactory(workflow=workflow, agency=agency, order=i, fee=100 * (i + 1))
        materials.append(MaterialFactory(item=item, order=0))
        agencies.append(agency)
        items.append(item)
        reviewers[agency.pk] = ReviewerFactory(organization=agency)
    return World(owner, centre, project, workflow, agencies, items, materials, reviewers)


@pytest.fixture
def world(db) -> World:
    return make_world()


def pdf(name: str = "drawing.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def upload_all(w: World, app: Application) -> None:
    for am in app.materials.all():
        intake.document_upload(actor=w.owner, application_material=am, upload=pdf())


def check_all_ok(w: World, app: Application) -> None:
    intake.completeness_check(
        actor=w.centre, application=app,
        results=[{"material_id": am.pk, "status": "ok"} for am in app.materials.all()],
    )


def submitted_app(w: World) -> Application:
    app = intake.application_open(actor=w.owner, project=w.project, workflow=w.workflow)
    upload_all(w, app)
    intake.application_submit(actor=w.owner, application=app)
    return app


def ready_app(w: World) -> Application:
    app = submitted_app(w)
    check_all_ok(w, app)
    app.refresh_from_db()
    return app


TODAY = datetime.date(2026, 3, 2)  # a Monday (working day)
