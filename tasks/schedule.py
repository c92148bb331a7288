"""The beat schedule, in one place. Loaded into django-celery-beat by `manage.py sync_beat`."""
from __future__ import annotations

BEAT_SCHEDULE: dict[str, dict] = {}
