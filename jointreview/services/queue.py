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
- ``enqueue_many_after_commit(task_name, kwargs_list)``: the same for many tasks of one name (the
  fan-out of an accept), from ONE on-commit hook that publishes them all through one producer, their
  Redis commands in one pipeline (kombu's ``Producer.batch``); each failure is still logged, naming
  what retries the work.
"""
from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from contextlib import ExitStack
from contextvars import ContextVar
from types import SimpleNamespace
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

# inside ``_enqueue_many_handled``: the producer the publishes share (acquired by the first, released at
# the end), its publish batch and the kwargs of the tasks buffered in it
_batch: ContextVar[dict[str, Any] | None] = ContextVar("jr_enqueue_batch", default=None)


def _producer_app():
    from celery import Celery, current_app

    if current_app.main == "jointreview":  # the worker (or anything that loaded tasks.app)
        return current_app
    if _producer["app"] is None:
        app = Celery("jointreview", set_as_current=False)
        app.config_from_object(celery_settings(), namespace="CELERY")
        app.conf.broker_transport_options = {**(app.conf.broker_transport_options or {}),
                                             **PRODUCER_TRANSPORT_OPTIONS}
        _producer["app"] = app
    return _producer["app"]


def celery_settings() -> SimpleNamespace:
    """The Django settings' CELERY_* options as a plain object, for a producer's ``config_from_object``:
    Celery reads its configuration many times per message, and each read through Django's lazy settings
    object cost more than a quarter of a publish (settings do not change while a process runs)."""
    from django.conf import settings

    return SimpleNamespace(**{name: getattr(settings, name) for name in dir(settings) if name.startswith("CELERY_")})


def enqueue(task_name: str, **kwargs) -> None:
    """Send a task by name now (to its queue: ``CELERY_TASK_ROUTES``), with the current request id in
    its headers (jointreview/observability.py). Raises if the broker is unreachable."""
    from jointreview.observability import message_headers

    app = _producer_app()
    # argsrepr/kwargsrepr (what Flower and the logs show) given as plain repr: the kwargs are a few ids and
    # names, and Celery's saferepr of them cost a tenth of a publish
    app.send_task(task_name, kwargs=kwargs, ignore_result=True, retry=True, retry_policy=PUBLISH_RETRY,
                  headers=message_headers(), producer=_shared_producer(app), argsrepr="()",
                  kwargsrepr=repr(kwargs)[:1024])
    batch = _batch.get()
    if batch is not None:
        batch["buffered"].append(kwargs)  # sent when the batch closes


def _shared_producer(app):
    """Inside ``_enqueue_many_handled``, the batch's producer, acquired from the app's pool by the first
    publish (a broker that is down fails that publish, as without a batch) with a kombu publish batch
    open on it (the messages' Redis commands go out in one pipeline when the batch closes); None
    otherwise (one producer per publish)."""
    batch = _batch.get()
    if batch is None:
        return None
    if batch["producer"] is None:
        producer = batch["stack"].enter_context(app.producer_or_acquire())
        batch["stack"].enter_context(producer.batch())
        batch["producer"] = producer
    return batch["producer"]


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


def enqueue_many_after_commit(task_name: str, kwargs_list: list[dict[str, Any]]) -> None:
    """``enqueue_after_commit(task_name, **kwargs)`` for each of ``kwargs_list`` (failures logged, naming
    what retries the work), from one on-commit hook publishing through one producer and one Redis
    pipeline: the per-publish costs (a producer from the pool, a round trip) are paid once (an accept
    fans out to 8 agencies)."""
    kwargs_list = [dict(k) for k in kwargs_list]
    if kwargs_list:
        transaction.on_commit(lambda: _enqueue_many_handled(task_name, kwargs_list), robust=True)


def _enqueue_many_handled(task_name: str, kwargs_list: list[dict[str, Any]]) -> None:
    """Each task through ``_enqueue_handled``, sharing one producer and one Redis pipeline. If sending the
    pipeline fails, the buffered tasks are published again one by one, each with its own retry and its
    failure logged (a task whose message did reach the broker may then be queued twice: the tasks sent
    this way are idempotent, e.g. ``assignment_notify``)."""
    batch: dict[str, Any] = {"stack": ExitStack(), "producer": None, "buffered": []}
    token = _batch.set(batch)
    try:
        for kwargs in kwargs_list:
            _enqueue_handled(task_name, "log", kwargs)
    except BaseException:
        batch["stack"].__exit__(*sys.exc_info())  # the batch is discarded, the producer released
        raise
    finally:
        _batch.reset(token)
    try:
        batch["stack"].close()  # sends the pipeline, then releases the producer
    except Exception:
        log.warning("could not send %d batched %s tasks; publishing them one by one", len(batch["buffered"]),
                    task_name, exc_info=True)
        for kwargs in batch["buffered"]:
            _enqueue_handled(task_name, "log", kwargs)
