"""CSV and Excel exports of a cockpit view: exactly the filtered rows, every page, in the page's order.

Pure of permissions (the view checks the policy and hands the filtered queryset in). Rows are read in
chunks with their open assignments prefetched, so an export costs a few queries per 2,000 rows.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date

from django.utils.translation import gettext as _

from jointreview.cockpit.selectors import cockpit_rows

CHUNK = 2000
# a cell starting with one of these would be a formula in a spreadsheet (CSV/formula injection)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def headers() -> list[str]:
    return [_("Application"), _("Project code"), _("Project"), _("Owner"), _("Zone"), _("Workflow"), _("Stage"),
            _("Status"), _("Accepted by"), _("Accepted on"), _("Light"), _("Due date"), _("Working days left"),
            _("Provisional"), _("Open assignments")]


def _assignments_text(app) -> str:
    parts = []
    for a in getattr(app, "open_assignments", []):
        who = str(a.reviewer) if a.reviewer_id else _("no reviewer")
        due = a.clock.due_date.isoformat() if a.clock_id and a.clock.due_date else ""
        light = a.clock.get_light_display() if a.clock_id else ""
        parts.append(f"{a.agency} ({who}; {light} {due})".replace(" )", ")"))
    return "; ".join(parts)


def row(app) -> list:
    clock = app.clock
    project = app.project
    return [
        app.number, project.code, project.name, str(project.owner), project.zone.name if project.zone_id else "",
        app.workflow.name, str(app.workflow.stage), app.get_status_display(),
        str(app.accepted_by) if app.accepted_by_id else "", app.accepted_on or "",
        clock.get_light_display() if clock else "", clock.due_date if clock and clock.due_date else "",
        clock.remaining_days if clock and clock.started_on else "",
        _("yes") if clock and clock.provisional else "",
        _assignments_text(app),
    ]


def rows(ordered_ids) -> Iterator[list]:
    """Every row of a filtered view, in its order (``selectors.ordered_ids``), loaded CHUNK at a time."""
    ids = list(ordered_ids[0:None])
    for start in range(0, len(ids), CHUNK):
        for app in cockpit_rows(ids[start:start + CHUNK]):
            yield row(app)


def _safe(value) -> str:
    if isinstance(value, int | date):  # numbers and dates are never formulas
        return str(value)
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(data: Iterable[list]) -> bytes:
    """UTF-8 with a byte order mark, so that Excel opens the Chinese text correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers())
    for values in data:
        writer.writerow([_safe(v) for v in values])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(data: Iterable[list]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Cases"))
    sheet.append(headers())
    for values in data:
        sheet.append([v if isinstance(v, int) and not isinstance(v, bool) else _safe(v) for v in values])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
