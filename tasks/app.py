"""The Celery application and the worker children's database connections (task options: tasks/options.py)."""
import os

from celery import Celery
from celery.signals import task_postrun, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jointreview.settings.dev")

app = Celery("jointreview")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Tasks live in this package's modules (not in the Django apps): import them explicitly.
app.autodiscover_tasks(lambda: ["tasks"], related_name="jobs")

from .schedule import BEAT_SCHEDULE  # noqa: E402

app.conf.beat_schedule = BEAT_SCHEDULE

from .signals import ReadinessFile  # noqa: E402  (and the request id's task_prerun/postrun handlers)

app.steps["consumer"].add(ReadinessFile)


@worker_process_init.connect
def _keep_database_connections(**_kwargs) -> None:
    """Worker children keep their PostgreSQL connection between tasks.

    Celery's Django fixup closes every connection before and after every task unless
    ``db_reuse_max`` is set; opening a PostgreSQL connection (~5-10 ms) costs more than a whole
    notify task, so the fan-out would be dominated by it. Instead, connections live for
    ``JR_WORKER_CONN_MAX_AGE`` seconds (default 600; 0 restores close-after-every-task) and, after each
    task, Django's ``close_old_connections`` drops those that are too old or broken (exactly what
    Django does at the end of a request).
    """
    from django.db import connections

    max_age = int(os.environ.get("JR_WORKER_CONN_MAX_AGE", "600"))
    if max_age <= 0:
        return
    for conn in connections.all():
        conn.settings_dict["CONN_MAX_AGE"] = max_age
    for fixup in getattr(app, "_fixups", []):
        worker_fixup = getattr(fixup, "_worker_fixup", None)
        if worker_fixup is not None:
            worker_fixup.db_reuse_max = 10**9  # never the unconditional close
    _reuse["on"] = True


_reuse = {"on": False}


@task_postrun.connect
def _close_old_connections(**_kwargs) -> None:
    if _reuse["on"]:
        from django.db import close_old_connections

        close_old_connections()
