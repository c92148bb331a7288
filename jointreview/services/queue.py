"""Queueing a Celery task from a service: the one way to do it (docs/architecture.md §4).

Services never import ``tasks`` (imports flow tasks -> jointreview): a task is sent by its stable
name through a producer-only Celery app configured from the same Django settings (in the worker, or
anywhere ``tasks.app`` is loaded, that app itself).

- ``enqueue(task_name, **kwargs)`` sends now; it raises if the broker is unreachable. It never touches
  the result backend (no task result is read: ``ignore_result``; Celery would otherwise subscribe to
  the result channel first and, with Redis down, sit in the backend's reconnect loop for about 20 s),
  and a publish is retried once, briefly (``PUBLISH_RETRY``), with short socket timeouts in the web
  process's producer (``PRODUCER_TRANSPORT_OPTIONS``): a broker outage costs a request a fraction of
  a second, and the sweeps pick up what could not be published (``RETRIED_BY``).
- ``enqueue_after_commit(task_name, *, on_failure="log", **kwargs)`` sends once the current
  transaction commits (at once outside a transaction). The database is the source of truth, so a
  broker failure never undoes the committed work: by default it is logged, naming what will pick the
  work up again (``RETRIED_BY``); or ``on_failure`` is a callable, called with the task's kwargs (e.g.
  the service the task would have run, in-process).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction

log = logging.getLogger(__name__)

# What re-dispatches (or otherwise does) the work of a task whose publish failed.
RETRIED_BY: dict[str, str] = {
    "jointreview.notify_assignment": "fanout_sweep will retry",
    "jointreview.consolidate_round": "consolidation_sweep will retry",
    "jointreview.render_issued_document": "render_sweep will retry (a download of the missing file queues it too)",
    "jointreview.calendar_recompute": "the caller runs it in-process; clock_sweep re-evaluates every clock daily",
}

_producer: dict[str, Any] = {"app": None}

# one quick retry of a publish (a broker restarting), then the failure is the caller's (logged)
PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.1, "interval_max": 0.1}
# the web process's producer: a broker that does not answer is given up on quickly (the worker keeps
# the settings' options: its connections are long-lived and wait on the queue)
PRODUCER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 1.0}


def _producer_app():
    from celery import Celery, current_app

    if current_app.main == "jointreview":  # the worker (or anything that loaded tasks.app)
        return current_app
    if _producer["app"] is None:
        app = Celery("jointreview", set_as_current=False)
        app.config_from_object("django.conf:settings", namespace="CELERY")
        app.conf.broker_transport_options = {**(app.conf.broker_transport_options or {}),
                                             **PRODUCER_TRANSPORT_OPTIONS}
        _producer["app"] = app
    return _producer["app"]


def enqueue(task_name: str, **kwargs) -> None:
    """Send a task by name now (to its queue: ``CELERY_TASK_ROUTES``), with the current request id in
    its headers (jointreview/observability.py). Raises if the broker is unreachable."""
    from jointreview.observability import message_headers

    _producer_app().send_task(task_name, kwargs=kwargs, ignore_result=True, retry=True,
                              retry_policy=PUBLISH_RETRY, headers=message_headers())


def _enqueue_handled(task_name: str, on_failure: str | Callable[..., Any], kwargs: dict[str, Any]) -> None:
    try:
        enqueue(task_name, **kwargs)
    except Exception:
        if callable(on_failure):
            log.warning("could not enqueue %s %s; running the fallback in-process", task_name, kwargs,
                        exc_info=True)
            on_failure(**kwargs)
        else:
            log.warning("could not enqueue %s %s; %s", task_name, kwargs,
                        RETRIED_BY.get(task_name, "nothing retries it automatically"), exc_info=True)


def enqueue_after_commit(task_name: str, *, on_failure: str | Callable[..., Any] = "log", **kwargs) -> None:
    """Send a task by name once the current transaction commits (robust: a failure of this hook does
    not stop the other on-commit hooks). ``on_failure``: "log" (the default; the log names what retries
    the work) or a callable, called with the task's kwargs if the broker refuses the message."""
    if on_failure != "log" and not callable(on_failure):
        raise ValueError(f"on_failure must be 'log' or a callable, not {on_failure!r}")
    transaction.on_commit(lambda: _enqueue_handled(task_name, on_failure, kwargs), robust=True)
