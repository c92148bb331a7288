"""The beat schedule, in one place (tasks/app.py sets it as beat_schedule; django-celery-beat's
DatabaseScheduler copies these entries into its PeriodicTask rows when beat starts, and sends what
it reads back from them).

Of an entry's ``options`` DatabaseScheduler keeps only queue, exchange, routing_key, priority, headers
and ``expire_seconds`` (sent as the message's ``expires``); anything else, Celery's own ``expires``
included, is silently dropped. Every entry expires within its period, so a run that waited for a
worker longer than that is dropped instead of piling up (``tasks/options.py`` checks it, and that each
entry's task is a SWEEP).
"""
from __future__ import annotations

BEAT_SCHEDULE: dict[str, dict] = {}

# --- clocks and the calendar (issue 3) ---
from celery.schedules import crontab  # noqa: E402

BEAT_SCHEDULE["clock-sweep"] = {
    "task": "jointreview.clock_sweep",
    "schedule": 600.0,  # every 10 minutes; a clock is re-evaluated once per day (and on every event)
    "options": {"queue": "sweeps", "expire_seconds": 540},
}
BEAT_SCHEDULE["calendar-missing-year-check"] = {
    "task": "jointreview.calendar_missing_year_check",
    "schedule": crontab(hour=7, minute=30),  # daily; it only warns from 1 November
    "options": {"queue": "sweeps", "expire_seconds": 6 * 3600},
}

# --- intake fan-out (issue 4) ---
BEAT_SCHEDULE["fanout-sweep"] = {
    "task": "jointreview.fanout_sweep",
    "schedule": 60.0,  # re-dispatch assignment notifications still pending after 60 s
    "options": {"queue": "sweeps", "expire_seconds": 50},
}

# --- review: consolidation whose publish was lost (issue 5) ---
BEAT_SCHEDULE["consolidation-sweep"] = {
    "task": "jointreview.consolidation_sweep",
    "schedule": 300.0,  # completed rounds without a joint notice (a publish lost between commit and broker)
    "options": {"queue": "sweeps", "expire_seconds": 240},
}

# --- issued documents: PDFs whose render was lost, files no row refers to (issue 11) ---
BEAT_SCHEDULE["render-sweep"] = {
    "task": "jointreview.render_sweep",
    "schedule": 120.0,  # documents still without their PDF 120 s after they were drafted or issued
    "options": {"expire_seconds": 110, "queue": "sweeps"},
}
BEAT_SCHEDULE["orphan-file-sweep"] = {
    "task": "jointreview.orphan_file_sweep",
    "schedule": 3600.0,  # stored files no row refers to, older than JR_ORPHAN_FILE_MINUTES (default 60)
    "options": {"expire_seconds": 3000, "queue": "sweeps"},
}

# --- e-mail copies of notifications (off the fan-out's hot path) ---
BEAT_SCHEDULE["notification-email-sweep"] = {
    "task": "jointreview.notification_email_sweep",
    "schedule": 60.0,
    "options": {"queue": "sweeps", "expire_seconds": 50},
}

# --- 电子监察: the escalation ladder (issue 10) ---
from django.conf import settings  # noqa: E402

_ESCALATION_SECONDS = 60.0 * settings.JR_ESCALATION_SWEEP_MINUTES
BEAT_SCHEDULE["escalation-sweep"] = {
    "task": "jointreview.escalation_sweep",
    "schedule": _ESCALATION_SECONDS,  # JR_ESCALATION_SWEEP_MINUTES, default 15
    "options": {"queue": "sweeps", "expire_seconds": int(_ESCALATION_SECONDS * 0.9)},
}
