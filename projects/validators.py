"""Validators of free text written by people (issue 8: bad input never answers 500).

Both apps use them (``jointreview`` imports ``projects``, never the reverse). Forms and serializers
check the same limits first (a form's CharField also refuses NUL); the model checks them again in
``full_clean()``, which every service calls before saving.
"""
from __future__ import annotations

from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator

# a description edited in the admin (zones, workflows, an organization's credit record)
DESCRIPTION_MAX = 5000


def no_nul() -> list:
    """Validators of a CharField (its max_length is checked already): no NUL character."""
    return [ProhibitNullCharactersValidator()]


def text_limit(max_length: int) -> list:
    """Validators of a TextField: at most ``max_length`` characters and no NUL character. Give the
    field the same ``max_length`` too: forms and serializers take their limit from it."""
    return [MaxLengthValidator(max_length), ProhibitNullCharactersValidator()]
