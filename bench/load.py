"""The site under load: 50 concurrent users (owners, agency reviewers, coordinators) over the main pages and
the API, with locust used as a library (headless, this one process, a bounded run time).

    pip install -e '.[bench]'
    python bench/load.py [--users 50] [--run-time 60] [--spawn-rate 10] [--reuse]
                         [--projects 2000] [--applications 5000] [--assignments 15000]

What it starts on loopback, and stops at the end: gunicorn (``gunicorn.conf.py``, the production settings
but plain HTTP: ``bench/load_settings.py``), a Celery worker and beat, against the PostgreSQL and Redis
of DATABASE_URL (default postgres://postgres@127.0.0.1:5432/jr_load_bench, dropped, created, migrated
and filled unless --reuse) and REDIS_URL (default redis://127.0.0.1:6379/15).

The data (``bench.common.build``, bulk-inserted, not timed): 2,000 projects of 200 owners, 5,000
applications, 15,000 assignments to 8 agencies, every application and assignment with a running clock;
then, as acceptance would have left them, the agencies' guardian grants (view/review the assignment,
view the application), one lead and two reviewers per agency (the reviewers are A on the assignments
in review or signed), and a known password (hashed with the production hasher) for every bench user.
Before the run each page is fetched once as its role and must answer 200.

Workload (locust ``weight``: how many of the 50 users have each role; ``@task`` weights: what each does;
every user waits 1-2 s between requests, as a person reading a page would, and opens one connection per
request, as a reverse proxy in front of gunicorn does):
- owners (weight 4): project list 3, a project 2, an application 3, its rounds 1, API applications 2,
  notifications 1;
- agency staff, leads and reviewers (weight 4): inbox 4, an assignment 3, API inbox 2, notifications 1;
- coordinators (weight 2): coordination 2, clocks 2, API clocks 1, cockpit 2, window 2, project list 1,
  API applications 1.
Each user logs in once when it starts (``POST /accounts/login/``: a deliberately expensive password hash,
PBKDF2 with Django's default iterations). The login is reported on its own line and is NOT counted in the
overall figures (p95, rps, errors of the pages): it happens once per session, not per page. The measured
``--run-time`` starts once every user has logged in (the ramp-up's statistics are reset), so 50 logins in
a few seconds, each ~0.3-0.5 s of CPU, do not stand in for the pages' steady state.

Prints per endpoint: requests, p50, p95, p99 (ms), errors; then the login line; last line:
    BENCH load users=50 rps=<n> p95_ms=<ms> errors=<n>
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DB_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/jr_load_bench")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
PASSWORD = "bench-load-pass-2026"
IDS_FILE = ROOT / "var" / "bench-load-ids.json"
LOGIN = "login"


def _env(port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": DB_URL, "REDIS_URL": REDIS_URL, "DJANGO_SETTINGS_MODULE": "bench.load_settings",
        "SECRET_KEY": secrets.token_urlsafe(48), "ALLOWED_HOSTS": "127.0.0.1,localhost", "DEBUG": "false",
        "PYTHONPATH": str(ROOT), "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_ACCESSLOG": "",
        "LOG_LEVEL": "WARNING",
    })
    return env


# ---------------------------------------------------------------------------------------------- the data


def build_step(args) -> None:
    """Run in a child process (``--build-only``): Django in-process, no gevent."""
    from bench.common import build, recreate_database, setup_django

    recreate_database(DB_URL)
    setup_django()
    t0 = time.perf_counter()
    build(args.projects, args.applications, args.assignments)
    ids = _agency_staff_and_grants()
    _passwords()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    IDS_FILE.parent.mkdir(exist_ok=True)
    IDS_FILE.write_text(json.dumps(ids))
    print(f"seeded {args.projects} projects, {args.applications} applications, {args.assignments} assignments, "
          f"grants, users in {time.perf_counter() - t0:.1f} s")


def _agency_staff_and_grants() -> dict:
    """One lead and two reviewers per agency, the agencies' grants; the ids each bench user reads."""
    from jointreview.models import Application, Assignment
    from jointreview.policy import grant_many
    from projects.models import Organization, OrganizationKind, Role, User
    from projects.services import user_create

    staff: dict[str, list[int]] = {}
    for agency in Organization.objects.filter(kind=OrganizationKind.AGENCY).order_by("pk"):
        lead = user_create(username=f"bench-lead-{agency.pk}", password=None, organization=agency,
                           role=Role.AGENCY_LEAD)
        reviewers = [user_create(username=f"bench-reviewer-{agency.pk}-{i}", password=None, organization=agency,
                                 role=Role.AGENCY_REVIEWER) for i in range(2)]
        mine = list(Assignment.objects.filter(agency=agency).exclude(status="unassigned").values_list("pk", flat=True))
        for i, reviewer in enumerate(reviewers):
            share = mine[i::2]
            Assignment.objects.filter(pk__in=share).update(reviewer=reviewer)
            staff[reviewer.username] = share[:200]
        staff[lead.username] = mine[:200]
        assignments = list(Assignment.objects.filter(agency=agency).only("pk", "application_id"))
        grant_many([(p, agency, a) for a in assignments
                    for p in ("jointreview.view_assignment", "jointreview.review_assignment")])
        apps = Application.objects.filter(pk__in={a.application_id for a in assignments}).only("pk")
        grant_many([("jointreview.view_application", agency, app) for app in apps])
    owners: dict[str, dict[str, list[int]]] = {}
    for user in User.objects.filter(username__startswith="bench-owner-").only("pk", "username", "organization_id"):
        apps = list(Application.objects.filter(project__owner_id=user.organization_id)
                    .values_list("pk", "project_id")[:200])
        owners[user.username] = {"apps": [a for a, _p in apps], "projects": sorted({p for _a, p in apps})}
    coordinators = list(User.objects.filter(username__startswith="bench-coord-").values_list("username", flat=True))
    return {"staff": staff, "owners": owners, "coordinators": coordinators}


def _passwords() -> None:
    """Every bench user's password, hashed once with the production hasher (PBKDF2, Django's default cost)."""
    from django.contrib.auth.hashers import make_password

    from projects.models import User

    User.objects.filter(username__startswith="bench-").update(password=make_password(PASSWORD))


# ---------------------------------------------------------------------------------------------- processes


def start_stack(port: int) -> list[subprocess.Popen]:
    env = _env(port)
    py = sys.executable
    logs = ROOT / "var"
    logs.mkdir(exist_ok=True)

    def spawn(name: str, cmd: list[str]) -> subprocess.Popen:
        out = open(logs / f"bench-load-{name}.log", "w")  # noqa: SIM115 - closed with the process
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    bin_dir = Path(py).parent
    procs = [
        spawn("web", [str(bin_dir / "gunicorn"), "-c", "gunicorn.conf.py", "jointreview.wsgi:application"]),
        spawn("worker", [str(bin_dir / "celery"), "-A", "tasks", "worker", "-l", "warning", "--concurrency", "1",
                                "-Q", "default,fanout,documents,sweeps"]),  # settings.JR_TASK_QUEUES, as make demo
        spawn("beat", [str(bin_dir / "celery"), "-A", "tasks", "beat", "-l", "warning", "--scheduler",
                       "django_celery_beat.schedulers:DatabaseScheduler", "--schedule", str(logs / "bench-beat")]),
    ]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz/", timeout=5) as r:
                if r.status == 200:
                    return procs
        except OSError:
            time.sleep(0.5)
    stop_stack(procs)
    raise SystemExit("gunicorn did not answer /healthz/ within 60 s: see var/bench-load-web.log")


def stop_stack(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=5)


# ---------------------------------------------------------------------------------------------- the users


def user_classes(ids: dict):
    """The three roles (bench/load_users.py, which imports locust), given the ids each user reads."""
    from bench import load_users

    return load_users.configure(ids, password=PASSWORD, login_name=LOGIN)


def check_pages(host: str, classes) -> None:
    """One user of each role logs in and reads each of its pages once: every one must answer 200 (the
    login a 302)."""
    from locust.env import Environment

    env = Environment(user_classes=classes, host=host)
    seen: dict[str, int] = {}
    bad: list[str] = []

    def record(request_type, name, response, exception=None, **_kw):
        seen[name] = seen.get(name, 0) + 1
        if exception is not None:
            bad.append(f"{request_type} {name}: {exception}")

    env.events.request.add_listener(record)
    for cls in classes:
        cls.host = host
        user = cls(env)
        user.on_start()
        for t in dict.fromkeys(cls.tasks):  # each task once (the list repeats them by weight)
            t(user)
    if bad:
        raise SystemExit("pages that do not answer 200 before the run:\n  " + "\n  ".join(sorted(set(bad))))
    print(f"checked {len(seen)} endpoints as owner, agency staff and coordinator: all 200")


def run_load(host: str, classes, users: int, spawn_rate: float, run_time: int):
    """Start every user (each logs in once), then measure ``run_time`` seconds of pages: the ramp-up and its
    logins are kept apart (the login's own figures are taken before the page statistics are reset)."""
    import copy

    import gevent
    from locust.env import Environment
    from locust.stats import StatsEntry

    env = Environment(user_classes=classes, host=host)
    for cls in classes:
        cls.host = host
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=spawn_rate)
    deadline = time.monotonic() + 120 + users / spawn_rate
    while env.stats.get(LOGIN, "POST").num_requests < users and time.monotonic() < deadline:
        gevent.sleep(0.5)
    login = copy.deepcopy(env.stats.get(LOGIN, "POST"))
    env.stats.reset_all()
    gevent.spawn_later(run_time, runner.quit)
    t0 = time.monotonic()
    runner.greenlet.join()
    elapsed = time.monotonic() - t0
    pages = StatsEntry(env.stats, "all pages (login excluded)", "")
    for entry in env.stats.entries.values():
        if entry.name not in (LOGIN, "login page"):
            pages.extend(entry)
    return env.stats, pages, login, elapsed


def report(stats, pages, login, elapsed: float, users: int) -> None:
    def row(e) -> str:
        return (f"{e.name[:44]:44} {e.num_requests:8d} {e.get_response_time_percentile(0.5):7.0f} "
                f"{e.get_response_time_percentile(0.95):7.0f} {e.get_response_time_percentile(0.99):7.0f} "
                f"{e.num_failures:6d}")

    print(f"{'endpoint':44} {'requests':>8} {'p50':>7} {'p95':>7} {'p99':>7} {'errors':>6}  (ms)")
    for entry in sorted(stats.entries.values(), key=lambda e: e.name):
        if entry.name not in (LOGIN, "login page"):
            print(row(entry))
    print(row(pages))
    print(f"login (POST, once per user during the ramp-up, not in the figures above): {login.num_requests} "
          f"requests, p50 {login.get_response_time_percentile(0.5):.0f}, p95 {login.get_response_time_percentile(0.95):.0f}, "
          f"p99 {login.get_response_time_percentile(0.99):.0f} ms, {login.num_failures} errors")
    for err in stats.errors.values():
        print(f"error: {err.method} {err.name}: {err.error} x{err.occurrences}")
    rps = pages.num_requests / elapsed if elapsed else 0
    print(f"BENCH load users={users} rps={rps:.1f} p95_ms={pages.get_response_time_percentile(0.95):.0f} "
          f"errors={pages.num_failures}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--run-time", type=int, default=60, help="seconds measured, once every user has logged in")
    parser.add_argument("--port", type=int, default=8811)
    parser.add_argument("--projects", type=int, default=2000)
    parser.add_argument("--applications", type=int, default=5000)
    parser.add_argument("--assignments", type=int, default=15000)
    parser.add_argument("--reuse", action="store_true", help="keep the data set of the last run")
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_only:
        os.environ.update(_env(args.port))  # the served settings: the production password hasher
        build_step(args)
        return
    try:
        import locust  # noqa: F401 - gevent patches the standard library when imported: first
    except ImportError:
        raise SystemExit("bench/load.py needs locust: pip install -e '.[bench]'") from None
    if not (args.reuse and IDS_FILE.exists()):
        subprocess.run([sys.executable, __file__, "--build-only", *sys.argv[1:]], check=True)
    ids = json.loads(IDS_FILE.read_text())
    host = f"http://127.0.0.1:{args.port}"
    procs = start_stack(args.port)
    try:
        classes = user_classes(ids)
        check_pages(host, classes)
        stats, pages, login, elapsed = run_load(host, classes, args.users, args.spawn_rate, args.run_time)
    finally:
        stop_stack(procs)
    print("(the machine may be shared: quote these figures with that caveat)")
    report(stats, pages, login, elapsed, args.users)


if __name__ == "__main__":
    main()
