"""Demo data for `manage.py seed_demo`: idempotent (a second run creates nothing)."""
from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from jointreview.catalogue.seed import seed_catalogue
from jointreview.models import EvaluationMode, Item, RegionalEvaluation
from projects.models import FlowType, Organization, OrganizationKind, Project, Role, User, Zone
from projects.services import organization_create, user_create

CENTRE = "示范市政务服务中心"
OWNERS = [("示范城市建设投资集团有限公司", "城投集团"), ("华景置业发展有限公司", "华景置业")]

# username, display name, organization (name or short name), role
USERS = [
    ("admin", "中心管理员 王敏", CENTRE, Role.CENTRE_ADMIN),
    ("coordinator", "窗口协调员 李静", CENTRE, Role.CENTRE_COORDINATOR),
    ("leader", "中心负责人 赵主任", CENTRE, Role.CENTRE_LEADER),
    ("owner1", "城投集团 张工", "城投集团", Role.OWNER_STAFF),
    ("owner2", "华景置业 陈工", "华景置业", Role.OWNER_STAFF),
    ("shentu-lead", "审图中心 主任 刘强", "市审图中心", Role.AGENCY_LEAD),
    ("shentu-a", "审图中心 结构 赵工", "市审图中心", Role.AGENCY_REVIEWER),
    ("shentu-b", "审图中心 建筑 孙工", "市审图中心", Role.AGENCY_REVIEWER),
    ("fire-lead", "住建局 消防科 周科长", "市住建局", Role.AGENCY_LEAD),
    ("fire-a", "住建局 消防 吴工", "市住建局", Role.AGENCY_REVIEWER),
    ("renfang-lead", "人防办 郑科长", "市人防办", Role.AGENCY_LEAD),
    ("renfang-a", "人防办 冯工", "市人防办", Role.AGENCY_REVIEWER),
    ("water-lead", "水务局 何科长", "市水务局", Role.AGENCY_LEAD),
    ("planning-lead", "自然资源和规划局 许科长", "市自然资源和规划局", Role.AGENCY_LEAD),
    ("env-lead", "生态环境局 韩科长", "市生态环境局", Role.AGENCY_LEAD),
    ("ndrc-lead", "发改委 杨科长", "市发改委", Role.AGENCY_LEAD),
    ("survey-lead", "测绘院 项目经理 朱工", "市测绘院", Role.AGENCY_LEAD),
    ("archives-lead", "城建档案馆 秦馆员", "市城建档案馆", Role.AGENCY_LEAD),
    ("realestate-lead", "不动产登记中心 沈科长", "市不动产登记中心", Role.AGENCY_LEAD),
]

# code, name, owner short, flow type, floor, underground, height, investment, special, filing, zone?
PROJECTS = [
    ("2025-320500-47-01-000101", "示范市第一人民医院门急诊综合楼", "城投集团", FlowType.GOV_BUILDING,
     "48000", "12000", "45", "52000", True, datetime.date(2025, 9, 15), True),
    ("2025-320500-70-03-000202", "华景·滨江花园一期住宅", "华景置业", FlowType.SOCIAL,
     "86000", "21000", "80", "68000", False, datetime.date(2025, 10, 20), False),
    ("2026-320500-47-01-000303", "高新区智能制造产业园标准厂房", "城投集团", FlowType.SOCIAL,
     "18000", "0", "24", "12000", False, datetime.date(2026, 3, 2), True),
]


@dataclass
class SeedResult:
    created: dict[str, int] = field(default_factory=dict)
    new_logins: list[tuple[str, str, str, str]] = field(default_factory=list)  # user, password, role, org


def _org(key: str) -> Organization:
    return Organization.objects.get(name=key) if Organization.objects.filter(name=key).exists() else (
        Organization.objects.get(short_name=key)
    )


@transaction.atomic
def seed_demo() -> SeedResult:
    result = SeedResult(created=seed_catalogue())
    created = result.created
    if not Organization.objects.filter(name=CENTRE).exists():
        organization_create(name=CENTRE, short_name="政务服务中心", kind=OrganizationKind.CENTRE)
        created["centre"] = 1
    for name, short in OWNERS:
        if not Organization.objects.filter(name=name).exists():
            organization_create(name=name, short_name=short, kind=OrganizationKind.OWNER)
            created["owners"] = created.get("owners", 0) + 1
    for username, display, org_key, role in USERS:
        if User.objects.filter(username=username).exists():
            continue
        password = secrets.token_urlsafe(9)
        org = _org(org_key)
        user_create(username=username, password=password, organization=org, role=role, display_name=display)
        result.new_logins.append((username, password, Role(role).label, str(org)))
    zone, new = Zone.objects.get_or_create(
        code="hitech-park", defaults={"name": "示范市高新技术产业开发区", "description": "已完成区域评估的园区"}
    )
    created["zones"] = int(new)
    if not RegionalEvaluation.objects.filter(zone=zone).exists():
        evaluation = RegionalEvaluation.objects.create(
            zone=zone, title="高新区区域环境影响与地质灾害评估(2025)", mode=EvaluationMode.COMMITMENT,
            valid_from=datetime.date(2025, 1, 1), valid_to=datetime.date(2029, 12, 31),
            max_floor_area=Decimal("100000"), negative_list=[FlowType.GOV_INFRA],
            report_reference="高新管〔2025〕12号",
        )
        evaluation.items.set(Item.objects.filter(code__in=["eia", "geohazard", "soil-water"]))
        created["regional_evaluations"] = 1
    for code, name, owner, flow, floor, under, height, invest, special, filing, in_zone in PROJECTS:
        if Project.objects.filter(code=code).exists():
            continue
        project = Project(
            code=code, name=name, owner=_org(owner), location="示范市" + ("高新区" if in_zone else "滨江区"),
            flow_type=flow, floor_area=Decimal(floor), underground_area=Decimal(under), height_m=Decimal(height),
            investment=Decimal(invest), special_construction=special, filing_date=filing,
            zone=zone if in_zone else None,
        )
        project.full_clean()
        project.save()
        created["projects"] = created.get("projects", 0) + 1
    created["applications"] = _seed_applications()
    return result


def _sample_pdf(title: str) -> bytes:
    """A one-page PDF standing in for a drawing or report (so inline previews show something)."""
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    from jointreview.documents.base import cjk_font

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setFont(cjk_font().name, 18)
    pdf.drawString(72, 760, title)
    pdf.setFont(cjk_font().name, 11)
    pdf.drawString(72, 730, "演示文件 demo document — jointreview seed_demo")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _upload_all(owner: User, application) -> None:
    from jointreview.intake import services as intake

    for am in application.materials.select_related("material"):
        types = am.material.accepted_types
        if "pdf" not in types:
            continue
        intake.document_upload(
            actor=owner, application_material=am,
            upload=(f"{am.material.code}.pdf", _sample_pdf(f"{application.project.name} · {am.material.name}")),
        )


def _seed_applications() -> int:
    """Three projects at three stages, made through the real services (only on the first run):
    - the hospital: 多图联审 accepted and in review (clocks running, agencies working);
    - the housing estate: 方案联审 submitted, waiting at the window;
    - the factory in the zone: 多评合一 in draft, showing the regional evaluation (区域评估) at work.
    """
    from jointreview.intake import services as intake
    from jointreview.models import Workflow
    from jointreview.review import services as review

    hospital, housing, factory = (Project.objects.get(code=row[0]) for row in PROJECTS)
    if any(p.applications.exists() for p in (hospital, housing, factory)):
        return 0
    coordinator = User.objects.get(username="coordinator")
    owner1, owner2 = User.objects.get(username="owner1"), User.objects.get(username="owner2")

    drawing = intake.application_open(actor=owner1, project=hospital, workflow=Workflow.objects.get(code="53"))
    _upload_all(owner1, drawing)
    intake.application_submit(actor=owner1, application=drawing)
    intake.completeness_check(actor=coordinator, application=drawing, results=[
        {"material_id": am.pk, "status": "ok"} for am in drawing.materials.all()
    ])
    drawing = intake.application_accept(actor=coordinator, application=drawing)
    leads = {"市审图中心": ("shentu-lead", "shentu-a", "shentu-b"), "市住建局": ("fire-lead", "fire-a", None)}
    for assignment in drawing.assignments.select_related("agency"):
        names = leads.get(assignment.agency.short_name)
        if names:
            lead, reviewer, backup = (User.objects.get(username=n) if n else None for n in names)
            review.assignment_assign(actor=lead, assignment_id=assignment.pk, reviewer_id=reviewer.pk,
                                     backup_id=backup.pk if backup else None)

    scheme = intake.application_open(actor=owner2, project=housing, workflow=Workflow.objects.get(code="52"))
    _upload_all(owner2, scheme)
    intake.application_submit(actor=owner2, application=scheme)

    intake.application_open(actor=owner1, project=factory, workflow=Workflow.objects.get(code="51"))
    return 3
