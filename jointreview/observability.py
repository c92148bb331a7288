"""The request id: one per request, on the response, in every log line, carried into the tasks it queues.

- ``RequestIdMiddleware`` (the outermost middleware) takes the caller's ``X-Request-ID`` when it is at
  most 64 characters of ``[A-Za-z0-9._-]`` (a load balancer's or another service's id), else makes one
  (uuid4 hex); it answers it in the ``X-Request-ID`` response header and keeps it in a context variable
  until the response is closed (``request_finished``).
- ``RequestIdFilter`` (settings ``LOGGING``) puts ``request_id`` and ``task_id`` on every log record
  (``-`` when there is none), so the plain format and ``JsonFormatter`` can print them.
- ``jointreview.services.queue.enqueue`` sends ``message_headers()`` with every task; in the worker,
  ``tasks/app.py``'s ``task_prerun`` handler calls ``bind_task`` with the message's headers and its id,
  ``task_postrun`` calls ``unbind_task``: a task's log lines name the request that queued it (and a task
  queued by a task keeps that request's id).

A worker's readiness file (``JR_WORKER_READY_FILE``) is touched by ``tasks/signals.py`` and checked by
``python manage.py worker_ready``; its name and freshness rule are here, for both.

Standard library only (``logging`` loads this module from the settings).
"""
from __future__ import annotations

import contextvars
import json
import logging
import os
import re
import uuid
from pathlib import Path
from typing import Any

HEADER = "X-Request-ID"
MESSAGE_HEADER = "jr_request_id"  # the Celery message header carrying it
_VALID = re.compile(r"[A-Za-z0-9._-]{1,64}")

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("jr_request_id", default=None)
task_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("jr_task_id", default=None)


def valid_request_id(value: str | None) -> str | None:
    """``value`` if it may be used as a request id as it is, else None."""
    if value and _VALID.fullmatch(value):
        return value
    return None


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    return request_id_var.get()


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = valid_request_id(request.headers.get(HEADER)) or new_request_id()
        request.request_id = request_id
        # kept after this returns (Django logs the response after every middleware): the next request
        # sets its own, and ``forget_request_id`` (request_finished, jointreview/apps.py) clears it
        request_id_var.set(request_id)
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


def forget_request_id(**_kwargs) -> None:
    request_id_var.set(None)


def message_headers() -> dict[str, str]:
    """The headers ``enqueue`` adds to a task message (empty outside a request or a task)."""
    request_id = request_id_var.get()
    return {MESSAGE_HEADER: request_id} if request_id else {}


def bind_task(request_id: str | None, task_id: str | None) -> tuple[contextvars.Token, contextvars.Token]:
    """In the worker, before a task runs: its request id (the one that queued it) and its id."""
    return request_id_var.set(valid_request_id(request_id)), task_id_var.set(task_id)


def unbind_task(tokens: tuple[contextvars.Token, contextvars.Token] | None) -> None:
    if tokens is None:
        request_id_var.set(None)
        task_id_var.set(None)
        return
    request_token, task_token = tokens
    request_id_var.reset(request_token)
    task_id_var.reset(task_token)


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` and ``task_id`` to every record (``-`` when unknown); never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = request_id_var.get() or "-"
        if not getattr(record, "task_id", None):
            record.task_id = task_id_var.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, task_id (and the traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id_var.get() or "-",
            "task_id": getattr(record, "task_id", None) or task_id_var.get() or "-",
        }
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


READY_FILE_ENV = "JR_WORKER_READY_FILE"
READY_TOUCH_SECONDS = 5.0  # how often a consuming worker touches it
READY_MAX_AGE_SECONDS = 30.0  # older than this: the worker is stuck or lost its broker
# a worker whose readiness file has been stale (or absent) this long exits (code 70), so that its
# supervisor (compose's restart policy) starts a new one; 0 turns the watchdog off
STALL_EXIT_ENV = "JR_WORKER_STALL_EXIT_SECONDS"


def stall_exit_seconds() -> float:
    try:
        return max(0.0, float(os.environ.get(STALL_EXIT_ENV, "0") or 0))
    except ValueError:
        return 0.0


def ready_file() -> Path | None:
    path = os.environ.get(READY_FILE_ENV, "").strip()
    return Path(path) if path else None
