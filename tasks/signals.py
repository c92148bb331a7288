"""The worker's request id in its log lines, and its readiness file (docs/operations.md).

- ``task_prerun`` / ``task_postrun``: the request id the task's message carries (``enqueue`` puts the
  current one in its headers, jointreview/observability.py) and the task's id are bound for the task's
  duration, so every log line of the task names the request that queued it; ``before_task_publish``
  puts it in every message the task sends (its own retries included).
- ``ReadinessFile``, a step of the worker's consumer: once the consumer is connected to the broker and
  consuming, it touches ``JR_WORKER_READY_FILE`` every ``READY_TOUCH_SECONDS``; it removes the file when
  the consumer stops (shutdown, or the broker connection lost: the consumer restarts and the step with
  it). ``python manage.py worker_ready`` (the compose healthcheck) checks the file is fresh.
- the stall watchdog (``_start_stall_watchdog``): with ``JR_WORKER_STALL_EXIT_SECONDS`` set (compose: 180), a thread of the worker's
  main process exits the worker (code 70) once its readiness file has been stale or absent that long.
  A supervisor restarts only a process that exits; kombu 5.7's Redis transport can leave a worker
  hanging in its shutdown after Redis went away mid-acknowledgement (docs/architecture.md §4.3), and
  a worker cut from its broker for minutes holds nothing the sweeps will not redo.
"""
from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time

from billiard.process import active_children
from celery import bootsteps
from celery.signals import before_task_publish, task_postrun, task_prerun, worker_ready

from jointreview.observability import (
    MESSAGE_HEADER,
    READY_TOUCH_SECONDS,
    bind_task,
    message_headers,
    ready_file,
    stall_exit_seconds,
    unbind_task,
)

log = logging.getLogger(__name__)
STALL_EXIT_CODE = 70  # EX_SOFTWARE

_bound: dict[str, tuple] = {}


def _header(task, name: str):
    request = getattr(task, "request", None)
    value = getattr(request, name, None)
    if value is None:
        value = (getattr(request, "headers", None) or {}).get(name)
    return value


@task_prerun.connect
def _bind_request_id(task_id=None, task=None, **_kwargs) -> None:
    _bound[task_id] = bind_task(_header(task, MESSAGE_HEADER), task_id)


@task_postrun.connect
def _unbind_request_id(task_id=None, **_kwargs) -> None:
    unbind_task(_bound.pop(task_id, None))


@before_task_publish.connect
def _carry_request_id(headers=None, **_kwargs) -> None:
    """A message sent from inside a task (its own retry, a task it queues) keeps the request id."""
    if headers is not None and MESSAGE_HEADER not in headers:
        headers.update(message_headers())


class ReadinessFile(bootsteps.StartStopStep):
    """Touches the readiness file while the consumer is connected and consuming (see the docstring)."""

    requires = {"celery.worker.consumer.tasks:Tasks"}

    def __init__(self, parent, **kwargs):
        super().__init__(parent, **kwargs)
        self.path = ready_file()
        self.timer_entry = None

    def _touch(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.touch()

    def start(self, parent) -> None:
        if self.path is None:
            return
        self._touch()
        self.timer_entry = parent.timer.call_repeatedly(READY_TOUCH_SECONDS, self._touch)

    def stop(self, parent) -> None:
        if self.timer_entry is not None:
            self.timer_entry.cancel()
            self.timer_entry = None
        if self.path is not None:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()

    shutdown = stop


def _last_touched(path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def _watch(path, limit: float, started: float) -> None:
    """Exit the process once the readiness file has been stale or absent ``limit`` seconds."""
    while True:
        time.sleep(min(5.0, limit / 4))
        stale = time.time() - max(_last_touched(path), started)
        if stale >= limit:
            log.critical("worker not consuming for %.0f s (readiness file %s stale): exiting for a restart",
                         stale, path)
            for child in active_children():  # the pool's children go with it
                with contextlib.suppress(Exception):
                    os.kill(child.pid, signal.SIGKILL)
            logging.shutdown()
            os._exit(STALL_EXIT_CODE)


@worker_ready.connect
def _start_stall_watchdog(**_kwargs) -> None:
    path, limit = ready_file(), stall_exit_seconds()
    if path is None or not limit:
        return
    threading.Thread(target=_watch, args=(path, limit, time.time()), name="jr-stall-watchdog",
                     daemon=True).start()
