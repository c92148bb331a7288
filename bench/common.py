"""What the PostgreSQL benchmarks share: a database of their own, dropped and created for each run, and the
bulk generator of a centre's data at scale (``build``: used by bench/dashboard.py and bench/load.py)."""
from __future__ import annotations

import datetime
import random


def recreate_database(url: str) -> None:
    """Drop and create the database ``url`` names (connecting to the server's ``postgres`` database)."""
    import dj_database_url
    import psycopg

    cfg = dj_database_url.parse(url)
    conninfo = {k: v for k, v in {
        "host": cfg.get("HOST") or "127.0.0.1", "port": cfg.get("PORT") or 5432, "user": cfg.get("USER") or "postgres",
        "password": cfg.get("PASSWORD") or None, "dbname": "postgres",
    }.items() if v is not None}
    with psycopg.connect(**conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{cfg["NAME"]}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{cfg["NAME"]}"')


def setup_django() -> None:
    """Django set up (DJANGO_SETTINGS_MODULE and DATABASE_URL already in the environment) and migrated."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# ---------------------------------------------------------------------------
# the data set at scale, bulk-inserted (not through the services: seeding 20,000 clocks one by one would
# take longer than the benchmarks)
# ---------------------------------------------------------------------------

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
                 provisional=rng.random() < 0.02, last_seq=1)  # its start event (below)


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
