"""The notification centre's inputs: the list's filter and the e-mail choices."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from jointreview.forms_filters import _FilterForm


class NotificationFilterForm(_FilterForm):
    """``?unread=1`` shows only the unread ones; "", 0, 1, true and false are accepted."""

    unread = forms.CharField(required=False, label=_("Unread only"))

    def clean_unread(self) -> bool:
        value = (self.cleaned_data["unread"] or "").strip().lower()
        if value in ("", "0", "false"):
            return False
        if value in ("1", "true"):
            return True
        raise forms.ValidationError(_("Use 1 (unread only) or 0 (all)."))


class EmailChoicesForm(forms.Form):
    """Which of the kinds offered to this person come by e-mail."""

    kinds = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple,
                                      label=_("Send me an e-mail for"))

    def __init__(self, *args, offered: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kinds"].choices = offered
