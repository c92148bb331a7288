"""A peer, side by side: the same 1,000 applications x 8 agencies as a django-viewflow 2 flow and as
jointreview's accept + fan-out, on the same PostgreSQL (each in its own database).

    pip install -e '.[bench]'      # django-viewflow (bench only: never imported by the product)
    python bench/peer_viewflow.py [--apps 1000] [--agencies 8]

What each side does (both timed from the first start to the last agency's task done):

- **viewflow** (``bench/peer/``: its own minimal settings, ``bench/peer/settings.py``, and flow,
  ``bench/peer/flows.py``; database ``PEER_DATABASE_URL``, default
  postgres://postgres@127.0.0.1:5432/jointreview_bench_viewflow, dropped, created and migrated):
  ``Start -> Split -> one Handle task per agency -> Join -> End``, viewflow's default synchronous
  execution (no Celery: viewflow 2 runs a node when code calls it), ``SelectForUpdateLock`` (viewflow's
  advice for PostgreSQL with a Join). Phase 1 ``StartHandle.run`` per application: one process, its
  start task, the split and the 8 agency tasks (status NEW) -> ``viewflow_start_s``. Phase 2 each
  agency's task is run (``Handle.run``: the process locked, the task started and done with its data
  saved, the Join activated; the last one completes the Join and ends the process), one after the
  other in this one process -> ``viewflow_tasks_s``. Checked: every process DONE, 8 tasks done each.
  viewflow does no permission grants, statutory clocks, audit events or notification rows.
- **jointreview**: ``bench/fanout.py`` in a subprocess (its own database ``DATABASE_URL``, default
  postgres://postgres@127.0.0.1:5432/jointreview_bench, and Redis ``BENCH_REDIS_URL``): the real
  ``application_accept`` per application in this process (one transaction: round, 8 assignments with
  their items and portions, 9 clocks and their start events, guardian grants, audit events, the owner's
  notification; 8 notify tasks published on commit), then a Celery prefork worker (2 x CPUs children,
  through Redis) runs the 8,000 ``notify_assignment`` tasks (each: the claim, the agency's notification
  and its audit event, one statement) -> ``jointreview_s`` = its ``last_notification_s`` (accept +
  fan-out to the last notification; the no-op baseline phase before it is not counted).

ratio = viewflow_s / jointreview_s (above 1: jointreview is faster). The machine's load matters:
quote the figures with it. Last line: BENCH peer viewflow_s=<s> jointreview_s=<s> ratio=<r>
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PEER_DB_URL = os.environ.get("PEER_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jointreview_bench_viewflow")


def viewflow_side(n_apps: int) -> None:
    """In its own process (the bench's Django settings): migrate, run the flows, print the times."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.peer.settings"
    os.environ["PEER_DATABASE_URL"] = PEER_DB_URL
    from bench.common import recreate_database, setup_django

    recreate_database(PEER_DB_URL)
    setup_django()
    from viewflow.workflow.models import Process, Task
    from viewflow.workflow.status import PROCESS, STATUS

    from bench.peer.flows import AGENCIES, REVIEW_NODES, JointReviewFlow

    agencies = [f"审查部门{i + 1}" for i in range(AGENCIES)]
    t = time.perf_counter()
    for k in range(n_apps):
        JointReviewFlow.start.run(number=f"PEER-{k:06d}", agencies=agencies)
    start_s = time.perf_counter() - t
    nodes = {getattr(JointReviewFlow, name): agencies[i] for i, name in enumerate(REVIEW_NODES)}
    tasks = list(Task.objects.filter(status=STATUS.NEW, flow_task_type="FUNCTION").order_by("pk"))
    print(f"viewflow: {n_apps} processes started in {start_s:.2f}s; {len(tasks)} agency tasks waiting", flush=True)
    t = time.perf_counter()
    for task in tasks:
        task.flow_task.run(task, agency=nodes[task.flow_task])
    tasks_s = time.perf_counter() - t
    done = Process.objects.filter(status=PROCESS.DONE).count()
    done_tasks = Task.objects.filter(status=STATUS.DONE, flow_task_type="FUNCTION").count()
    assert done == n_apps and done_tasks == n_apps * AGENCIES, (done, done_tasks)
    print(f"viewflow: {len(tasks)} agency tasks run in {tasks_s:.2f}s; {done} processes done", flush=True)
    print(f"VIEWFLOW start_s={start_s:.2f} tasks_s={tasks_s:.2f}", flush=True)


def run(cmd: list[str], env: dict[str, str], marker: str) -> str:
    """Run a side in a subprocess, echo its output, return its line starting with ``marker``."""
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600, check=False)
    sys.stdout.write(proc.stdout)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"{cmd[1]} failed ({proc.returncode})")
    return next(line for line in reversed(proc.stdout.splitlines()) if line.startswith(marker))


def figure(line: str, key: str) -> float:
    return float(re.search(rf"\b{key}=([0-9.]+)", line).group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--apps", type=int, default=1000)
    parser.add_argument("--agencies", type=int, default=8)
    parser.add_argument("--side", choices=["viewflow"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side == "viewflow":
        viewflow_side(args.apps)
        return
    env = {**os.environ, "PEER_AGENCIES": str(args.agencies)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    print(f"== viewflow: {args.apps} applications x {args.agencies} agencies", flush=True)
    vf = run([sys.executable, __file__, "--side", "viewflow", "--apps", str(args.apps)], env, "VIEWFLOW")
    viewflow_s = figure(vf, "start_s") + figure(vf, "tasks_s")
    print(f"== jointreview: {args.apps} applications x {args.agencies} agencies (bench/fanout.py)", flush=True)
    jr = run([sys.executable, str(ROOT / "bench" / "fanout.py"), "--apps", str(args.apps),
              "--agencies", str(args.agencies)], env, "BENCH fanout")
    jointreview_s = figure(jr, "last_notification_s")
    print(f"viewflow {viewflow_s:.2f}s, jointreview {jointreview_s:.2f}s")
    print(f"BENCH peer viewflow_s={viewflow_s:.2f} jointreview_s={jointreview_s:.2f} "
          f"ratio={viewflow_s / jointreview_s:.2f}")


if __name__ == "__main__":
    main()
