"""Helpers of the browser tests: logging in through the login page, and the data of the journeys,
built with tests/factories.py and the real services (intake, review)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from jointreview.intake import services as intake
from jointreview.models import Application, Assignment, Workflow, WorkflowKind
from jointreview.review import services as review
from tests.factories import (
    PASSWORD,
    PDF_BYTES,
    AgencyFactory,
    CentreFactory,
    CoordinatorFactory,
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

HOME_URL = re.compile(r"^https?://[^/]+/$")  # LOGIN_REDIRECT_URL


def pdf_upload(name: str = "drawing.pdf") -> dict:
    """A file for Playwright's set_input_files (no file on disk)."""
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF_BYTES}


def login(page, user, password: str = PASSWORD) -> None:
    """Log in through the login page, as a person would; lands on the home page."""
    page.goto("/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", password)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(HOME_URL)
    assert page.locator(".who").inner_text().startswith(str(user)), "login failed"


# ------------------------------------------------------------------------------------------------ data

@dataclass
class Side:
    """One review agency of the workflow: its item, lead and reviewer."""

    agency: object
    item: object
    material: object
    lead: object
    reviewer: object


@dataclass
class World:
    coordinator: object
    owner: object
    project: object
    workflow: Workflow
    sides: list[Side]
    not_required_item: object
    other_owner: object = None
    stranger_agency_user: object = None
    extra: dict = field(default_factory=dict)


# (speciality code, speciality, item name, applicability rule)
ITEMS = [
    ("fire", "消防", "消防设计审查", {}),
    ("defence", "人防", "人防设计审查", {"field": "underground_area", "op": ">", "value": 0}),
]
NOT_REQUIRED = ("seismic", "抗震", "超限高层建筑抗震设防审查", {"field": "height_m", "op": ">", "value": 100})


def make_world() -> World:
    """A 多图联审 workflow with two required items at two agencies and one item that does not apply to
    the project (60 m high, so no 超限高层 review), a centre coordinator and an owner with one project."""
    centre = CentreFactory(name="示范市政务服务中心")
    coordinator = CoordinatorFactory(organization=centre, display_name="窗口 王敏")
    workflow = WorkflowFactory(code="53", name="多图联审", kind=WorkflowKind.JOINT_DRAWING_REVIEW)
    sides = []
    for order, (code, spec, item_name, rule) in enumerate(ITEMS):
        agency = AgencyFactory(name=f"示范市{spec}审查中心")
        item = ItemFactory(workflow=workflow, agency=agency, name=item_name, order=order, applicability=rule,
                           speciality=SpecialityFactory(code=code, name=spec), promised_limit_value=10)
        material = MaterialFactory(item=item, name=f"{spec}设计文件", accepted_types="pdf", order=0)
        sides.append(Side(agency=agency, item=item, material=material,
                          lead=LeadFactory(organization=agency, display_name=f"{spec} 科长"),
                          reviewer=ReviewerFactory(organization=agency, display_name=f"{spec} 审查员")))
    code, spec, item_name, rule = NOT_REQUIRED
    seismic_agency = AgencyFactory(name=f"示范市{spec}审查中心")
    not_required = ItemFactory(workflow=workflow, agency=seismic_agency, name=item_name, order=9, applicability=rule,
                               speciality=SpecialityFactory(code=code, name=spec))
    MaterialFactory(item=not_required, name="抗震专项论证报告", accepted_types="pdf")
    owner = OwnerUserFactory(organization=OwnerFactory(name="示范市城建投资有限公司"), display_name="业主 李明")
    project = ProjectFactory(owner=owner.organization, name="示范市第一中学新校区教学楼",
                             underground_area="5000.00", height_m="60.00")
    return World(coordinator=coordinator, owner=owner, project=project, workflow=workflow, sides=sides,
                 not_required_item=not_required,
                 other_owner=OwnerUserFactory(organization=OwnerFactory(name="另一建设单位有限公司")),
                 stranger_agency_user=ReviewerFactory(organization=seismic_agency))


def submitted_app(w: World) -> Application:
    app = intake.application_open(actor=w.owner, project=w.project, workflow=w.workflow)
    for am in app.materials.all():
        intake.document_upload(actor=w.owner, application_material=am, upload=("drawing.pdf", PDF_BYTES))
    intake.application_submit(actor=w.owner, application=app)
    return app


def accepted_app(w: World, *, assign: bool = True) -> Application:
    """Through the real intake: open, upload, submit, check every material ok, accept (fan-out)."""
    app = submitted_app(w)
    intake.completeness_check(actor=w.coordinator, application=app, results=[
        {"material_id": am.pk, "status": "ok"} for am in app.materials.all()
    ])
    intake.application_accept(actor=w.coordinator, application=app)
    if assign:
        for s in w.sides:
            a = Assignment.objects.get(application=app, agency=s.agency, round_number=1)
            review.assignment_assign(actor=s.lead, assignment_id=a.pk, reviewer_id=s.reviewer.pk)
    app.refresh_from_db()
    return app


def assignment_of(app: Application, side: Side) -> Assignment:
    return Assignment.objects.select_related("clock").get(application=app, agency=side.agency, round_number=1)
