"""How much free text a person may write into each field, and the ranges of numbers they enter
(issue 8: bad input never answers 500). The models carry these limits as validators
(``full_clean()``, called by every service); forms and serializers take them from the model fields.
"""
from __future__ import annotations

from django.conf import settings

from projects.validators import DESCRIPTION_MAX, no_nul, text_limit

__all__ = [
    "COMMITMENT_MAX", "DESCRIPTION_MAX", "FINDING_TEXT_MAX", "NOTE_MAX", "OPINION_SUMMARY_MAX",
    "no_nul", "pause_max_days", "text_limit",
]

FINDING_TEXT_MAX = 5000  # a finding, its library template and the owner's answer to it
OPINION_SUMMARY_MAX = 10000  # the summary of an agency's opinion
COMMITMENT_MAX = 500  # the owner's written commitment for a deferred material (容缺承诺)
NOTE_MAX = 300  # short reasons and notes (pause reason, correction reason, check note, decision note ...)


def pause_max_days() -> int:
    """The longest pause a reviewer may request, in working days (setting ``JR_PAUSE_MAX_DAYS``)."""
    return settings.JR_PAUSE_MAX_DAYS
