"""Restore drill: prove a backup made by scripts/backup.py restores (docs/backup.md).

    python scripts/restore_drill.py BACKUP_DIR [--server-url URL] [--name DB] [--media-dir DIR] [--keep]
    python scripts/restore_drill.py --check-only --database-url URL --media-dir DIR

1. checks the archives against the manifest's sha256;
2. creates a FRESH database (``--name``, default ``jr_drill_<UTC time>``; refused if it exists) on the
   server of ``--server-url`` (default: $DATABASE_URL's server) and ``pg_restore``s the dump into it;
3. unpacks the media tarball into a fresh folder (``--media-dir``; refused unless new or empty);
4. with Django pointed at them (jointreview.settings.base, DATABASE_URL and MEDIA_ROOT set to the
   copy), checks every stored file that a row records (document versions, opinion attachments,
   issued PDFs: every model with a file field) is there and, where the row keeps a sha256, has it;
   and that every issued document's verification code resolves on the public /verify/ page;
5. prints a summary naming every problem; drops the database and the folder again unless ``--keep``.

``--check-only`` runs step 4 alone on a copy restored before (or any database and media folder).
Exit 0: the backup restores and every check passed; 1: a check or a step failed; 2: bad arguments.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # jointreview, for the checks (this folder is on the path as the script's own)

from backup import DB_ARCHIVE, MANIFEST, MEDIA_ARCHIVE, Refused, pg_tool, redacted, sha256_of  # noqa: E402

_DB_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class Failed(Exception):
    """A step failed: the drill fails (exit 1) with this message."""


def say(message: str) -> None:
    print(f"[restore-drill] {message}", flush=True)


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def read_manifest(backup: Path) -> dict:
    if not backup.is_dir():
        raise Refused(f"{backup}: no such backup folder")
    if not (backup / MANIFEST).is_file():
        raise Refused(f"{backup}: no {MANIFEST} (not a backup made by scripts/backup.py, or an unfinished one)")
    try:
        return json.loads((backup / MANIFEST).read_text(encoding="utf-8"))
    except ValueError as exc:
        raise Refused(f"{backup / MANIFEST}: not JSON ({exc})") from None


def check_archives(backup: Path, manifest: dict) -> None:
    for name in (DB_ARCHIVE, MEDIA_ARCHIVE):
        expected = manifest.get("archives", {}).get(name, {}).get("sha256")
        path = backup / name
        if not path.is_file():
            raise Failed(f"archive {name} is missing from {backup}")
        if sha256_of(path) != expected:
            raise Failed(f"archive {name}: sha256 differs from the manifest (damaged or changed)")
    say(f"archives match the manifest ({DB_ARCHIVE}, {MEDIA_ARCHIVE})")


def _admin(server_url: str):
    import psycopg

    return psycopg.connect(with_database(server_url, "postgres"), autocommit=True, connect_timeout=10)


def create_database(server_url: str, name: str) -> None:
    from psycopg import sql

    with _admin(server_url) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            raise Refused(f"--name {name}: that database already exists; the drill restores into a fresh one")
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(server_url: str, name: str) -> None:
    from psycopg import sql

    with _admin(server_url) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def restore_database(backup: Path, url: str) -> None:
    done = subprocess.run([pg_tool("pg_restore"), "--no-owner", "--no-acl", "--exit-on-error", "--no-password",
                           f"--dbname={url}", str(backup / DB_ARCHIVE)], capture_output=True, text=True)
    if done.returncode != 0:
        raise Failed(f"pg_restore failed: {done.stderr.strip() or done.returncode}")


def restore_media(backup: Path, media_dir: Path) -> int:
    with tarfile.open(backup / MEDIA_ARCHIVE, "r:gz") as tar:
        members = tar.getmembers()
        tar.extractall(media_dir, filter="data")  # no absolute paths, no '..', no links out
    return sum(1 for m in members if m.isfile())


# ---------------------------------------------------------------------------------------- the checks


def _setup_django(database_url: str, media_dir: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "jointreview.settings.base"
    os.environ["DATABASE_URL"] = database_url
    os.environ["MEDIA_ROOT"] = str(media_dir)
    import warnings

    import django
    from django.conf import settings

    warnings.filterwarnings("ignore", message="No directory at")  # WhiteNoise: no collectstatic here
    django.setup()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]


def _file_models():
    """(model, file fields, whether rows keep a sha256) of every model that stores files."""
    from django.apps import apps
    from django.db.models import FileField

    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, FileField)]
        if fields:
            names = {f.name for f in model._meta.concrete_fields}
            yield model, fields, "sha256" in names


def check_files(media_dir: Path) -> tuple[dict[str, int], list[str]]:
    """Every recorded file present and, where a sha256 is kept, matching. (checked per model, problems)."""
    root = media_dir.resolve()
    counts: dict[str, int] = {}
    problems: list[str] = []
    for model, fields, has_sha in _file_models():
        label = model._meta.label
        for field in fields:
            only = ["pk", field.name] + (["sha256"] if has_sha else [])
            for row in model._default_manager.exclude(**{field.name: ""}).only(*only).order_by("pk").iterator():
                name = getattr(row, field.name).name
                path = (root / name).resolve()
                counts[label] = counts.get(label, 0) + 1
                where = f"{label} #{row.pk} {name}"
                if root not in path.parents or not path.is_file():
                    problems.append(f"missing file: {where}")
                elif has_sha and row.sha256 and sha256_of(path) != row.sha256:
                    problems.append(f"sha256 mismatch: {where} (recorded {row.sha256[:12]}…, "
                                    f"file {sha256_of(path)[:12]}…)")
    return counts, problems


def check_verification_codes() -> tuple[int, list[str]]:
    """Every issued document's code resolves on the public verify page and names its number."""
    from django.test import Client
    from django.urls import reverse

    from jointreview.models import IssuedDocument

    client = Client()
    problems, checked = [], 0
    for doc in IssuedDocument.objects.filter(state=IssuedDocument.State.ISSUED).order_by("pk").iterator():
        checked += 1
        response = client.get(reverse("verify", args=[doc.verification_code]), secure=True)
        if response.status_code != 200 or doc.number not in response.content.decode("utf-8", "replace"):
            problems.append(f"verification code {doc.verification_code} of {doc.number}: the verify page "
                            f"answered {response.status_code} without the document")
    return checked, problems


def run_checks(database_url: str, media_dir: Path) -> list[str]:
    _setup_django(database_url, media_dir)
    from django.db import connections

    try:
        counts, problems = check_files(media_dir)
        codes, code_problems = check_verification_codes()
    finally:
        connections.close_all()
    listed = ", ".join(f"{n} {label}" for label, n in sorted(counts.items())) or "no stored files"
    say(f"checked the files of {listed}; {codes} verification codes")
    return problems + code_problems


# ---------------------------------------------------------------------------------------- the drill


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Restore a backup into a fresh database and check it.")
    p.add_argument("backup", nargs="?", type=Path, help="a backup folder made by scripts/backup.py")
    p.add_argument("--server-url", help="the PostgreSQL server to restore on (default: $DATABASE_URL's server)")
    p.add_argument("--name", help="the fresh database's name (default: jr_drill_<UTC time>)")
    p.add_argument("--media-dir", type=Path, help="a new or empty folder for the media (default: var/drill-<time>)")
    p.add_argument("--keep", action="store_true", help="keep the restored database and media folder")
    p.add_argument("--check-only", action="store_true",
                   help="only check an existing copy: --database-url and --media-dir")
    p.add_argument("--database-url", help="with --check-only: the database to check")
    args = p.parse_args(argv)
    if args.check_only:
        if args.backup or not args.database_url or not args.media_dir:
            p.error("--check-only takes --database-url and --media-dir, and no backup folder")
    elif not args.backup:
        p.error("name the backup folder to restore (or --check-only)")
    elif args.database_url:
        p.error("--database-url is for --check-only; the drill restores on --server-url")
    if args.name is not None and not _DB_NAME.fullmatch(args.name):
        p.error(f"--name {args.name!r}: lower-case letters, digits and _, at most 63 characters")
    return args


def _fresh_media_dir(given: Path | None, stamp: str) -> Path:
    media_dir = (given or ROOT / "var" / f"drill-{stamp}").resolve()
    if media_dir.exists() and (not media_dir.is_dir() or any(media_dir.iterdir())):
        raise Refused(f"--media-dir {media_dir}: not a new or empty folder")
    return media_dir


def drill(args: argparse.Namespace) -> list[str]:
    manifest = read_manifest(args.backup)
    server = args.server_url or os.environ.get("DATABASE_URL") or ""
    if urlsplit(server).scheme not in ("postgres", "postgresql"):
        raise Refused("no PostgreSQL server: pass --server-url postgres://user@host:port or set DATABASE_URL")
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d%H%M%S")
    name = args.name or f"jr_drill_{stamp}"
    say(f"backup {args.backup} of {manifest.get('created_at', '?')} "
        f"(database {manifest.get('database', {}).get('name', '?')}, {manifest.get('media', {}).get('files', '?')} files)")
    check_archives(args.backup, manifest)
    media_dir = _fresh_media_dir(args.media_dir, stamp)
    create_database(server, name)
    url = with_database(server, name)
    try:
        media_dir.mkdir(parents=True, exist_ok=True)
        restore_database(args.backup, url)
        say(f"database restored into {redacted(url)}")
        files = restore_media(args.backup, media_dir)
        say(f"media restored: {files} files into {media_dir}")
        return run_checks(url, media_dir)
    finally:
        if args.keep:
            say(f"kept: database {name}, media {media_dir}")
        else:
            drop_database(server, name)
            shutil.rmtree(media_dir, ignore_errors=True)
            say(f"dropped the restored database {name} and removed {media_dir}")


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    try:
        if args.check_only:
            if not args.media_dir.is_dir():
                raise Refused(f"--media-dir {args.media_dir}: no such folder")
            problems = run_checks(args.database_url, args.media_dir)
        else:
            problems = drill(args)
    except Refused as exc:
        print(f"restore_drill.py: {exc}", file=sys.stderr)
        return 2
    except Failed as exc:
        say(f"FAILED: {exc}")
        return 1
    except Exception as exc:  # noqa: BLE001 - the server unreachable, a damaged archive ...: one line, exit 1
        say(f"FAILED: {type(exc).__name__}: {str(exc).strip()}")
        return 1
    if problems:
        say(f"FAILED: {len(problems)} problem(s):")
        for line in problems:
            print(f"  {line}", flush=True)
        return 1
    say("PASSED: every stored file matches its sha256 and every verification code resolves")
    return 0


if __name__ == "__main__":
    sys.exit(main())
