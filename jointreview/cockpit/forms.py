"""The cockpit's filters: every value checked against what it may be (a bad value is a form error and
a 400, never a server error). The page, the CSV and the Excel export read the same form."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext, gettext_lazy

from jointreview.cockpit.selectors import SORTS, CockpitFilters
from jointreview.forms_filters import clean_id
from jointreview.models import Light, Stage, Workflow
from projects.models import CENTRE_ROLES, Organization, OrganizationKind, User, Zone

YES_NO = ("", "0", "1", "true", "false", "on")


class _IdChoiceField(forms.ModelChoiceField):
    """A model choice given by id: the id is checked (ASCII digits, in range) before the lookup."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            clean_id(str(value))
        except forms.ValidationError as exc:
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice") from exc
        return super().to_python(value)


class _FlagField(forms.CharField):
    """A yes/no filter: "", 0, 1, true, false and on are accepted; anything else is refused."""

    def clean(self, value) -> bool:
        value = (super().clean(value) or "").lower()
        if value not in YES_NO:
            raise forms.ValidationError(gettext("Use 1 (yes) or 0 (no)."))
        return value in ("1", "true", "on")


class _AcceptedByField(forms.CharField):
    """"me", or the id of a centre user."""

    def clean(self, value):
        value = super().clean(value)
        if value in ("", "me"):
            return value
        user_id = clean_id(value)
        if not User.objects.filter(pk=user_id, role__in=CENTRE_ROLES).exists():
            raise forms.ValidationError(gettext("Choose a coordinator of the centre."))
        return user_id


def _choices(text_choices) -> list[tuple[str, str]]:
    return [("", "")] + [(c.value, c.label) for c in text_choices]


class CockpitFilterForm(forms.Form):
    agency = _IdChoiceField(queryset=Organization.objects.filter(kind=OrganizationKind.AGENCY).order_by("name"),
                            required=False, label=gettext_lazy("Agency"))
    workflow = _IdChoiceField(queryset=Workflow.objects.order_by("code"), required=False,
                              label=gettext_lazy("Workflow"))
    stage = forms.TypedChoiceField(choices=(), coerce=int, required=False, empty_value=None,
                                   label=gettext_lazy("Stage"))
    zone = _IdChoiceField(queryset=Zone.objects.order_by("name"), required=False, label=gettext_lazy("Zone"))
    light = forms.ChoiceField(choices=_choices(Light), required=False, label=gettext_lazy("Light"))
    accepted_by = _AcceptedByField(required=False, max_length=20, label=gettext_lazy("Accepted by"))
    waiting = _FlagField(required=False, max_length=5, label=gettext_lazy("Waiting on the owner"))
    provisional = _FlagField(required=False, max_length=5, label=gettext_lazy("Provisional deadline"))
    deferral_overdue = _FlagField(required=False, max_length=5, label=gettext_lazy("Deferred material overdue"))
    due_today = _FlagField(required=False, max_length=5, label=gettext_lazy("Due today"))
    unassigned = _FlagField(required=False, max_length=5, label=gettext_lazy("Without a reviewer"))
    sort = forms.ChoiceField(choices=[("", "")] + [(k, k) for k in SORTS], required=False,
                             label=gettext_lazy("Sort"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].choices = [("", "")] + [(s.code, str(s)) for s in Stage.objects.order_by("code")]

    def filters(self, user) -> CockpitFilters:
        """The valid filters (a refused one is left out; the caller answers 400 when ``errors``)."""
        self.is_valid()
        data = {name: value for name, value in self.cleaned_data.items() if name not in self.errors}
        accepted_by = data.get("accepted_by") or ""
        return CockpitFilters(
            agency_id=data["agency"].pk if data.get("agency") else None,
            workflow_id=data["workflow"].pk if data.get("workflow") else None,
            stage=data.get("stage"),
            zone_id=data["zone"].pk if data.get("zone") else None,
            light=data.get("light") or "",
            accepted_by_id=user.pk if accepted_by == "me" else (accepted_by or None),
            waiting=bool(data.get("waiting")),
            provisional=bool(data.get("provisional")),
            deferral_overdue=bool(data.get("deferral_overdue")),
            due_today=bool(data.get("due_today")),
            unassigned=bool(data.get("unassigned")),
            sort=data.get("sort") or "",
        )
