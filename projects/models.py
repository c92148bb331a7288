"""What comes through the centre: organizations and their people, projects, zones, documents."""
from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth.models import AbstractUser, Group
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from .validators import DESCRIPTION_MAX, no_nul, text_limit


class OrganizationKind(models.TextChoices):
    OWNER = "owner", _("Project owner")
    AGENCY = "agency", _("Review agency")
    CENTRE = "centre", _("Service centre")


class AgencyType(models.TextChoices):
    DEPARTMENT = "department", _("Government department")
    REVIEW_BODY = "review_body", _("Review body")
    INTERMEDIARY = "intermediary", _("Intermediary firm")


class Speciality(models.Model):
    """A review speciality (专业): 消防, 人防, 结构, 建筑节能, 规划 ..."""

    code = models.SlugField(verbose_name=_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80, validators=no_nul())

    class Meta:
        ordering = ["code"]
        verbose_name = _("speciality")
        verbose_name_plural = _("specialities")

    def __str__(self) -> str:
        return self.name


class Organization(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True, validators=no_nul())
    short_name = models.CharField(_("short name"), max_length=60, blank=True, validators=no_nul())
    kind = models.CharField(_("kind"), max_length=10, choices=OrganizationKind.choices)
    agency_type = models.CharField(
        _("agency type"), max_length=20, choices=AgencyType.choices, blank=True
    )
    credit_code = models.CharField(_("credit code"), max_length=18, blank=True)
    specialities = models.ManyToManyField(
        Speciality, verbose_name=_("specialities"), blank=True, related_name="organizations",
    )
    # Intermediary registry (中介超市): shown to owners choosing a firm.
    credit_rating = models.CharField(_("credit rating"), max_length=10, blank=True)
    credit_notes = models.TextField(
        _("credit record"), blank=True, max_length=DESCRIPTION_MAX, validators=text_limit(DESCRIPTION_MAX)
    )
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    group = models.OneToOneField(
        Group, verbose_name=_("user group"), on_delete=models.PROTECT, null=True, blank=True, editable=False,
        related_name="organization"
    )

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="agency") | models.Q(agency_type=""),
                name="org_agency_type_only_for_agencies",
            ),
        ]

    def __str__(self) -> str:
        return self.short_name or self.name

    @property
    def is_centre_leader(self) -> bool:
        return self.role == Role.CENTRE_LEADER

    @property
    def is_agency(self) -> bool:
        return self.kind == OrganizationKind.AGENCY

    @property
    def is_centre(self) -> bool:
        return self.kind == OrganizationKind.CENTRE

    @property
    def is_owner(self) -> bool:
        return self.kind == OrganizationKind.OWNER


class Role(models.TextChoices):
    OWNER_STAFF = "owner_staff", _("Owner staff")
    AGENCY_REVIEWER = "agency_reviewer", _("Agency reviewer")
    AGENCY_LEAD = "agency_lead", _("Agency lead")
    CENTRE_COORDINATOR = "centre_coordinator", _("Centre coordinator")
    CENTRE_ADMIN = "centre_admin", _("Centre admin")
    # 中心负责人: reads everything the centre reads; the top of the escalation ladder (电子监察), closes
    # supervision records and may approve clock extensions (jointreview/supervision)
    CENTRE_LEADER = "centre_leader", _("Centre leader")


ROLE_ORG_KIND = {
    Role.OWNER_STAFF: OrganizationKind.OWNER,
    Role.AGENCY_REVIEWER: OrganizationKind.AGENCY,
    Role.AGENCY_LEAD: OrganizationKind.AGENCY,
    Role.CENTRE_COORDINATOR: OrganizationKind.CENTRE,
    Role.CENTRE_ADMIN: OrganizationKind.CENTRE,
    Role.CENTRE_LEADER: OrganizationKind.CENTRE,
}
AGENCY_ROLES = frozenset({Role.AGENCY_REVIEWER, Role.AGENCY_LEAD})
CENTRE_ROLES = frozenset({Role.CENTRE_COORDINATOR, Role.CENTRE_ADMIN, Role.CENTRE_LEADER})


class User(AbstractUser):
    """A person; belongs to one organization with one role (superusers may have none)."""

    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="members"
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices, blank=True)
    display_name = models.CharField(_("full name"), max_length=60, blank=True, validators=no_nul())
    phone = models.CharField(_("phone"), max_length=40, blank=True, validators=no_nul())
    is_absent = models.BooleanField(_("absent (the backup reviewer acts)"), default=False)
    # the pages' language, chosen with the header's switch (jointreview/middleware_language.py);
    # empty: the language cookie, then the browser's Accept-Language, then Simplified Chinese
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, blank=True,
                                help_text=_("The language of the pages; empty: the browser's language."))

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username

    def clean(self) -> None:
        super().clean()
        if bool(self.organization_id) != bool(self.role):
            raise ValidationError(_("A user needs both an organization and a role, or neither."))
        if self.organization_id and ROLE_ORG_KIND[self.role] != self.organization.kind:
            message = _("The role %(role)s does not fit an organization of the kind %(kind)s.") % {
                "role": self.get_role_display(), "kind": self.organization.get_kind_display()}
            raise ValidationError({"role": message})

    @property
    def is_centre(self) -> bool:
        return self.role in CENTRE_ROLES

    @property
    def is_centre_admin(self) -> bool:
        return self.role == Role.CENTRE_ADMIN or self.is_superuser

    @property
    def is_centre_leader(self) -> bool:
        return self.role == Role.CENTRE_LEADER

    @property
    def is_agency(self) -> bool:
        return self.role in AGENCY_ROLES

    @property
    def is_agency_lead(self) -> bool:
        return self.role == Role.AGENCY_LEAD

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER_STAFF


class Zone(models.Model):
    """A zone (e.g. a high-tech park) whose evaluations were done in advance (区域评估)."""

    code = models.SlugField(verbose_name=_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200, validators=no_nul())
    description = models.TextField(
        _("description"), blank=True, max_length=DESCRIPTION_MAX, validators=text_limit(DESCRIPTION_MAX)
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("zone")
        verbose_name_plural = _("zones")

    def __str__(self) -> str:
        return self.name


class FlowType(models.TextChoices):
    GOV_BUILDING = "gov_building", _("Government-funded building")
    GOV_INFRA = "gov_infra", _("Government-funded infrastructure")
    SOCIAL = "social", _("Social investment")
    SMALL = "small", _("Small social investment")
    LAND_WITH_SCHEME = "land_with_scheme", _("Land sold with design scheme")


class LandAcquisition(models.TextChoices):
    TRANSFER = "transfer", _("Transfer")
    ALLOCATION = "allocation", _("Allocation")
    OWN = "own", _("Own land")


PROJECT_CODE_RE = re.compile(r"^\d{4}-\d{6}-\d{2}-\d{2}-\d{6}$")


def validate_project_code(value: str) -> None:
    if not PROJECT_CODE_RE.match(value):
        raise ValidationError(
            _("The project code must look like 2025-320500-47-01-123456 (year-region-industry-type-serial).")
        )


class Project(models.Model):
    code = models.CharField(
        _("project code"), max_length=24, unique=True, validators=[validate_project_code]
    )
    name = models.CharField(_("project name"), max_length=200, validators=no_nul())
    owner = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="projects",
        limit_choices_to={"kind": OrganizationKind.OWNER},
        verbose_name=_("owner"),
    )
    location = models.CharField(_("location"), max_length=300, validators=no_nul())
    flow_type = models.CharField(_("flow type"), max_length=20, choices=FlowType.choices)
    land_acquisition = models.CharField(
        _("land acquisition"), max_length=20, choices=LandAcquisition.choices,
        default=LandAcquisition.TRANSFER,
    )
    land_with_scheme = models.BooleanField(_("land sold with design scheme"), default=False)
    floor_area = models.DecimalField(
        _("floor area (m²)"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )
    underground_area = models.DecimalField(
        _("underground area (m²)"), max_digits=12, decimal_places=2, default=0,
        validators=[MinValueValidator(0)],
    )
    height_m = models.DecimalField(
        _("height (m)"), max_digits=7, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    investment = models.DecimalField(
        _("investment (10,000 yuan)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    special_construction = models.BooleanField(
        _("special construction (fire review)"), default=False
    )
    filing_date = models.DateField(_("filing date"), null=True, blank=True)
    zone = models.ForeignKey(
        Zone, on_delete=models.SET_NULL, null=True, blank=True, related_name="projects", verbose_name=_("zone")
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        constraints = [
            models.CheckConstraint(condition=models.Q(floor_area__gte=0), name="project_floor_area_nonneg"),
            models.CheckConstraint(
                condition=models.Q(underground_area__gte=0), name="project_underground_nonneg"
            ),
            models.CheckConstraint(condition=models.Q(investment__gte=0), name="project_investment_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


def _version_path(instance: DocumentVersion, filename: str) -> str:
    # Never the user's file name: the stored name is derived from the hash.
    return f"documents/{instance.document.project_id}/{instance.sha256[:2]}/{instance.sha256}"


class Document(models.Model):
    """A named document of a project (one required material), with immutable versions."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="documents",
    )
    material_code = models.SlugField(_("material code"), max_length=60)
    title = models.CharField(_("title"), max_length=200)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["project", "material_code"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        constraints = [
            models.UniqueConstraint(fields=["project", "material_code"], name="document_unique_per_project"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def latest(self) -> DocumentVersion | None:
        return self.versions.order_by("-number").first()


class DocumentVersion(models.Model):
    """One uploaded file. Never changed after creation; a replacement is a new version."""

    document = models.ForeignKey(
        Document, verbose_name=_("document"), on_delete=models.PROTECT, related_name="versions",
    )
    number = models.PositiveIntegerField(_("version"))
    file = models.FileField(verbose_name=_("file"), upload_to=_version_path, max_length=300)
    original_name = models.CharField(_("original name"), max_length=200)
    content_type = models.CharField(verbose_name=_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(verbose_name=_("size (bytes)"))
    sha256 = models.CharField(verbose_name=_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        User, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+",
    )
    uploaded_at = models.DateTimeField(verbose_name=_("uploaded at"), auto_now_add=True)
    note = models.CharField(_("upload note"), max_length=300, blank=True, validators=no_nul())

    class Meta:
        ordering = ["document", "number"]
        verbose_name = _("document version")
        verbose_name_plural = _("document versions")
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="docversion_unique_number"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="docversion_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.document.title} v{self.number}"


# django-guardian direct foreign-key permission tables (docs/architecture.md §5)
class ProjectUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Project, on_delete=models.CASCADE)


class ProjectGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Project, on_delete=models.CASCADE)


class DocumentUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Document, on_delete=models.CASCADE)


class DocumentGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Document, on_delete=models.CASCADE)
