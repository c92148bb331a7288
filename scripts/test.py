"""`make test`: PostgreSQL + Redis, ruff, compose file check, then pytest.

PostgreSQL at DATABASE_URL and Redis at REDIS_URL are used if they answer; local ones are
started (and, as root on Debian, installed) otherwise. Extra pytest arguments: PYTEST_ARGS.
`--services-only` stops after the services are up (handy for checking this script).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from services import (  # noqa: E402
    DEFAULT_REDIS_URL,
    DEFAULT_TEST_DATABASE_URL,
    ROOT,
    ServiceError,
    apt_install,
    can_apt_install,
    drop_empty_env,
    ensure_test_postgres,
    ensure_test_redis,
    env_url,
    redacted,
    say,
)

PYTEST_NO_TESTS_COLLECTED = 5


def venv_tool(name: str) -> str:
    """A console script from this virtualenv (make runs us with .venv/bin/python)."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


def ruff() -> int:
    say("ruff check .")
    return subprocess.run([venv_tool("ruff"), "check", "."], cwd=ROOT).returncode


def import_contracts() -> int:
    """The layers (.importlinter): tasks -> jointreview -> projects; within an area interfaces ->
    services/selectors -> models; the pure cores import no Django."""
    say("lint-imports (import-linter contracts in .importlinter)")
    return subprocess.run([venv_tool("lint-imports")], cwd=ROOT).returncode


def compose_validator() -> list[str] | None:
    """`docker compose` (v2 plugin) or `docker-compose` (v1), if either runs without an engine."""
    candidates = [["docker", "compose"], ["docker-compose"]]
    for cmd in candidates:
        if shutil.which(cmd[0]) is None:
            continue
        probe = subprocess.run([*cmd, "version"], capture_output=True, text=True)
        if probe.returncode == 0:
            return cmd
    return None


def compose_check() -> int:
    cmd = compose_validator()
    if cmd is None:
        say("docker-compose.yml: not validated (neither `docker compose` nor `docker-compose` is installed)")
        return 0
    say(f"{' '.join(cmd)} config -q")
    result = subprocess.run([*cmd, "config", "-q"], cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stderr or result.stdout)
        say("docker-compose.yml is invalid (see above)")
    return result.returncode


def ensure_debian_package(path: Path, package: str, without: str) -> None:
    """``path`` comes from Debian's ``package``: install it when missing and we may (root on Debian),
    else say what the tests do ``without`` it."""
    if path.exists():
        return
    if can_apt_install():
        try:
            apt_install(package)
            return
        except ServiceError as exc:
            say(f"could not install {package}: {exc}")
    say(f"no {path}: {without}")


def ensure_test_packages() -> None:
    # issued PDFs embed a TrueType CJK font; the PDF tests extract Chinese text from them
    ensure_debian_package(Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"), "fonts-wqy-zenhei",
                          "PDFs fall back to STSong-Light (not embedded)")
    # the catalogue test re-extracts the message ids (makemessages needs GNU gettext)
    ensure_debian_package(Path("/usr/bin/xgettext"), "gettext", "the catalogue test will fail (install gettext)")
    # the browser tests drive Debian's chromium through Playwright (no browser download)
    ensure_debian_package(Path("/usr/bin/chromium"), "chromium", "the browser tests will be skipped")


def pytest(env: dict[str, str]) -> int:
    args = shlex.split(os.environ.get("PYTEST_ARGS", ""))
    say(f"pytest {' '.join(args)}".rstrip())
    code = subprocess.run([sys.executable, "-m", "pytest", *args], cwd=ROOT, env=env).returncode
    if code == PYTEST_NO_TESTS_COLLECTED:
        say("FAILED: pytest collected no tests (exit 5): check tests/ and PYTEST_ARGS")
        return 1
    return code


def main() -> int:
    drop_empty_env()
    database_url = env_url("DATABASE_URL", DEFAULT_TEST_DATABASE_URL)
    redis_url = env_url("REDIS_URL", DEFAULT_REDIS_URL)
    try:
        ensure_test_postgres(database_url)
        ensure_test_redis(redis_url)
    except ServiceError as exc:
        say(str(exc))
        return 2
    if "--services-only" in sys.argv[1:]:
        return 0
    ensure_test_packages()
    env = dict(os.environ, DATABASE_URL=database_url, REDIS_URL=redis_url)
    env.pop("DJANGO_SETTINGS_MODULE", None)  # pyproject's [tool.pytest.ini_options] decides
    for step in (ruff, import_contracts, compose_check):
        code = step()
        if code != 0:
            return code
    code = pytest(env)
    say(f"used PostgreSQL {redacted(database_url)} and Redis {redacted(redis_url)}; pytest exit code {code}")
    return code


if __name__ == "__main__":
    sys.exit(main())
