import pytest


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploaded files of a test go to its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the site's default language (Simplified Chinese): a request's language
    (LocaleMiddleware activates it for the thread) does not leak into the next test. Within a test, a
    service called after a request runs in that request's language, as it would in the view."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The API throttles count in Django's (per-process) cache: every test starts with no requests counted."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def queued(monkeypatch):
    """Tasks enqueued by name are recorded (name, kwargs), never sent: the broker edge."""
    sent: list[tuple[str, dict]] = []
    monkeypatch.setattr("jointreview.services.queue.enqueue", lambda name, **kw: sent.append((name, kw)))
    return sent


@pytest.fixture
def en_client(client):
    """The test client asking for English pages (LocaleMiddleware): messages are their English ids, so
    assertions on them hold whatever catalogue is compiled."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def without_input_guard(settings):
    """The site without the control-character middleware: what the forms, serializers, services and
    models refuse by themselves (defence in depth)."""
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("InputGuardMiddleware")]
