"""Browser tests (docs/architecture.md §7): Playwright's sync API drives Debian's chromium against pytest-django's
live_server (a real HTTP server thread over the transactional test database).

- One chromium for the browser suite, a fresh context (cookies, storage) per page; tests that need
  several users at once ask ``new_page`` for one page per user.
- Tasks that the services enqueue after commit run at once in the server thread (no broker, no worker),
  so what a worker would do (notifications, PDFs) is on the page when the next request comes.
- Screenshots go to the test's tmp_path (never committed).
"""
from __future__ import annotations

import os

import pytest

from tests.browser.chromium import CHROMIUM, LAUNCH_ARGS


@pytest.fixture(scope="package", autouse=True)
def _allow_orm_beside_playwright():
    """Playwright's sync API runs an asyncio event loop in the test thread; Django would otherwise refuse
    ORM calls from it (SynchronousOnlyOperation) in fixtures and tests. Only for this package: the
    variable must not leak into other tests (nor the subprocesses they start)."""
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if before is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture(scope="package")
def browser():
    """One chromium for the whole browser suite. Package scope rather than session: Playwright keeps an
    event loop marked as running in this thread while it is started, which must not outlive this
    package (later tests, e.g. asyncio.run, would see it)."""
    if not CHROMIUM.exists():
        pytest.skip(f"no browser at {CHROMIUM}")
    from django.core.servers.basehttp import WSGIRequestHandler
    from playwright.sync_api import sync_playwright

    # the live server answers keep-alive requests in several writes: without TCP_NODELAY every request
    # of the browser waits for a delayed ACK (~40 ms)
    nagle = WSGIRequestHandler.disable_nagle_algorithm
    WSGIRequestHandler.disable_nagle_algorithm = True
    pw = sync_playwright().start()
    chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
    try:
        yield chromium
    finally:
        chromium.close()
        pw.stop()
        WSGIRequestHandler.disable_nagle_algorithm = nagle


@pytest.fixture
def new_page(browser, live_server):
    """Factory: a page in a fresh browser context (its own cookies) pointed at the live server.

    ``new_page(user)`` starts logged in as ``user`` (a session made by Django's test client, its cookie
    handed to the context) for journeys that are not about the login page; ``support.login`` logs in
    through the page."""
    from django.conf import settings
    from django.test import Client

    contexts = []

    def make(user=None):
        context = browser.new_context(base_url=live_server.url, locale="zh-CN",
                                      viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        if user is not None:
            client = Client()
            client.force_login(user)
            session = client.cookies[settings.SESSION_COOKIE_NAME].value
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def shot(tmp_path):
    """shot(page, "name") saves a full-page screenshot in the test's tmp dir and returns its path."""

    def take(page, name: str):
        path = tmp_path / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture(autouse=True)
def inline_tasks(monkeypatch):
    """Tasks the services enqueue by name run at once, in-process (in the live server's thread, after
    the request's commit); their names are recorded."""
    import importlib

    import tasks.jobs  # noqa: F401 - registers every task
    from tasks.app import app as celery_app

    sent: list[tuple[str, dict]] = []

    def run(task_name, **kwargs):
        sent.append((task_name, kwargs))
        celery_app.tasks[task_name].apply(kwargs=kwargs, throw=True)

    # the one sender (jointreview.services.queue) and any module that imported the name
    for name in ("queue", "fanout", "intake", "review"):
        try:
            module = importlib.import_module(f"jointreview.services.{name}")
        except ModuleNotFoundError:
            continue
        if hasattr(module, "enqueue"):
            monkeypatch.setattr(module, "enqueue", run)
    return sent
