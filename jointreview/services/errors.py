from __future__ import annotations


class ServiceError(Exception):
    """A refused action, with a message fit to show the user (HTTP 400/409, form error, CLI exit 2).

    ``fields``: which input fields were refused and why (``{"text": ["..."]}``), when the refusal is
    about particular fields (the API returns them; the pages show the message)."""

    status_code = 400

    def __init__(self, message: str, *, code: str = "invalid", fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.fields = fields or {}


class ConflictError(ServiceError):
    """The object is not in a state that allows the action (e.g. accepting twice)."""

    status_code = 409


class PermissionDeniedError(ServiceError):
    status_code = 403


def validation_refusal(exc, model=None) -> ServiceError:
    """A ``django.core.exceptions.ValidationError`` (from ``full_clean()``) as a ServiceError whose
    message names each refused field by its label (its ``verbose_name`` when ``model`` is given)."""
    from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist

    if hasattr(exc, "error_dict"):
        fields = {name: [str(m) for m in messages] for name, messages in exc.message_dict.items()}
    else:
        fields = {NON_FIELD_ERRORS: [str(m) for m in exc.messages]}
    parts = []
    for name, messages in fields.items():
        text = " ".join(messages)
        if name == NON_FIELD_ERRORS:
            parts.append(text)
            continue
        label = name
        if model is not None:
            try:
                label = str(model._meta.get_field(name).verbose_name)
            except FieldDoesNotExist:
                label = name
        parts.append(f"{label}: {text}")
    return ServiceError("; ".join(parts), code="invalid", fields=fields)
