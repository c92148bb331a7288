"""Forms of the supervision pages: length and characters of what is posted (the services and models
check again)."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from jointreview.limits import NOTE_MAX
from jointreview.supervision.models import RESPONSE_MAX


class AnswerForm(forms.Form):
    response = forms.CharField(label=_("Your answer"), max_length=RESPONSE_MAX, widget=forms.Textarea)


class CloseForm(forms.Form):
    note = forms.CharField(label=_("Closing note"), max_length=NOTE_MAX, required=False)


class ExtensionRequestForm(forms.Form):
    reason = forms.CharField(label=_("Reason (told to the owner)"), max_length=NOTE_MAX)


class ExtensionDecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=[("approve", _("Approve")), ("refuse", _("Refuse"))])
    note = forms.CharField(label=_("Note"), max_length=NOTE_MAX, required=False)
