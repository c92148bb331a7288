"""The query-string filters of the lists (inbox, clocks, applications), page and API alike: each value
is checked against what it may be. A page shows a message and ignores a bad filter; the API answers
400 with ``{"code", "message", "fields"}`` (``jointreview.api.errors``)."""
from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext, gettext_lazy

from jointreview.models import ApplicationStatus, AssignmentStatus, Light

# ids are positive 64-bit integers (PostgreSQL bigint)
MAX_ID = 2**63 - 1
_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")


def _choices(text_choices) -> list[tuple[str, str]]:
    return [("", "")] + [(c.value, c.label) for c in text_choices]


def clean_id(value: str) -> int:
    """A positive id written in ASCII digits (``"²"`` or 20 digits are refused, not a server error)."""
    if not _ASCII_DIGITS.fullmatch(value or "") or not 1 <= int(value) <= MAX_ID:
        raise forms.ValidationError(gettext("Enter a positive whole number (an id)."))
    return int(value)


class _FilterForm(forms.Form):
    """Unbound values default to "" (no filter)."""

    def values_and_errors(self) -> tuple[dict[str, object], dict[str, list[str]]]:
        self.is_valid()
        values = {}
        for name, field in self.fields.items():
            default = False if isinstance(field, forms.BooleanField) else ""
            values[name] = self.cleaned_data.get(name, default) if name not in self.errors else default
        errors = {name: [str(e) for e in errs] for name, errs in self.errors.items()}
        return values, errors


class InboxFilterForm(_FilterForm):
    state = forms.ChoiceField(choices=_choices(AssignmentStatus), required=False, label=gettext_lazy("State"))
    light = forms.ChoiceField(choices=_choices(Light), required=False, label=gettext_lazy("Light"))
    reviewer = forms.CharField(required=False, label=gettext_lazy("Reviewer"))
    workflow = forms.CharField(required=False, label=gettext_lazy("Workflow"))

    def clean_reviewer(self) -> str:
        value = self.cleaned_data["reviewer"]
        if value in ("", "none", "me"):
            return value
        return str(clean_id(value))

    def clean_workflow(self) -> str:
        value = self.cleaned_data["workflow"]
        return str(clean_id(value)) if value else ""


class _ProvisionalField(forms.CharField):
    """``provisional=1`` shows only provisional clocks; "", 0, 1, true and false are accepted."""

    def clean(self, value) -> bool:
        value = super().clean(value)
        if value.lower() not in ("", "0", "1", "true", "false"):
            raise forms.ValidationError(gettext("Use 1 (only provisional deadlines) or 0."))
        return value.lower() in ("1", "true")


class ClockFilterForm(_FilterForm):
    light = forms.ChoiceField(choices=_choices(Light), required=False, label=gettext_lazy("Light"))
    provisional = _ProvisionalField(required=False, label=gettext_lazy("Provisional"))

    def values_and_errors(self):
        values, errors = super().values_and_errors()
        values["provisional"] = bool(values["provisional"])
        return values, errors


class ApplicationFilterForm(_FilterForm):
    status = forms.ChoiceField(choices=_choices(ApplicationStatus), required=False, label=gettext_lazy("Status"))


def refused_filter_messages(form: forms.Form, errors: dict[str, list[str]]) -> list[str]:
    """One message per refused filter, for a page (which then ignores it)."""
    out = []
    for name, problems in errors.items():
        label = form.fields[name].label if name in form.fields else name
        out.append(gettext("Filter “%(filter)s” ignored: %(problem)s") % {"filter": label,
                                                                          "problem": " ".join(problems)})
    return out
