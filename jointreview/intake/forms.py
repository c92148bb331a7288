"""Forms of the intake views (parse input only; the services validate and decide)."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from jointreview.models import CheckStatus, Workflow
from projects.models import Project, Zone

PROJECT_FORM_FIELDS = [
    "code", "name", "location", "flow_type", "land_acquisition", "land_with_scheme", "floor_area",
    "underground_area", "height_m", "investment", "special_construction", "filing_date", "zone",
]


class ProjectForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = PROJECT_FORM_FIELDS
        widgets = {"filing_date": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["zone"].queryset = Zone.objects.order_by("name")
        self.fields["zone"].required = False


class OpenApplicationForm(forms.Form):
    workflow = forms.ModelChoiceField(
        queryset=Workflow.objects.filter(is_active=True).select_related("stage"), label=_("Workflow"),
        empty_label=None,
    )


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File"))
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class CheckForm(forms.Form):
    """One row per material (prefix = ApplicationMaterial id)."""

    status = forms.ChoiceField(
        choices=[(CheckStatus.OK, CheckStatus.OK.label), (CheckStatus.MISSING, CheckStatus.MISSING.label),
                 (CheckStatus.DEFECTIVE, CheckStatus.DEFECTIVE.label)],
        label=_("Result"),
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class DeferralForm(forms.Form):
    """One row per deferrable material at acceptance (容缺)."""

    defer = forms.BooleanField(label=_("Defer"), required=False)
    promised_date = forms.DateField(label=_("Promised date"), required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}))
    commitment = forms.CharField(label=_("Commitment"), max_length=500, required=False)


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Reason for withdrawing"), max_length=300, required=False)
