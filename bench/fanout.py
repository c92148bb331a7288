"""The fan-out at scale: 1,000 accepted applications x 8 agencies through real Redis and real workers.

    python bench/fanout.py [--apps 1000] [--agencies 8] [--concurrency 2xCPUs]

Against PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/jointreview_bench; the
database is dropped, created and migrated by this script) and Redis (BENCH_REDIS_URL, default
redis://127.0.0.1:6379/6; flushed). It starts its own worker process (prefork, --concurrency
children) and stops it at the end.

Phases (the worker consumes the task queue only while a phase is timed, switched with the
add_consumer/cancel_consumer remote controls, so both phases measure the same thing: draining
8,000 queued tasks through the same broker and the same worker):

1. baseline: 8,000 ``jointreview.noop`` tasks are queued, then consumed -> ``noop_s``;
2. accept: the centre accepts the 1,000 applications with ``application_accept`` (the real service:
   clocks, round, 8 assignments each, guardian grants, audit; 8 notify tasks enqueued on commit each)
   -> ``accept_s``, the median of one accept ``accept_ms`` (target < 25 ms) and the queries of one
   accept ``accept_queries`` (target < 40, constant in the number of agencies);
3. fan-out: the worker consumes the 8,000 ``jointreview.notify_assignment`` tasks until the last
   notification is committed -> ``fanout_s`` (measured to the newest Notification.created_at).

Printed: assignments per second = 8,000 / (accept_s + fanout_s) (from the first accept to the last
notification, the pipeline run back to back), the time to the last notification
(accept_s + fanout_s), and noop_ratio = fanout_s / noop_s. Target: noop_ratio <= 1.5.
Last line: BENCH fanout assignments_per_s=<n> last_notification_s=<s> noop_ratio=<r> accept_ms=<ms>
accept_queries=<n>
"""
from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import recreate_database, setup_django  # noqa: E402

DB_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jointreview_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
os.environ["DATABASE_URL"] = DB_URL
os.environ["REDIS_URL"] = REDIS_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jointreview.settings.test")
QUEUE = "fanout"  # notify_assignment and noop (settings CELERY_TASK_ROUTES, docs/operations.md)
IDLE_QUEUE = "bench-idle"


def build_data(n_apps: int, n_agencies: int):
    """Catalogue + n_apps submitted, checked applications (bulk; not timed)."""
    from decimal import Decimal

    from django.utils import timezone

    from jointreview.models import (
        Application,
        ApplicationItem,
        ApplicationMaterial,
        ApplicationStatus,
        Item,
        Material,
        Stage,
        Workflow,
    )
    from projects.models import Document, OrganizationKind, Project, Role
    from projects.services import organization_create, user_create

    centre = organization_create(name="示范市政务服务中心", kind=OrganizationKind.CENTRE)
    coordinator = user_create(username="bench-coordinator", password=None, organization=centre,
                              role=Role.CENTRE_COORDINATOR)
    owner = organization_create(name="示范建设有限公司", kind=OrganizationKind.OWNER)
    owner_user = user_create(username="bench-owner", password=None, organization=owner, role=Role.OWNER_STAFF)
    agencies = [
        organization_create(name=f"审查部门{i + 1}", kind=OrganizationKind.AGENCY, agency_type="department",
                            email=f"agency{i + 1}@example.org")
        for i in range(n_agencies)
    ]
    stage = Stage.objects.create(code=3, name="施工许可")
    wf = Workflow.objects.create(code="53", kind="joint_drawing_review", name="多图联审", stage=stage)
    items, materials = [], []
    for i, agency in enumerate(agencies):
        item = Item.objects.create(code=f"item-{i}", name=f"审查事项{i + 1}", workflow=wf, kind="technical",
                                   agency=agency, legal_limit_value=15, promised_limit_value=10, order=i)
        items.append(item)
        materials.append(Material.objects.create(item=item, code=f"mat-{i}", name=f"材料{i + 1}"))
    projects = Project.objects.bulk_create(
        Project(code=f"2026-320500-47-01-{k:06d}", name=f"示范项目{k}", owner=owner, location="示范市",
                flow_type="social", floor_area=Decimal("20000"), investment=Decimal("10000"))
        for k in range(n_apps)
    )
    now = timezone.now()
    apps = Application.objects.bulk_create(
        Application(number=f"BENCH-{k:06d}", project=p, workflow=wf, status=ApplicationStatus.SUBMITTED,
                    created_by=owner_user, submitted_at=now)
        for k, p in enumerate(projects)
    )
    ApplicationItem.objects.bulk_create(
        ApplicationItem(application=a, item=it, required=True, reason="无适用条件, 均需办理", agency=it.agency)
        for a in apps for it in items
    )
    docs = Document.objects.bulk_create(
        Document(project=a.project, material_code=f"{m.item.code}--{m.code}", title=m.name)
        for a in apps for m in materials
    )
    ApplicationMaterial.objects.bulk_create(
        ApplicationMaterial(application=a, material=m, document=docs[k * len(materials) + j], check_status="ok",
                            checked_by=coordinator, checked_at=now)
        for k, a in enumerate(apps) for j, m in enumerate(materials)
    )
    return coordinator, [a.pk for a in apps]


class Worker:
    def __init__(self, concurrency: int):
        self.concurrency = concurrency
        self.name = f"bench-{os.getpid()}@%h"
        self.proc: subprocess.Popen | None = None
        self.hostname = None

    def start(self) -> None:
        env = {**os.environ, "DATABASE_URL": DB_URL, "REDIS_URL": REDIS_URL}
        self.log = open(ROOT / "var" / "bench-fanout-worker.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "tasks", "worker", "-l", os.environ.get("BENCH_WORKER_LOGLEVEL", "warning"), "-P", "prefork",
             "-c", str(self.concurrency), "-Q", IDLE_QUEUE, "--without-gossip", "--without-mingle",
             "--without-heartbeat", "-n", self.name],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        from tasks.app import app

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("the worker exited at start (see var/bench-fanout-worker.log)")
            replies = app.control.ping(timeout=0.5)
            if replies:
                self.hostname = next(iter(replies[0]))
                return
        raise RuntimeError("no worker answered within 60 s")

    def consume(self, on: bool) -> None:
        from tasks.app import app

        if on:
            app.control.add_consumer(QUEUE, reply=True, destination=[self.hostname])
        else:
            app.control.cancel_consumer(QUEUE, reply=True, destination=[self.hostname])

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)


def queue_drained(r) -> bool:
    return r.llen(QUEUE) == 0 and r.hlen("unacked") == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--apps", type=int, default=1000)
    parser.add_argument("--agencies", type=int, default=8)
    parser.add_argument("--concurrency", type=int, default=2 * (os.cpu_count() or 1),
                        help="worker child processes (default 2 x CPUs: the notify task waits on PostgreSQL)")
    args = parser.parse_args()
    n_tasks = args.apps * args.agencies

    import redis

    (ROOT / "var").mkdir(exist_ok=True)
    print(f"database {DB_URL} (recreated), broker {REDIS_URL} (flushed)", flush=True)
    recreate_database(DB_URL)
    r = redis.Redis.from_url(REDIS_URL)
    r.flushdb()
    setup_django()
    t = time.perf_counter()
    coordinator, app_ids = build_data(args.apps, args.agencies)
    print(f"setup: {args.apps} submitted applications x {args.agencies} agencies in {time.perf_counter() - t:.1f}s",
          flush=True)

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from jointreview.intake.services import application_accept
    from jointreview.models import Assignment, Notification
    from tasks.app import app

    worker = Worker(args.concurrency)
    worker.start()
    try:
        # 1. baseline: 8,000 no-op tasks through the same broker and worker
        t = time.perf_counter()
        for i in range(n_tasks):
            app.send_task("jointreview.noop", kwargs={"n": i})
        send_s = time.perf_counter() - t
        assert r.llen(QUEUE) == n_tasks, r.llen(QUEUE)
        t0 = time.perf_counter()
        worker.consume(True)
        while not queue_drained(r):
            time.sleep(0.005)
        noop_s = time.perf_counter() - t0
        worker.consume(False)
        print(f"no-op: {n_tasks} tasks sent in {send_s:.2f}s, consumed in {noop_s:.2f}s "
              f"({n_tasks / noop_s:.0f}/s)", flush=True)

        # 2. accept every application (the real service; notify tasks queue up on commit)
        per_accept = []
        t = time.perf_counter()
        for k, pk in enumerate(app_ids):
            t1 = time.perf_counter()
            if k == 1:  # the queries of one accept (the first also reads the calendar and content types)
                with CaptureQueriesContext(connection) as captured:
                    application_accept(actor=coordinator, application=pk)
                accept_queries = len(captured.captured_queries)
            else:
                application_accept(actor=coordinator, application=pk)
            per_accept.append(time.perf_counter() - t1)
        accept_s = time.perf_counter() - t
        accept_ms = statistics.median(per_accept) * 1000
        n_assign = Assignment.objects.count()
        print(f"accept: {args.apps} applications -> {n_assign} assignments in {accept_s:.2f}s "
              f"({n_assign / accept_s:.0f} assignments/s); queued {r.llen(QUEUE)}; one accept: median "
              f"{accept_ms:.1f} ms, {accept_queries} queries (target < 25 ms, < 40 queries)", flush=True)

        # 3. the fan-out: drain the notify tasks to the last notification
        start_wall = time.time()
        t0 = time.perf_counter()
        worker.consume(True)
        while Notification.objects.filter(kind="assignment").count() < n_assign:
            time.sleep(0.02)
            if time.perf_counter() - t0 > 1200:
                raise RuntimeError("the fan-out did not finish within 20 minutes")
        observed_s = time.perf_counter() - t0
        last = Notification.objects.filter(kind="assignment").order_by("-created_at").first().created_at
        fanout_s = min(observed_s, max(last.timestamp() - start_wall, 0.001))
        worker.consume(False)
        connection.close()
    finally:
        worker.stop()

    sent = Assignment.objects.filter(notify_status="sent").count()
    dupes = Notification.objects.filter(kind="assignment").count() - sent
    print(f"fan-out: {sent} notified in {fanout_s:.2f}s ({sent / fanout_s:.0f}/s), duplicates={dupes}", flush=True)
    total_s = accept_s + fanout_s
    ratio = fanout_s / noop_s
    print(f"fan-out / no-op = {fanout_s:.2f}s / {noop_s:.2f}s = {ratio:.2f} (target <= 1.5)")
    print(f"BENCH fanout assignments_per_s={n_assign / total_s:.1f} last_notification_s={total_s:.2f} "
          f"noop_ratio={ratio:.2f} accept_ms={accept_ms:.1f} accept_queries={accept_queries}")


if __name__ == "__main__":
    main()
