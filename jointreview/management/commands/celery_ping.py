"""Send a task through Redis to a running worker and print the round trip."""
from __future__ import annotations

import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = "Round-trip a task through the broker (REDIS_URL) to a running Celery worker."

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for a worker")

    def handle(self, *args, timeout: float, **options):
        import redis
        from celery.exceptions import TimeoutError as CeleryTimeout

        from tasks.jobs import ping

        url = settings.CELERY_BROKER_URL
        try:
            redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3).ping()
        except redis.RedisError as exc:
            # "error: <SETTING>: " is fixed, as in every startup error (jointreview/settings/env.py)
            self.stderr.write("error: REDIS_URL: " + _("no broker answers at %(url)s: %(error)s") % {
                "url": url, "error": exc})
            sys.exit(2)
        started = time.perf_counter()
        result = ping.apply_async(args=[time.time()], expires=timeout, retry=False)
        try:
            result.get(timeout=timeout, propagate=True)
        except CeleryTimeout:
            result.forget()
            self.stderr.write(
                "error: " + _("no Celery worker answered within %(timeout)s s through %(url)s (start one with: "
                              "celery -A tasks worker)") % {"timeout": f"{timeout:g}", "url": url}
            )
            sys.exit(1)
        elapsed_ms = (time.perf_counter() - started) * 1000
        result.forget()
        self.stdout.write(_("pong from a worker via %(url)s: round trip %(ms)s ms") % {"url": url,
                                                                                     "ms": f"{elapsed_ms:.1f}"})
