"""The notification centre at scale: the header's unread count, the list's first page, mark all
read and one e-mail sweep batch, over 200,000 notifications (half of them the centre's).

Against PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/jointreview_bench_notifications;
the database is dropped and created again). `python bench/notifications.py`. Prints medians.
Last line: BENCH notifications rows=<n> unread_ms=<ms> list_ms=<ms> list_queries=<n> read_all_ms=<ms> sweep_batch_ms=<ms>
"""
from __future__ import annotations

import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import recreate_database, setup_django  # noqa: E402

DB_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jointreview_bench_notifications")
os.environ["DATABASE_URL"] = DB_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jointreview.settings.test")

CENTRE_ROWS = 100_000
AGENCIES, AGENCY_MEMBERS, AGENCY_ROWS = 20, 10, 80_000
OWNERS, OWNER_ROWS = 200, 20_000


def build() -> dict:
    from jointreview.models import Notification
    from projects.models import OrganizationKind, Role, User
    from projects.services import organization_create

    centre = organization_create(name="示范市政务服务中心", kind=OrganizationKind.CENTRE)
    coordinators = [User.objects.create(username=f"coord{i}", organization=centre, role=Role.CENTRE_COORDINATOR,
                                        email=f"coord{i}@example.org") for i in range(5)]
    agencies, members = [], []
    for i in range(AGENCIES):
        org = organization_create(name=f"审查部门{i}", kind=OrganizationKind.AGENCY, agency_type="department")
        agencies.append(org)
        members += [User(username=f"a{i}-{k}", organization=org, role=Role.AGENCY_REVIEWER,
                         email=f"a{i}-{k}@example.org") for k in range(AGENCY_MEMBERS)]
    User.objects.bulk_create(members)
    members = list(User.objects.filter(role=Role.AGENCY_REVIEWER).order_by("pk"))
    owners = [organization_create(name=f"建设单位{i}", kind=OrganizationKind.OWNER) for i in range(OWNERS)]
    rows = [Notification(key=f"c{i}", organization=centre, kind="clock_yellow", params={"what": f"JR-{i}", "due": ""})
            for i in range(CENTRE_ROWS)]
    # half to the agency, half to one of its reviewers (who gets those by e-mail by default)
    rows += [Notification(key=f"a{i}", organization=agencies[i % AGENCIES],
                          kind="assignment_assigned" if i % 2 else "assignment",
                          user=members[(i % AGENCIES) * AGENCY_MEMBERS + i % AGENCY_MEMBERS] if i % 2 else None,
                          params={"number": f"JR-{i}", "role": "A"})
             for i in range(AGENCY_ROWS)]
    rows += [Notification(key=f"o{i}", organization=owners[i % OWNERS], kind="accepted", params={"number": f"JR-{i}"})
             for i in range(OWNER_ROWS)]
    random.Random(10).shuffle(rows)  # sent over time: every organization's notifications interleaved
    Notification.objects.bulk_create(rows, batch_size=5000)
    return {"coordinator": coordinators[0], "reviewer": members[0], "rows": len(rows)}


def median_ms(fn, runs: int = 15) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    recreate_database(DB_URL)
    setup_django()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.ALLOWED_HOSTS = ["*"]
    data = build()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    from jointreview.notifications.selectors import unread_count
    from jointreview.notifications.services import notification_mark_all_read

    coordinator = data["coordinator"]
    unread_ms = median_ms(lambda: unread_count(coordinator))
    client = Client()
    client.force_login(coordinator)
    client.get("/notifications/")
    list_ms = median_ms(lambda: client.get("/notifications/"))
    with CaptureQueriesContext(connection) as queries:
        client.get("/notifications/")
    print(f"coordinator: unread count {unread_ms:.1f} ms, list page {list_ms:.1f} ms ({len(queries)} queries)")
    start = time.perf_counter()
    marked = notification_mark_all_read(actor=coordinator)
    read_all_ms = (time.perf_counter() - start) * 1000
    print(f"mark all read: {marked} notifications in {read_all_ms:.1f} ms")
    reviewer_ms = median_ms(lambda: unread_count(data["reviewer"]))
    print(f"reviewer: unread count {reviewer_ms:.1f} ms")
    from jointreview.audit.mail import notification_email_sweep

    start = time.perf_counter()
    stats = notification_email_sweep()
    sweep_ms = (time.perf_counter() - start) * 1000
    print(f"one e-mail sweep batch: {stats} in {sweep_ms:.1f} ms")
    print(f"BENCH notifications rows={data['rows']} unread_ms={unread_ms:.1f} list_ms={list_ms:.1f} "
          f"list_queries={len(queries)} read_all_ms={read_all_ms:.1f} sweep_batch_ms={sweep_ms:.1f}")


if __name__ == "__main__":
    main()
