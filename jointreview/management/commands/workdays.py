"""Working-day calendar from the command line (one line of output each).

    python manage.py workdays due 2025-09-26 5          -> 2025-10-10            (+ " provisional")
    python manage.py workdays between 2025-09-26 2025-10-10  -> 5
    python manage.py workdays is 2025-10-11             -> workday | holiday <name>
    python manage.py workdays import FILE [--source S] [--format csv|json] [--recompute-now]

The schedule FILE (CSV, UTF-8) has the header ``date,is_workday,name,source`` and one row per
holiday day and per 调休 working day of ONE year, every date once, e.g.::

    date,is_workday,name,source
    2027-01-01,false,元旦,国办发明电〔2026〕X号
    2027-02-06,true,春节调休上班,国办发明电〔2026〕X号

``is_workday`` is true/false (also 1/0, workday/holiday); a holiday needs a name; an empty
``source`` falls back to ``--source`` (or the file name). JSON: a list of objects with the same
fields. Bad input (bad date, duplicate date, dates of two years, ...) prints one line naming the
bad line and exits with status 2; nothing is imported then.

The answers of ``due``, ``between`` and ``is`` are for scripts: the words ``workday``, ``holiday`` and
``provisional`` are fixed (never translated); a holiday's name, the messages and the import summary are
in the active language (settings.LANGUAGE_CODE: Simplified Chinese).
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from jointreview.clocks.calendar import get_calendar
from jointreview.clocks.services import calendar_import, calendar_parse, calendar_recompute
from jointreview.services.errors import ServiceError


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(_("“%(text)s” is not a valid date (expected YYYY-MM-DD)") % {"text": text},
                           returncode=2) from None


def _count(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise CommandError(_("“%(text)s” is not a whole number of working days") % {"text": text},
                           returncode=2) from None
    if n < 0:
        raise CommandError(_("The number of working days must be at least 0, got %(n)s") % {"n": n}, returncode=2)
    return n


class Command(BaseCommand):
    help = "Working days: due DATE N | between A B | is DATE | import FILE"
    requires_system_checks = []  # a one-line tool for scripts: no URL/model checks on every call

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        due = sub.add_parser("due", help="the N-th working day after DATE (DATE not counted)")
        due.add_argument("start")
        due.add_argument("n")
        between = sub.add_parser("between", help="working days in (A, B]")
        between.add_argument("a")
        between.add_argument("b")
        is_ = sub.add_parser("is", help="workday, or holiday <name>")
        is_.add_argument("date")
        imp = sub.add_parser("import", help="load a year's official schedule (CSV or JSON)")
        imp.add_argument("file")
        imp.add_argument("--source", default="", help="where the schedule comes from (default: the file name)")
        imp.add_argument("--format", choices=["csv", "json"], default=None, help="default: from the extension")
        imp.add_argument(
            "--recompute-now", action="store_true",
            help="recompute the affected deadlines in this process too (default: a Celery task does it)",
        )

    def handle(self, *args, **options):
        try:
            line = getattr(self, f"do_{options['action']}")(options)
        except ServiceError as exc:
            raise CommandError(exc.message, returncode=2) from None
        except ValueError as exc:  # from workdays (e.g. a date out of range)
            raise CommandError(str(exc), returncode=2) from None
        self.stdout.write(line)

    def do_due(self, options) -> str:
        start, n = _date(options["start"]), _count(options["n"])
        cal = get_calendar()
        due = cal.add(start, n)
        return f"{due.isoformat()}{' provisional' if cal.span_provisional(start, due) else ''}"

    def do_between(self, options) -> str:
        return str(get_calendar().between(_date(options["a"]), _date(options["b"])))

    def do_is(self, options) -> str:
        d = _date(options["date"])
        cal = get_calendar()
        suffix = " provisional" if cal.is_provisional(d) else ""
        if cal.is_workday(d):
            return f"workday{suffix}"
        chinese = (translation.get_language() or "").startswith("zh")
        return f"holiday {cal.day_name(d, chinese=chinese)}{suffix}"

    def do_import(self, options) -> str:
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(_("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc.strerror},
                               returncode=2) from None
        fmt = options["format"] or ("json" if path.suffix.lower() == ".json" else "csv")
        rows = calendar_parse(data, fmt=fmt)
        result = calendar_import(rows=rows, source=options["source"] or path.name, actor=None)
        line = _("Imported %(year)s: %(holidays)s holidays, %(workdays)s working days (%(replaced)s earlier rows "
                 "replaced)") % {k: result[k] for k in ("year", "holidays", "workdays", "replaced")}
        if options["recompute_now"]:
            stats = calendar_recompute(year=result["year"], cause=f"calendar {result['year']} imported")
            return _("%(line)s; %(clocks)s clocks recomputed, %(moved)s deadlines moved") % {"line": line, **stats}
        return _("%(line)s; the affected deadlines are being recomputed") % {"line": line}

