"""The worker's request id in its log lines, and its readiness file (docs/operations.md).

- ``task_prerun`` / ``task_postrun``: the request id the task's message carries (``enqueue`` puts the
  current one in its headers, jointreview/observability.py) and the task's id are bound for the task's
  duration, so every log line of the task names the request that queued it; ``before_task_publish``
  puts it in every message the task sends (its own retries included).
- ``ReadinessFile``, a step of the worker's consumer: once the consumer is connected to the broker and
  consuming, it touches ``JR_WORKER_READY_FILE`` every ``READY_TOUCH_SECONDS``; it removes the file when
  the consumer stops (shutdown, or the broker connection lost: the consumer restarts and the step with
  it). ``python manage.py worker_ready`` (the compose healthcheck) checks the file is fresh.
"""
from __future__ import annotations

import contextlib

from celery import bootsteps
from celery.signals import before_task_publish, task_postrun, task_prerun

from jointreview.observability import (
    MESSAGE_HEADER,
    READY_TOUCH_SECONDS,
    bind_task,
    message_headers,
    ready_file,
    unbind_task,
)

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
