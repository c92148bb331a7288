"""factory-boy factories, in one place (docs/architecture.md §7)."""
from __future__ import annotations

import datetime
import hashlib
from decimal import Decimal

import factory
from django.core.files.base import ContentFile

from jointreview.models import (
    Application,
    ApplicationItem,
    ApplicationStatus,
    Assignment,
    AssignmentStatus,
    Item,
    ItemKind,
    Material,
    ReviewRound,
    Stage,
    Workflow,
    WorkflowKind,
)
from projects.models import (
    Document,
    DocumentVersion,
    FlowType,
    Organization,
    OrganizationKind,
    Project,
    Role,
    Speciality,
    User,
    Zone,
)
from projects.services import organization_group

PASSWORD = "test-pass-123"

# A minimal valid PDF (content sniffing recognises it by its %PDF- magic).
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


class SpecialityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Speciality
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"spec-{n}")
    name = factory.Sequence(lambda n: f"专业{n}")


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        skip_postgeneration_save = True  # organization_group() saves what it changes

    name = factory.Sequence(lambda n: f"机构{n}")
    kind = OrganizationKind.AGENCY
    agency_type = factory.LazyAttribute(lambda o: "department" if o.kind == OrganizationKind.AGENCY else "")

    @factory.post_generation
    def with_group(obj, create, extracted, **kwargs):
        if create:
            organization_group(obj)


class OwnerFactory(OrganizationFactory):
    name = factory.Sequence(lambda n: f"建设单位{n}有限公司")
    kind = OrganizationKind.OWNER


class AgencyFactory(OrganizationFactory):
    name = factory.Sequence(lambda n: f"审查机构{n}")
    kind = OrganizationKind.AGENCY


class CentreFactory(OrganizationFactory):
    name = factory.Sequence(lambda n: f"政务服务中心{n}")
    kind = OrganizationKind.CENTRE


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    organization = factory.SubFactory(OwnerFactory)
    role = Role.OWNER_STAFF
    is_staff = factory.LazyAttribute(lambda u: u.role == Role.CENTRE_ADMIN)

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(extracted or PASSWORD)
        if create:
            obj.save(update_fields=["password"])
            if obj.organization_id:
                obj.groups.add(organization_group(obj.organization))


class OwnerUserFactory(UserFactory):
    organization = factory.SubFactory(OwnerFactory)
    role = Role.OWNER_STAFF


class ReviewerFactory(UserFactory):
    organization = factory.SubFactory(AgencyFactory)
    role = Role.AGENCY_REVIEWER


class LeadFactory(UserFactory):
    organization = factory.SubFactory(AgencyFactory)
    role = Role.AGENCY_LEAD


class CoordinatorFactory(UserFactory):
    organization = factory.SubFactory(CentreFactory)
    role = Role.CENTRE_COORDINATOR


class CentreAdminFactory(UserFactory):
    organization = factory.SubFactory(CentreFactory)
    role = Role.CENTRE_ADMIN


class CentreLeaderFactory(UserFactory):
    organization = factory.SubFactory(CentreFactory)
    role = Role.CENTRE_LEADER


class ZoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Zone

    code = factory.Sequence(lambda n: f"zone-{n}")
    name = factory.Sequence(lambda n: f"高新区{n}")


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    code = factory.Sequence(lambda n: f"2025-320500-47-01-{n:06d}")
    name = factory.Sequence(lambda n: f"示范大厦{n}号楼")
    owner = factory.SubFactory(OwnerFactory)
    location = "示范市高新区科技路1号"
    flow_type = FlowType.SOCIAL
    floor_area = Decimal("25000.00")
    underground_area = Decimal("5000.00")
    height_m = Decimal("60.00")
    investment = Decimal("30000.00")
    special_construction = True
    filing_date = datetime.date(2025, 9, 1)


class StageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stage
        django_get_or_create = ["code"]

    code = 3
    name = "施工许可"
    counts_to_timeline = True


class WorkflowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workflow

    code = factory.Sequence(lambda n: f"W{n}")
    kind = WorkflowKind.JOINT_DRAWING_REVIEW
    name = factory.Sequence(lambda n: f"多图联审{n}")
    stage = factory.SubFactory(StageFactory)


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item

    code = factory.Sequence(lambda n: f"item-{n}")
    name = factory.Sequence(lambda n: f"审查事项{n}")
    workflow = factory.SubFactory(WorkflowFactory)
    kind = ItemKind.TECHNICAL
    agency = factory.SubFactory(AgencyFactory)
    legal_limit_value = 15
    promised_limit_value = 10


class MaterialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Material

    item = factory.SubFactory(ItemFactory)
    code = factory.Sequence(lambda n: f"mat-{n}")
    name = factory.Sequence(lambda n: f"申请材料{n}")
    essential = True
    accepted_types = "pdf"


class DocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Document

    project = factory.SubFactory(ProjectFactory)
    material_code = factory.Sequence(lambda n: f"mat-{n}")
    title = factory.Sequence(lambda n: f"图纸{n}")


class DocumentVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DocumentVersion

    document = factory.SubFactory(DocumentFactory)
    number = factory.Sequence(lambda n: n + 1)
    original_name = "drawing.pdf"
    content_type = "application/pdf"
    size = len(PDF_BYTES)
    sha256 = hashlib.sha256(PDF_BYTES).hexdigest()
    uploaded_by = factory.SubFactory(OwnerUserFactory)
    file = factory.LazyFunction(lambda: ContentFile(PDF_BYTES, name="drawing.pdf"))


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Application

    number = factory.Sequence(lambda n: f"JR-T-{n:06d}")
    project = factory.SubFactory(ProjectFactory)
    workflow = factory.SubFactory(WorkflowFactory)
    status = ApplicationStatus.DRAFT
    created_by = factory.SubFactory(OwnerUserFactory, organization=factory.SelfAttribute("..project.owner"))


class ApplicationItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApplicationItem

    application = factory.SubFactory(ApplicationFactory)
    item = factory.SubFactory(ItemFactory, workflow=factory.SelfAttribute("..application.workflow"))
    required = True
    reason = "always required"
    agency = factory.SelfAttribute("item.agency")


class ReviewRoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewRound

    application = factory.SubFactory(ApplicationFactory, status=ApplicationStatus.ACCEPTED, current_round=1)
    number = 1


class AssignmentFactory(factory.django.DjangoModelFactory):
    """An assignment without the guardian grants: tests that need them call the services."""

    class Meta:
        model = Assignment

    round = factory.SubFactory(ReviewRoundFactory)
    application = factory.SelfAttribute("round.application")
    round_number = factory.SelfAttribute("round.number")
    agency = factory.SubFactory(AgencyFactory)
    status = AssignmentStatus.UNASSIGNED
