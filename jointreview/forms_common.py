"""What every form of the site shares."""
from __future__ import annotations

from django import forms


def refusal_text(form: forms.Form) -> str:
    """The form's errors as one message naming each field by its label."""
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        text = " ".join(str(e) for e in errors)
        parts.append(f"{label}: {text}" if label else text)
    return "; ".join(parts)
