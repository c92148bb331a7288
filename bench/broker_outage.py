"""What a broker outage costs a request: the publish of one task by the web process's producer.

    python bench/broker_outage.py [--runs 9]

Each case runs in a fresh interpreter (a cold producer, as after a web worker restart) and times
``jointreview.services.queue.enqueue`` (what ``enqueue_after_commit`` runs after the commit):

- ``up_ms``: Redis up (BENCH_REDIS_URL, default redis://127.0.0.1:6379/6; its queue is flushed);
- ``backend_down_ms``: the broker up, the result backend down (a closed port): the publish must not
  wait on the backend;
- ``broker_down_ms``: the broker down (a closed port): the publish is refused (logged for the sweeps);
- ``broker_silent_ms``: the broker address swallows packets (a non-routable address, 10.255.255.1):
  the connect timeout decides.

Printed: the median of ``--runs`` runs of each. Target (issue 11): a few hundred milliseconds at most.
Last line: BENCH broker_outage up_ms=<ms> backend_down_ms=<ms> broker_down_ms=<ms> broker_silent_ms=<ms>
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")

CHILD = """
import sys, time, django
django.setup()
from django.conf import settings
settings.CELERY_BROKER_URL, settings.CELERY_RESULT_BACKEND = sys.argv[1], sys.argv[2]
from jointreview.services import queue
queue._producer_app()  # the app is built once per process: not timed
t0 = time.perf_counter()
try:
    queue.enqueue("jointreview.ping", sent_at=0)
    outcome = "published"
except Exception as exc:
    outcome = type(exc).__name__
print(f"{(time.perf_counter() - t0) * 1000:.1f} {outcome}")
"""


def one(broker: str, backend: str) -> tuple[float, str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "jointreview.settings.test"}
    out = subprocess.run([sys.executable, "-c", CHILD, broker, backend], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=180)
    ms, outcome = out.stdout.strip().splitlines()[-1].split(" ", 1)
    return float(ms), outcome


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    closed = "redis://127.0.0.1:1/0"
    silent = "redis://10.255.255.1:6379/0"
    cases = {"up": (REDIS_URL, REDIS_URL), "backend_down": (REDIS_URL, closed), "broker_down": (closed, closed),
             "broker_silent": (silent, silent)}
    medians = {}
    for name, (broker, backend) in cases.items():
        runs = [one(broker, backend) for _ in range(args.runs)]
        medians[name] = statistics.median(ms for ms, _o in runs)
        print(f"{name}: median {medians[name]:.1f} ms over {args.runs} runs; outcome {runs[-1][1]}")
    redis.Redis.from_url(REDIS_URL).flushdb()
    print("BENCH broker_outage " + " ".join(f"{name}_ms={ms:.0f}" for name, ms in medians.items()))


if __name__ == "__main__":
    main()
