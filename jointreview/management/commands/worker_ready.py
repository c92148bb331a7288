"""A worker's readiness (the compose healthcheck of each worker): its readiness file is fresh.

A worker started with ``JR_WORKER_READY_FILE`` touches that file every few seconds while it is connected
to the broker and consuming (tasks/signals.py) and removes it when it stops; exit 0 when the file was
touched within ``--max-age`` seconds, else 1 (no broker, a stuck event loop, a worker that is gone).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from jointreview.observability import READY_FILE_ENV, READY_MAX_AGE_SECONDS, ready_file


class Command(BaseCommand):
    help = "Exit 0 if the Celery worker of this container is connected and consuming (its readiness file is fresh)."

    def add_arguments(self, parser):
        parser.add_argument("--file", help=f"the readiness file (default: ${READY_FILE_ENV})")
        parser.add_argument("--max-age", type=float, default=READY_MAX_AGE_SECONDS,
                            help="seconds since the worker last touched the file")

    def handle(self, *args, file: str | None, max_age: float, **options):
        path = Path(file) if file else ready_file()
        if path is None:
            raise CommandError(_("no readiness file: set %(env)s (or pass --file)") % {"env": READY_FILE_ENV})
        try:
            age = time.time() - path.stat().st_mtime
        except FileNotFoundError:
            self.stderr.write(_("not ready: %(path)s does not exist (the worker is not consuming)") % {"path": path})
            sys.exit(1)
        if age > max_age:
            self.stderr.write(_("not ready: %(path)s was last touched %(age).0f s ago") % {"path": path, "age": age})
            sys.exit(1)
        self.stdout.write(_("ready: %(path)s touched %(age).1f s ago") % {"path": path, "age": age})
