"""The coordinator's cockpit at scale: 10,000 projects, 30,000 applications, 80,000 assignments.

    python bench/dashboard.py [--projects 10000] [--applications 30000] [--assignments 80000] [--runs 15]

Against PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/jointreview_bench_dashboard;
the database is dropped, created and migrated by this script). The data is bulk-inserted (not timed):
a centre with 5 coordinators, 200 owners, 8 agencies, 4 stages, 3 workflows, 6 zones; applications in
every open state (and some approved), 1 to 3 agencies each in round 1 (assignments of rounds 2 for some),
each application and assignment with a started clock (one start event) in a mix of lights and due dates.

Timed (server time: the request handled in-process by Django's test client, no network):
- ``page_ms``: the median of ``--runs`` requests of the cockpit's first page (50 rows, default filters);
- ``filtered_ms``: the same with three filters (agency, light=red, accepted_by=me);
- ``queries``: the page's query count (the same for 50 rows or 5: asserted here);
- ``sweep_s``: one run of the 15-minute escalation sweep (电子监察, ``supervision.services.ladder.
  escalation_sweep``) over every open clock and every project budget, as it runs every 15 minutes;
  ``sweep_cold_s``: its first run on the seeded data, when every light already yellow or red raises its
  alert, record and notifications at once (about 22,000 here). The daily clock sweep, which re-evaluates
  each clock's events one by one, is timed on ``--clock-sweep-sample`` clocks and printed separately.

Last line: BENCH dashboard page_ms=<ms> filtered_ms=<ms> queries=<n> sweep_s=<s> sweep_cold_s=<s>
"""
from __future__ import annotations

import argparse
import datetime
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import recreate_database, setup_django  # noqa: E402

DB_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jointreview_bench_dashboard")
os.environ["DATABASE_URL"] = DB_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jointreview.settings.test")
BATCH = 5000


def _organizations():
    from jointreview.models import Stage, Workflow
    from projects.models import OrganizationKind, Role, Zone
    from projects.services import organization_create, user_create

    centre = organization_create(name="示范市政务服务中心", kind=OrganizationKind.CENTRE)
    coordinators = [user_create(username=f"bench-coord-{i}", password=None, organization=centre,
                                role=Role.CENTRE_COORDINATOR) for i in range(5)]
    owners = []
    for i in range(200):
        org = organization_create(name=f"示范建设单位{i}", kind=OrganizationKind.OWNER)
        owners.append((org, user_create(username=f"bench-owner-{i}", password=None, organization=org,
                                        role=Role.OWNER_STAFF)))
    agencies = [organization_create(name=f"审查部门{i + 1}", kind=OrganizationKind.AGENCY, agency_type="department")
                for i in range(8)]
    stages = [Stage.objects.create(code=c, name=n) for c, n in
              ((1, "立项用地规划许可"), (2, "工程建设许可"), (3, "施工许可"), (4, "竣工验收"))]
    workflows = [Workflow.objects.create(code=c, kind=k, name=n, stage=stages[s]) for c, k, n, s in
                 (("51", "joint_evaluation", "多评合一", 0), ("52", "joint_drawing_review", "方案联审", 1),
                  ("53", "joint_drawing_review", "多图联审", 2))]
    zones = [Zone.objects.create(code=f"zone-{i}", name=f"示范区{i}") for i in range(6)]
    return coordinators, owners, agencies, workflows, zones


def _clock(rng, today, kind):
    from jointreview.models import Clock, ClockState, Light

    light = rng.choices([Light.GREEN, Light.YELLOW, Light.RED], weights=[80, 12, 8])[0]
    remaining = {Light.GREEN: rng.randint(4, 15), Light.YELLOW: rng.randint(0, 3), Light.RED: -rng.randint(1, 10)}
    left = remaining[light]
    return Clock(kind=kind, limit_value=15, state=ClockState.RUNNING, started_on=today - datetime.timedelta(days=20),
                 due_date=today + datetime.timedelta(days=left), remaining_days=left, used_days=15 - left, light=light,
                 provisional=rng.random() < 0.02)


def _bulk(model, rows):
    out = []
    for start in range(0, len(rows), BATCH):
        out.extend(model.objects.bulk_create(rows[start:start + BATCH]))
    return out


def build(n_projects: int, n_apps: int, n_assignments: int, seed: int = 7):
    """Bulk inserts (not timed). Returns the coordinator the pages are read as, and an agency id."""
    from decimal import Decimal

    from django.utils import timezone

    from jointreview.models import Application, ApplicationStatus, Assignment, Clock, ClockEvent, ReviewRound
    from projects.models import Project

    rng = random.Random(seed)
    today = timezone.localdate()
    coordinators, owners, agencies, workflows, zones = _organizations()
    projects = _bulk(Project, [
        Project(code=f"2026-320500-47-01-{k:06d}", name=f"示范项目{k}", owner=owners[k % len(owners)][0],
                location="示范市", flow_type="social", floor_area=Decimal("20000"), investment=Decimal("10000"),
                zone=zones[k % len(zones)] if k % 3 else None, filing_date=today - datetime.timedelta(days=60))
        for k in range(n_projects)
    ])
    statuses = [ApplicationStatus.ACCEPTED] * 70 + [ApplicationStatus.REVISION] * 10 + \
        [ApplicationStatus.SUBMITTED] * 5 + [ApplicationStatus.RETURNED] * 5 + [ApplicationStatus.APPROVED] * 10
    app_clocks = _bulk(Clock, [_clock(rng, today, "application") for _ in range(n_apps)])
    now = timezone.now()
    apps = _bulk(Application, [
        Application(number=f"BENCH-{k:06d}", project=projects[k % n_projects], workflow=workflows[k % 3],
                    status=rng.choice(statuses), current_round=1, created_by=owners[k % len(owners)][1],
                    submitted_at=now, accepted_at=now, accepted_on=today - datetime.timedelta(days=20),
                    accepted_by=coordinators[k % len(coordinators)], clock=app_clocks[k])
        for k in range(n_apps)
    ])
    rounds = _bulk(ReviewRound, [ReviewRound(application=a, number=1) for a in apps])
    # n_assignments spread over the applications: 2 or 3 agencies each (round 1)
    per_app = [2] * n_apps
    extra = n_assignments - 2 * n_apps
    for k in rng.sample(range(n_apps), max(0, min(extra, n_apps))):
        per_app[k] = 3
    specs = [(k, agency) for k in range(n_apps) for agency in rng.sample(agencies, per_app[k])]
    specs = specs[:n_assignments]
    a_clocks = _bulk(Clock, [_clock(rng, today, "assignment") for _ in specs])
    _bulk(Assignment, [
        Assignment(application=apps[k], round=rounds[k], round_number=1, agency=agency,
                   status=rng.choices(["unassigned", "in_review", "signed"], weights=[10, 60, 30])[0],
                   clock=a_clocks[i], due_date=a_clocks[i].due_date, notify_status="sent")
        for i, (k, agency) in enumerate(specs)
    ])
    start = today - datetime.timedelta(days=28)
    _bulk(ClockEvent, [ClockEvent(clock=c, seq=1, kind="start", on=start) for c in app_clocks + a_clocks])
    return coordinators[0], agencies[0].pk


def timed_get(client, url: str, runs: int) -> tuple[float, int, int]:
    """(median ms, queries of the last run, rows of the page)."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm up (templates, caches)
    times = []
    for _ in range(runs):
        reset_queries()
        t0 = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, response.status_code
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    return statistics.median(times), len(ctx.captured_queries), response.content.count(b'class="cockpit-row"')


def time_escalation_sweep() -> tuple[float, float]:
    """The 15-minute sweep of issue 10 (电子监察) over every open clock and every project budget, in bulk:
    ``jointreview.supervision.services.ladder.escalation_sweep``. Run twice: the first run raises the
    alerts of every light already yellow or red (a cold start), the second is the steady state."""
    from jointreview.supervision.services.ladder import escalation_sweep

    t0 = time.perf_counter()
    first = escalation_sweep()
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    second = escalation_sweep()
    warm = time.perf_counter() - t0
    print(f"escalation sweep (every open clock and budget): cold start {first} in {cold:.2f} s; "
          f"next run {second} in {warm:.2f} s")
    return warm, cold


def time_clock_sweep(sample: int) -> float:
    """The daily clock sweep (re-evaluates each clock's events: light, due date) over a sample of clocks,
    extrapolated to every open clock; printed as its own figure."""
    from django.utils import timezone

    from jointreview.clocks.services.sweep import clock_sweep
    from jointreview.models import Clock

    total = Clock.objects.filter(state__in=("running", "paused")).count()
    ids = list(Clock.objects.order_by("?").values_list("pk", flat=True)[:sample])
    Clock.objects.exclude(pk__in=ids).update(evaluated_on=timezone.localdate())
    t0 = time.perf_counter()
    stats = clock_sweep()
    elapsed = time.perf_counter() - t0
    per_clock = elapsed / max(1, stats["evaluated"])
    print(f"daily clock sweep on a sample: {stats} in {elapsed:.1f} s ({per_clock * 1000:.1f} ms a clock); "
          f"extrapolated to {total} open clocks: {per_clock * total:.0f} s")
    return per_clock * total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--applications", type=int, default=30_000)
    parser.add_argument("--assignments", type=int, default=80_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--clock-sweep-sample", type=int, default=500,
                        help="also time the daily clock sweep on this many clocks, extrapolated (0: skip)")
    args = parser.parse_args()

    recreate_database(DB_URL)
    setup_django()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    settings.ALLOWED_HOSTS = ["*"]
    t0 = time.perf_counter()
    coordinator, agency_id = build(args.projects, args.applications, args.assignments)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"seeded {args.projects} projects, {args.applications} applications, {args.assignments} assignments "
          f"in {time.perf_counter() - t0:.1f} s")

    client = Client()
    client.force_login(coordinator)
    url = reverse("cockpit:cockpit")
    page_ms, queries, rows = timed_get(client, url, args.runs)
    print(f"cockpit first page: {rows} rows, median {page_ms:.1f} ms, {queries} queries")
    filtered_url = f"{url}?agency={agency_id}&light=red&accepted_by=me"
    filtered_ms, filtered_queries, filtered_rows = timed_get(client, filtered_url, args.runs)
    print(f"cockpit with three filters: {filtered_rows} rows, median {filtered_ms:.1f} ms, {filtered_queries} queries")
    _small_ms, small_queries, small_rows = timed_get(client, f"{url}?light=red&stage=1&agency={agency_id}", 1)
    print(f"query count with {small_rows} rows: {small_queries} (first page: {queries})")

    sweep_s, sweep_cold_s = time_escalation_sweep()
    if args.clock_sweep_sample:
        time_clock_sweep(args.clock_sweep_sample)
    print(f"BENCH dashboard page_ms={page_ms:.0f} filtered_ms={filtered_ms:.0f} queries={queries} "
          f"sweep_s={sweep_s:.1f} sweep_cold_s={sweep_cold_s:.1f}")


if __name__ == "__main__":
    main()
