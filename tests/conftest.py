import pytest


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploaded files of a test go to its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The API throttles count in Django's (per-process) cache: every test starts with no requests counted."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
