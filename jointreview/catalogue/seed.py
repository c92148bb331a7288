"""The real catalogue of docs/domain.md, as seed data. Creates what is missing; never overwrites a centre's edits.

Limits: [N] national rules where a law sets them (住建部令13号 施工图审查 15 WD, 住建部令51号 消防 15 WD,
环评法 §22 报告表 30 days, 行政许可法 §42 20 days); promised limits and local values are the demo
values of docs/domain.md's local examples (a centre edits them in the admin).
"""
from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from jointreview.models import Item, Material, Stage, StageCap, Workflow
from projects.models import AgencyType, FlowType, Organization, OrganizationKind, Speciality
from projects.services import organization_create

# code, name, counts toward the filing-to-permit target, lead department (牵头部门, short name)
STAGES = [
    (1, "立项用地规划许可", True, "市发改委"),
    (2, "工程建设许可", True, "市自然资源和规划局"),
    (3, "施工许可", True, "市住建局"),
    (4, "竣工验收", False, "市住建局"),
    (5, "并行推进", False, None),
]

CITY_TARGET = "城市目标 city target (示范市实施方案: 核准/备案至施工许可40个工作日)"
# Stage caps in working days per project type (docs/domain.md §3.1: no national per-stage numbers; a city's
# 实施方案 sets them). Stages 1-3 add up to 40 for every type; stage 4 is outside the target.
STAGE_CAP_DAYS = {1: 12, 2: 10, 3: 18, 4: 15}
STAGE_CAP_SOURCES = {
    1: CITY_TARGET + ": 多评合一 12 ‖ 用地规划许可 10",
    2: CITY_TARGET + ": 方案联审 10",
    3: CITY_TARGET + ": 联合审图 15 → 施工许可证 3 (上海2023: 决定3个工作日)",
    4: "城市目标 city target: 联合验收/多测合一 ≤ 10 → 竣工验收备案 3 (outside the 40-day target)",
}

SPECIALITIES = [
    ("architecture", "建筑"), ("structure", "结构"), ("fire", "消防"), ("civil-defence", "人防"),
    ("energy", "建筑节能与绿色建筑"), ("seismic", "抗震设防"), ("water", "给排水与节水"),
    ("environment", "环境影响"), ("traffic", "交通影响"), ("planning", "规划"), ("survey", "测绘"),
    ("archives", "城建档案"), ("safety", "安全评价"), ("soil-water", "水土保持"), ("geology", "地质灾害"),
]

# (name, short, agency_type, specialities, credit rating)
AGENCIES = [
    ("示范市发展和改革委员会", "市发改委", AgencyType.DEPARTMENT, ["energy"], ""),
    ("示范市自然资源和规划局", "市自然资源和规划局", AgencyType.DEPARTMENT, ["planning", "geology"], ""),
    ("示范市住房和城乡建设局", "市住建局", AgencyType.DEPARTMENT, ["fire", "architecture"], ""),
    ("示范市生态环境局", "市生态环境局", AgencyType.DEPARTMENT, ["environment"], ""),
    ("示范市人民防空办公室", "市人防办", AgencyType.DEPARTMENT, ["civil-defence"], ""),
    ("示范市水务局", "市水务局", AgencyType.DEPARTMENT, ["soil-water", "water"], ""),
    ("示范市城建档案馆", "市城建档案馆", AgencyType.DEPARTMENT, ["archives"], ""),
    ("示范市不动产登记中心", "市不动产登记中心", AgencyType.DEPARTMENT, ["survey"], ""),
    ("示范市施工图联合审查中心", "市审图中心", AgencyType.REVIEW_BODY,
     ["architecture", "structure", "energy", "seismic", "water"], "A"),
    ("示范市测绘院有限公司", "市测绘院", AgencyType.INTERMEDIARY, ["survey"], "AAA"),
    ("华清环境咨询有限公司", "华清环境", AgencyType.INTERMEDIARY, ["environment", "safety"], "AA"),
    ("绿源交通规划设计院", "绿源交通", AgencyType.INTERMEDIARY, ["traffic"], "A"),
    ("安泰安全评价有限公司", "安泰安评", AgencyType.INTERMEDIARY, ["safety"], "B"),
]

# code, kind, name, stage, lead (short name), limit, unit, single_fee, certificate title, sequence in the stage
WORKFLOWS = [
    ("1L", "other", "用地规划许可", 1, "市自然资源和规划局", 10, "working", False, "建设用地规划许可证", 1),
    ("51", "joint_evaluation", "多评合一", 1, "市发改委", 12, "working", False, "联合评审意见书", 1),
    ("52", "other", "方案联审", 2, "市自然资源和规划局", 10, "working", False, "设计方案审查意见书", 1),
    ("53", "joint_drawing_review", "多图联审", 3, "市审图中心", 15, "working", True, "施工图联合审查合格书", 1),
    ("3P", "other", "施工许可证核发", 3, "市住建局", 3, "working", False, "建筑工程施工许可证", 2),
    ("54C", "joint_survey", "多测合一", 4, "市自然资源和规划局", 10, "working", True, "联合测绘成果确认书", 1),
    ("54Y", "joint_acceptance", "联合验收", 4, "市住建局", 7, "working", False, "联合验收意见书", 1),
    ("4F", "other", "竣工验收备案", 4, "市住建局", 3, "working", False, "竣工验收备案证明", 2),
]

UNDERGROUND = {"field": "underground_area", "op": ">", "value": 0}

# workflow, code, name, kind, agency short (None = competitive), speciality, legal (v, unit),
# promised (v, unit), policy, deferral, commitment, fee, applicability, rule text, legal basis,
# materials [(code, name, essential, types)]
ITEMS = [
    ("1L", "land-siting", "用地预审与选址意见书", "licence", "市自然资源和规划局", "planning", (20, "working"),
     (5, "working"), "resume", False, False, "0", {}, "", "城乡规划法 §36; 土地管理法实施条例 §24; 行政许可法 §42",
     [("siting-form", "用地预审与选址申请表", True, "pdf"), ("red-line", "项目用地红线图", True, "pdf,dwg")]),
    ("1L", "land-planning-permit", "建设用地规划许可证核发", "licence", "市自然资源和规划局", "planning",
     (20, "working"), (5, "working"), "resume", False, False, "0", {}, "", "城乡规划法 §37, §38; 行政许可法 §42",
     [("land-contract", "国有建设用地使用权出让合同或划拨决定书", True, "pdf")]),
    ("51", "eia", "环境影响评价审批(报告表)", "licence", "市生态环境局", "environment", (30, "natural"), (12, "working"),
     "resume", True, True, "0", {}, "", "环境影响评价法 §22",
     [("eia-report", "环境影响报告表", True, "pdf"), ("eia-public", "公众参与说明", False, "pdf")]),
    ("51", "energy", "节能审查", "licence", "市发改委", "energy", (20, "working"), (10, "working"), "resume",
     True, True, "0", {"field": "floor_area", "op": ">=", "value": 20000},
     "总建筑面积 ≥ 20000㎡ (年综合能耗≥1000吨标煤的简化判定)", "固定资产投资项目节能审查办法",
     [("energy-report", "节能报告", True, "pdf")]),
    ("51", "soil-water", "水土保持方案审批", "licence", "市水务局", "soil-water", (20, "working"), (10, "working"),
     "resume", False, True, "0", {}, "", "水土保持法 §25", [("sw-plan", "水土保持方案报告书", True, "pdf")]),
    ("51", "geohazard", "地质灾害危险性评估", "technical", "市自然资源和规划局", "geology", (20, "working"),
     (10, "working"), "resume", False, False, "0", {}, "", "地质灾害防治条例 §21",
     [("geo-report", "地质灾害危险性评估报告", True, "pdf")]),
    ("51", "traffic", "交通影响评价", "intermediary", None, "traffic", (20, "working"), (12, "working"), "resume",
     False, False, "30000", {"field": "floor_area", "op": ">=", "value": 10000}, "总建筑面积 ≥ 10000㎡", "",
     [("traffic-brief", "项目交通需求说明", True, "pdf")]),
    ("51", "safety-eval", "安全预评价", "intermediary", None, "safety", (20, "working"), (12, "working"), "resume",
     False, False, "20000", {"field": "special_construction", "op": "==", "value": True}, "特殊建设工程", "",
     [("safety-brief", "安全预评价委托资料", True, "pdf")]),
    ("52", "scheme-review", "设计方案审查", "technical", "市自然资源和规划局", "planning", (20, "working"),
     (10, "working"), "resume", False, False, "0",
     {"field": "land_with_scheme", "op": "==", "value": False}, "土地未带设计方案出让", "",
     [("scheme", "建筑设计方案文本及图纸", True, "pdf,dwg"), ("site-plan", "总平面图", True, "pdf,dwg")]),
    ("52", "planning-permit", "建设工程规划许可证核发", "licence", "市自然资源和规划局", "planning",
     (20, "working"), (5, "working"), "resume", True, False, "0", {}, "", "城乡规划法 §40",
     [("land-cert", "土地权属证明", True, "pdf"), ("planning-form", "建设工程规划许可申请表", False, "pdf")]),
    ("53", "drawing-review", "施工图审查(建筑、结构、节能、抗震、给排水)", "technical", "市审图中心", "structure",
     (15, "working"), (10, "working"), "restart", False, False, "0", {}, "", "住建部令13号 §12",
     [("drawings", "施工图设计文件(全专业)", True, "pdf,dwg"), ("survey-docs", "岩土工程勘察文件", True, "pdf"),
      ("calc", "结构计算书", False, "pdf")]),
    ("3P", "construction-permit", "建筑工程施工许可证核发", "licence", "市住建局", "architecture", (7, "working"),
     (3, "working"), "resume", False, True, "0", {}, "", "建筑工程施工许可管理办法(住建部令42号) §5; 上海2023: 3个工作日",
     [("construction-contract", "施工合同及中标通知书", True, "pdf"), ("quality-safety", "工程质量安全监督手续", True, "pdf")]),
    ("53", "fire-design", "消防设计审查", "licence", "市住建局", "fire", (15, "working"), (10, "working"), "resume",
     False, False, "0", {"field": "special_construction", "op": "==", "value": True}, "特殊建设工程",
     "住建部令51号 §22", [("fire-design", "消防设计文件", True, "pdf,dwg")]),
    ("53", "civil-defence-design", "人防工程施工图审查", "technical", "市人防办", "civil-defence", (15, "working"),
     (10, "working"), "resume", False, True, "0", UNDERGROUND, "有地下空间 (地下建筑面积 > 0)", "人民防空法 §22",
     [("cd-drawings", "防空地下室施工图", True, "pdf,dwg")]),
    ("53", "sponge-city", "海绵城市与节水设施审查", "technical", "市水务局", "water", (10, "working"),
     (5, "working"), "resume", True, True, "0", {}, "", "",
     [("sponge", "海绵城市专项设计", True, "pdf"), ("water-balance", "水平衡测试报告", False, "pdf")]),
    ("54C", "joint-survey", "竣工联合测绘(规划核实、地籍、房产测量)", "intermediary", None, "survey", (15, "working"),
     (10, "working"), "resume", False, False, "45000", {}, "", "",
     [("survey-commission", "测绘委托书", True, "pdf"), ("as-built", "竣工图", True, "pdf,dwg")]),
    ("54C", "survey-planning", "规划核实测量成果确认", "technical", "市自然资源和规划局", "planning", (5, "working"),
     (3, "working"), "resume", False, False, "0", {}, "", "", []),
    ("54C", "survey-cadastral", "地籍与房产测量成果确认", "technical", "市不动产登记中心", "survey", (5, "working"),
     (3, "working"), "resume", False, False, "0", {}, "", "", []),
    ("54Y", "planning-acceptance", "规划条件核实", "licence", "市自然资源和规划局", "planning", (20, "working"),
     (7, "working"), "resume", False, False, "0", {}, "", "城乡规划法 §45",
     [("completion-report", "竣工验收报告", True, "pdf")]),
    ("54Y", "fire-acceptance", "消防验收", "licence", "市住建局", "fire", (15, "working"), (7, "working"), "resume",
     False, False, "0", {"field": "special_construction", "op": "==", "value": True}, "特殊建设工程",
     "住建部令51号 §27", [("fire-test", "消防设施检测报告", True, "pdf")]),
    ("54Y", "civil-defence-acceptance", "人防工程竣工验收", "licence", "市人防办", "civil-defence", (15, "working"),
     (7, "working"), "resume", False, False, "0", UNDERGROUND, "有地下空间 (地下建筑面积 > 0)", "",
     [("cd-completion", "人防工程竣工资料", True, "pdf")]),
    ("54Y", "archives-acceptance", "城建档案验收", "filing", "市城建档案馆", "archives", (10, "working"),
     (5, "working"), "resume", True, True, "0", {}, "", "",
     [("archive-list", "工程档案移交清单", True, "pdf"), ("archive-photos", "声像档案", False, "pdf,jpg,png")]),
    ("4F", "completion-filing", "竣工验收备案", "filing", "市住建局", "architecture", (5, "working"), (3, "working"),
     "resume", False, False, "0", {}, "", "房屋建筑和市政基础设施工程竣工验收备案管理办法 §4, §7",
     [("completion-filing-form", "竣工验收备案表", True, "pdf"), ("acceptance-opinion", "联合验收意见书", True, "pdf")]),
]


# Portions (docs/domain.md §6; issue 8): materials every agency of the application reads, and the workflows
# whose lead agency (牵头单位) reads every material. Anything else is read only by the agency of the
# material's item.
SHARED_MATERIALS = {"site-plan", "drawings"}  # 总平面图; 施工图设计文件(全专业) is every speciality's base
LEAD_READS_ALL = {"53"}  # the drawing-review centre leads 联合审图 and reads the whole set


@transaction.atomic
def seed_catalogue() -> dict[str, int]:
    """Create the specialities, agencies, stages, caps, workflows, items and materials that are missing."""
    created = {"specialities": 0, "agencies": 0, "stages": 0, "stage_caps": 0, "workflows": 0, "items": 0,
               "materials": 0}
    specs = {}
    for code, name in SPECIALITIES:
        specs[code], new = Speciality.objects.get_or_create(code=code, defaults={"name": name})
        created["specialities"] += new
    agencies = {}
    for name, short, agency_type, spec_codes, rating in AGENCIES:
        org = Organization.objects.filter(name=name).first()
        if org is None:
            org = organization_create(
                name=name, short_name=short, kind=OrganizationKind.AGENCY, agency_type=agency_type,
                credit_rating=rating, specialities=[specs[c] for c in spec_codes],
            )
            created["agencies"] += 1
        agencies[short] = org
    stages = _seed_stages(agencies, created)
    workflows = {}
    for code, kind, name, stage, lead, limit, unit, single_fee, cert, sequence in WORKFLOWS:
        workflows[code], new = Workflow.objects.get_or_create(
            code=code,
            defaults=dict(
                kind=kind, name=name, stage=stages[stage], lead_agency=agencies[lead], limit_value=limit,
                limit_unit=unit, single_fee=single_fee, certificate_title=cert, lead_reads_all=code in LEAD_READS_ALL,
                sequence=sequence,
            ),
        )
        created["workflows"] += new
    _seed_items(workflows, agencies, specs, created)
    return created


def _seed_stages(agencies: dict, created: dict[str, int]) -> dict[int, Stage]:
    """Stages with their lead department (set where still empty) and their caps per project type."""
    stages = {}
    for code, name, counts, lead in STAGES:
        lead_agency = agencies[lead] if lead else None
        stages[code], new = Stage.objects.get_or_create(
            code=code, defaults={"name": name, "counts_to_timeline": counts, "lead_agency": lead_agency}
        )
        created["stages"] += new
        if not new and lead_agency is not None:
            Stage.objects.filter(pk=stages[code].pk, lead_agency__isnull=True).update(lead_agency=lead_agency)
    for flow_type in FlowType.values:
        for code, days in STAGE_CAP_DAYS.items():
            if StageCap.objects.filter(stage=stages[code], flow_type=flow_type).exists():
                continue
            cap = StageCap(stage=stages[code], flow_type=flow_type, cap_days=days, source=STAGE_CAP_SOURCES[code])
            cap.full_clean()  # the seed obeys the same total-target check as the admin
            cap.save()
            created["stage_caps"] += 1
    return stages


def _seed_items(workflows: dict, agencies: dict, specs: dict, created: dict[str, int]) -> None:
    for order, row in enumerate(ITEMS):
        (wf, code, name, kind, agency, spec, legal, promised, policy, deferral, commitment, fee, rule,
         rule_text, basis, materials) = row
        item, new = Item.objects.get_or_create(
            code=code,
            defaults=dict(
                workflow=workflows[wf], name=name, kind=kind, agency=agencies[agency] if agency else None,
                competitive=agency is None, speciality=specs[spec], legal_limit_value=legal[0],
                legal_limit_unit=legal[1], promised_limit_value=promised[0], promised_limit_unit=promised[1],
                resubmission_policy=policy, allows_deferral=deferral, allows_commitment=commitment,
                fee=Decimal(fee), applicability=rule, applicability_text=rule_text, legal_basis=basis,
                order=order,
            ),
        )
        created["items"] += new
        for m_order, (m_code, m_name, essential, types) in enumerate(materials):
            _, new = Material.objects.get_or_create(
                item=item, code=m_code,
                defaults=dict(name=m_name, essential=essential, accepted_types=types, order=m_order,
                              shared=m_code in SHARED_MATERIALS),
            )
            created["materials"] += new
