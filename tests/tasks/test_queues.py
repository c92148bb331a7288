"""Queues (docs/operations.md): every task has a route to a known queue, beat names the sweeps' queue,
`make demo`'s one worker consumes every queue, compose's workers together cover every queue."""
from __future__ import annotations

import shlex
from pathlib import Path

import yaml
from django.conf import settings

import tasks.jobs  # noqa: F401 - registers every task
from tasks.app import app
from tasks.schedule import BEAT_SCHEDULE

ROOT = Path(__file__).resolve().parents[2]
QUEUES = set(settings.JR_TASK_QUEUES)


def _queues_of(command: list[str]) -> set[str]:
    assert command[:4] == ["celery", "-A", "tasks", "worker"], command
    return set(command[command.index("-Q") + 1].split(","))


def test_every_task_is_routed_to_a_known_queue_and_each_queue_has_tasks():
    ours = {name for name in app.tasks if name.startswith("jointreview.")}
    routes = settings.CELERY_TASK_ROUTES
    assert set(routes) == ours
    assert {r["queue"] for r in routes.values()} == QUEUES == {"default", "fanout", "documents", "sweeps"}
    assert app.conf.task_default_queue == "default"
    for name in ours:  # what Celery's router decides for a send by name
        assert app.amqp.router.route({}, name)["queue"].name == routes[name]["queue"]
    assert routes["jointreview.notify_assignment"]["queue"] != routes["jointreview.render_issued_document"]["queue"]
    sweeps = {name for name in ours if app.tasks[name].options_profile == "sweep"}
    assert {name for name, r in routes.items() if r["queue"] == "sweeps"} == sweeps


def test_beat_entries_name_the_sweeps_queue_as_the_routes_do():
    for name, entry in BEAT_SCHEDULE.items():
        assert entry["options"]["queue"] == settings.CELERY_TASK_ROUTES[entry["task"]]["queue"] == "sweeps", name


def test_the_demo_runs_one_worker_for_every_queue():
    lines = dict(line.split(":", 1) for line in (ROOT / "Procfile.demo").read_text().splitlines() if line.strip())
    workers = [shlex.split(cmd) for name, cmd in lines.items() if "worker" in cmd.split()]
    assert len(workers) == 1 and _queues_of(workers[0]) == QUEUES


def test_compose_runs_a_worker_per_queue_group_covering_every_queue_each_with_a_readiness_check():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    workers = {name: s for name, s in services.items() if s.get("command", [])[:4] == ["celery", "-A", "tasks", "worker"]}
    assert set(workers) == {"worker-fanout", "worker-documents", "worker-sweeps"}
    consumed = [_queues_of(s["command"]) for s in workers.values()]
    assert set().union(*consumed) == QUEUES
    assert not any("documents" in q and "fanout" in q for q in consumed)  # renders never share the fan-out's worker
    for name, service in workers.items():
        assert service["healthcheck"]["test"] == ["CMD", "python", "manage.py", "worker_ready"], name
        assert service["environment"]["JR_WORKER_READY_FILE"], name
        assert service["environment"]["DJANGO_SETTINGS_MODULE"] == "jointreview.settings.production", name
    flower = services["flower"]
    assert flower["command"][:4] == ["celery", "-A", "tasks", "flower"]
    assert all(port.startswith("127.0.0.1:") for port in flower["ports"])  # never published beyond the host
    procfile = [shlex.split(cmd) for cmd in (ROOT / "Procfile").read_text().splitlines() if " worker " in cmd]
    assert set().union(*(_queues_of(c[c.index("celery"):]) for c in procfile)) == QUEUES
