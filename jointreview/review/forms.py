"""Forms of the review pages: they check the length, range and characters of what is posted (a form's
CharField also refuses NUL) before a service is called; the services decide the rest and the models
check the same limits again (``full_clean``). Limits come from the model fields
(``jointreview.limits``)."""
from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext, gettext_lazy

from jointreview.limits import NOTE_MAX
from jointreview.models import Finding, Opinion, PauseRequest


def _model_field(model, name: str, **kwargs) -> forms.Field:
    """The form field of a model field (its max_length), never required here: the services say
    what is missing in their own words."""
    return model._meta.get_field(name).formfield(required=False, **kwargs)


class OpinionForm(forms.Form):
    outcome = forms.CharField(max_length=20, required=False, label=gettext_lazy("Outcome"))
    summary = _model_field(Opinion, "summary")


class FindingForm(forms.Form):
    """A finding added or edited on the assignment page (mandatory, document and template are ids and
    flags read by the view as before)."""

    text = _model_field(Finding, "text")
    standard = _model_field(Finding, "standard")
    clause = _model_field(Finding, "clause")
    sheet = _model_field(Finding, "sheet")
    state = forms.CharField(max_length=10, required=False, label=gettext_lazy("State"))


class CorrectionForm(forms.Form):
    reason = _model_field(Opinion, "correction_reason")


class PauseRequestForm(forms.Form):
    reason = forms.CharField(max_length=20, required=False, label=gettext_lazy("Reason"))
    reason_text = _model_field(PauseRequest, "reason_text")
    expected_days = forms.IntegerField(min_value=1, label=gettext_lazy("Expected length (working days)"))

    def clean_expected_days(self) -> int:
        days = self.cleaned_data["expected_days"]
        if days > settings.JR_PAUSE_MAX_DAYS:
            raise forms.ValidationError(
                gettext("The expected length of a pause is at most %(max)d working days.")
                % {"max": settings.JR_PAUSE_MAX_DAYS}
            )
        return days


class PauseDecisionForm(forms.Form):
    note = forms.CharField(max_length=NOTE_MAX, required=False, label=gettext_lazy("Note"))


class FindingResponseForm(forms.Form):
    response = forms.CharField(max_length=10, required=False, label=gettext_lazy("Answer"))
    text = _model_field(Finding, "response_text")
