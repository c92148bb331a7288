"""Debian's chromium for the browser tests (never downloaded: `make test` installs the package when it can)."""
from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]


def skip_without_chromium() -> None:
    """Skip the calling test module when Debian's chromium (or the playwright package) is missing."""
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM} (make test installs it when it can; "
                    "no browser is downloaded)", allow_module_level=True)
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
