"""Template tags of the clocks area (data only; no permission logic)."""
from __future__ import annotations

from django import template

from jointreview.clocks.calendar import missing_years

register = template.Library()


@register.simple_tag
def calendar_missing_years() -> list[int]:
    """Years whose official holiday schedule should be imported now (see calendar.missing_years)."""
    try:
        return missing_years()
    except Exception:  # never break the admin index over a warning
        return []
