"""The catalogue a centre edits in the admin: stages, joint workflows, review items, materials."""
from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from jointreview.limits import DESCRIPTION_MAX, text_limit
from projects.models import FlowType


def total_target_days() -> int:
    """The centre's filing-to-permit target in working days (setting ``JR_TOTAL_TARGET_DAYS``, default 40)."""
    return int(getattr(settings, "JR_TOTAL_TARGET_DAYS", 40))


class TimeUnit(models.TextChoices):
    WORKING = "working", _("working days")
    NATURAL = "natural", _("natural days")


class ResubmissionPolicy(models.TextChoices):
    RESUME = "resume", _("resume with the remaining days")
    RESTART = "restart", _("restart the full limit")


class Stage(models.Model):
    """审批阶段: 1 立项用地规划许可 ... 4 竣工验收, 5 并行推进."""

    code = models.PositiveSmallIntegerField(_("stage code"), unique=True)
    name = models.CharField(_("name"), max_length=80)
    lead_agency = models.ForeignKey(
        "projects.Organization", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("lead department"),
    )
    counts_to_timeline = models.BooleanField(
        _("counts toward the filing-to-permit target"), default=False
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        """A stage counted toward the target brings its caps: refused if a project type would go over."""
        if not self.counts_to_timeline or self.pk is None:
            return
        counted = set(Stage.objects.filter(counts_to_timeline=True).values_list("pk", flat=True)) | {self.pk}
        totals = (
            StageCap.objects.filter(stage_id__in=counted).values("flow_type")
            .annotate(total=models.Sum("cap_days")).order_by("flow_type")
        )
        target = total_target_days()
        for row in totals:
            if row["total"] > target:
                raise ValidationError({"counts_to_timeline": _(
                    "Counting this stage would bring the caps of %(type)s to %(total)d working days, over the "
                    "centre's target of %(target)d working days."
                ) % {"type": FlowType(row["flow_type"]).label, "total": row["total"], "target": target}})


class StageCap(models.Model):
    """The cap of one stage for one project type (审批流程类型), in working days of government time.

    The caps of the stages that count toward the filing-to-permit target (stages 1-3) must add up to at most
    the centre's target for every project type (``clean``, used by the admin and the seed).
    """

    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="caps", verbose_name=_("stage"))
    flow_type = models.CharField(_("project type"), max_length=20, choices=FlowType.choices)
    cap_days = models.PositiveSmallIntegerField(_("cap (working days)"))
    source = models.CharField(
        _("source"), max_length=200,
        help_text=_("The law or local plan that sets this number, or \"city target\"."),
    )

    class Meta:
        ordering = ["flow_type", "stage__code"]
        verbose_name = _("stage cap")
        verbose_name_plural = _("stage caps")
        constraints = [
            models.UniqueConstraint(fields=["stage", "flow_type"], name="stagecap_unique_per_type"),
            models.CheckConstraint(condition=models.Q(cap_days__gte=1), name="stagecap_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.stage} / {self.get_flow_type_display()}: {self.cap_days}"

    def clean(self) -> None:
        if not self.stage_id or not self.flow_type or self.cap_days is None:
            return
        stage = Stage.objects.filter(pk=self.stage_id).first()
        if stage is None or not stage.counts_to_timeline:
            return
        others = (
            StageCap.objects.filter(flow_type=self.flow_type, stage__counts_to_timeline=True)
            .exclude(stage_id=self.stage_id)
            .aggregate(total=models.Sum("cap_days"))["total"] or 0
        )
        total, target = others + self.cap_days, total_target_days()
        if total > target:
            raise ValidationError({"cap_days": _(
                "The caps of the stages counted toward the target add up to %(total)d working days for "
                "%(type)s, over the centre's target of %(target)d working days. Lower this cap or another "
                "stage's cap."
            ) % {"total": total, "type": self.get_flow_type_display(), "target": target}})


class WorkflowKind(models.TextChoices):
    JOINT_EVALUATION = "joint_evaluation", _("Joint evaluation")
    JOINT_DRAWING_REVIEW = "joint_drawing_review", _("Joint drawing review")
    JOINT_SURVEY = "joint_survey", _("Joint survey")
    JOINT_ACCEPTANCE = "joint_acceptance", _("Joint acceptance")
    OTHER = "other", _("Other parallel approval")


class Workflow(models.Model):
    """A joint workflow (辅线 51/53/54C/54Y ...) run at one stage through one window."""

    code = models.CharField(_("workflow code"), max_length=10, unique=True)
    kind = models.CharField(_("kind"), max_length=30, choices=WorkflowKind.choices)
    name = models.CharField(_("name"), max_length=80)
    stage = models.ForeignKey(
        Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="workflows"
    )
    lead_agency = models.ForeignKey(
        "projects.Organization", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("lead agency"),
    )
    limit_value = models.PositiveIntegerField(_("overall limit"), default=15)
    sequence = models.PositiveSmallIntegerField(
        _("order within the stage"), default=1,
        help_text=_("Workflows of a stage with the same number run in parallel; a higher number follows the lower "
                    "ones (the joint drawing review 1, then the construction permit 2). The projected finish adds "
                    "the longest limit of each step."),
    )
    limit_unit = models.CharField(
        verbose_name=_("limit unit"), max_length=10, choices=TimeUnit.choices, default=TimeUnit.WORKING,
    )
    check_limit_days = models.PositiveIntegerField(_("completeness check limit (working days)"), default=5)
    single_fee = models.BooleanField(_("single fee split among the recipients"), default=False)
    lead_reads_all = models.BooleanField(
        _("the lead reads every material"), default=False,
        help_text=_("When set, the lead agency of this workflow reads every material of an application, "
                    "not only its own portion. Takes effect for applications accepted afterwards."),
    )
    certificate_title = models.CharField(
        _("certificate title"), max_length=60, default="审查合格书"
    )
    description = models.TextField(
        verbose_name=_("description"), blank=True, max_length=DESCRIPTION_MAX,
        validators=text_limit(DESCRIPTION_MAX),
    )
    is_active = models.BooleanField(verbose_name=_("active"), default=True)

    class Meta:
        ordering = ["stage__code", "code"]
        verbose_name = _("joint workflow")
        verbose_name_plural = _("joint workflows")

    def __str__(self) -> str:
        return self.name


class ItemKind(models.TextChoices):
    LICENCE = "licence", _("Administrative licence")
    TECHNICAL = "technical", _("Technical review")
    INTERMEDIARY = "intermediary", _("Intermediary service")
    UTILITY = "utility", _("Utility service")
    FILING = "filing", _("Filing")


class Item(models.Model):
    """审批事项: one review item of a workflow, done by one agency (fixed or chosen by the owner)."""

    code = models.SlugField(_("item code"), max_length=60, unique=True)
    name = models.CharField(_("item name"), max_length=120)
    workflow = models.ForeignKey(
        Workflow, verbose_name=_("workflow"), on_delete=models.PROTECT, related_name="items",
    )
    kind = models.CharField(_("item kind"), max_length=20, choices=ItemKind.choices)
    speciality = models.ForeignKey(
        "projects.Speciality", verbose_name=_("speciality"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="items"
    )
    agency = models.ForeignKey(
        "projects.Organization", on_delete=models.PROTECT, null=True, blank=True, related_name="items",
        verbose_name=_("agency (fixed)"),
        help_text=_("Empty for competitive items: the owner picks a firm from the intermediary registry."),
    )
    competitive = models.BooleanField(_("competitive (the owner picks the firm)"), default=False)
    legal_limit_value = models.PositiveIntegerField(_("legal limit"))
    legal_limit_unit = models.CharField(
        verbose_name=_("legal limit unit"), max_length=10, choices=TimeUnit.choices, default=TimeUnit.WORKING,
    )
    promised_limit_value = models.PositiveIntegerField(_("promised limit"))
    promised_limit_unit = models.CharField(
        verbose_name=_("promised limit unit"), max_length=10, choices=TimeUnit.choices,
        default=TimeUnit.WORKING,
    )
    resubmission_policy = models.CharField(
        _("resubmission policy"), max_length=10, choices=ResubmissionPolicy.choices,
        default=ResubmissionPolicy.RESUME,
    )
    allows_deferral = models.BooleanField(_("allows acceptance with gaps"), default=False)
    allows_commitment = models.BooleanField(_("allows approval by commitment"), default=False)
    milestone = models.BooleanField(_("milestone"), default=False)
    fee = models.DecimalField(_("fee (yuan)"), max_digits=12, decimal_places=2, default=0)
    fee_basis = models.CharField(_("fee basis"), max_length=200, blank=True)
    applicability = models.JSONField(
        _("applicability rule"), default=dict, blank=True,
        help_text=_('Empty = always. E.g. {"all": [{"field": "underground_area", "op": ">", "value": 0}]}'),
    )
    applicability_text = models.CharField(_("rule in words"), max_length=200, blank=True)
    warn_days = models.PositiveSmallIntegerField(_("yellow at N working days left"), null=True, blank=True)
    warn_percent = models.PositiveSmallIntegerField(_("yellow at X percent left"), null=True, blank=True)
    legal_basis = models.CharField(_("legal basis"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(verbose_name=_("order"), default=0)
    is_active = models.BooleanField(verbose_name=_("active"), default=True)

    class Meta:
        ordering = ["workflow", "order", "code"]
        verbose_name = _("review item")
        verbose_name_plural = _("review items")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(promised_limit_value__gte=1), name="item_promised_limit_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(competitive=True) | models.Q(agency__isnull=False),
                name="item_fixed_needs_agency",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if (
            self.legal_limit_unit == self.promised_limit_unit
            and self.promised_limit_value > self.legal_limit_value
        ):
            raise ValidationError(
                {"promised_limit_value": _("The promised limit cannot exceed the legal limit.")}
            )
        from django.utils.translation import gettext

        from jointreview.rules import RuleError, validate_rule  # no import cycle at load time

        try:
            validate_rule(self.applicability if self.applicability is not None else {})
        except RuleError as exc:  # the pure core's English message id, translated here
            reason = gettext(exc.message) % exc.params
            raise ValidationError({"applicability": gettext("Invalid applicability rule: %(reason)s") % {
                "reason": reason}}) from None


class Material(models.Model):
    """A required document (申请材料) of an item."""

    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.CASCADE, related_name="materials")
    code = models.SlugField(_("material code"), max_length=60)
    name = models.CharField(_("material name"), max_length=200)
    essential = models.BooleanField(
        _("essential (never deferred)"), default=True,
        help_text=_("Non-essential materials may be accepted with gaps when the item allows it."),
    )
    accepted_types = models.CharField(
        _("accepted types"), max_length=100, default="pdf",
        help_text=_("Comma list of: pdf, dwg, dxf, jpg, png, zip, ofd"),
    )
    shared = models.BooleanField(
        _("shared by every agency"), default=False,
        help_text=_("Every agency of the application reads it (site plan, project basics). Otherwise only the "
                    "agency of this material's item reviews it (its portion). Takes effect for applications "
                    "accepted afterwards."),
    )
    order = models.PositiveSmallIntegerField(verbose_name=_("order"), default=0)

    class Meta:
        ordering = ["item", "order", "code"]
        verbose_name = _("required material")
        verbose_name_plural = _("required materials")
        constraints = [models.UniqueConstraint(fields=["item", "code"], name="material_unique_per_item")]

    def __str__(self) -> str:
        return self.name


class EvaluationMode(models.TextChoices):
    EXEMPT = "exempt", _("exempt")
    SIMPLIFIED = "simplified", _("simplified")
    COMMITMENT = "commitment", _("by commitment")


class RegionalEvaluation(models.Model):
    """A zone-wide evaluation done in advance (区域评估); projects in the zone reuse it."""

    zone = models.ForeignKey(
        "projects.Zone", verbose_name=_("zone"), on_delete=models.CASCADE, related_name="evaluations",
    )
    title = models.CharField(_("evaluation title"), max_length=200)
    items = models.ManyToManyField(Item, related_name="regional_evaluations", verbose_name=_("covered items"))
    mode = models.CharField(
        verbose_name=_("evaluation mode"), max_length=20, choices=EvaluationMode.choices,
        default=EvaluationMode.EXEMPT,
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"))
    max_floor_area = models.DecimalField(
        _("floor-area limit (m²)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    max_investment = models.DecimalField(
        _("investment limit (10,000 yuan)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    negative_list = models.JSONField(
        _("negative list (flow types)"), default=list, blank=True,
        help_text=_("Project flow types that must follow the normal route."),
    )
    report_reference = models.CharField(_("report reference"), max_length=200, blank=True)

    class Meta:
        ordering = ["zone", "title"]
        verbose_name = _("regional evaluation")
        verbose_name_plural = _("regional evaluations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__gte=models.F("valid_from")), name="regeval_valid_range"
            ),
        ]

    def __str__(self) -> str:
        return self.title
