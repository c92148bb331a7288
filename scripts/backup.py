"""Back up jointreview: the PostgreSQL database (``pg_dump -Fc``) and the media files (a tarball of
MEDIA_ROOT), with a manifest holding the sha256 of each archive. docs/backup.md says how often,
where, and how to restore (scripts/restore_drill.py proves a backup restores).

    python scripts/backup.py [--database-url URL] [--media-root DIR] [--out DIR] [--keep N]

A backup is a folder ``<out>/<UTC time>/`` with ``db.dump``, ``media.tar.gz`` and ``manifest.json``;
it is written as ``<name>.partial`` and renamed only once complete, so a folder without that suffix
is a whole backup. The database is dumped first, then the media: stored files are named by their
content and never changed once recorded, so the tarball holds every file the dump names (a file
recorded in the seconds between the two is in the next backup; the restore drill would name it).
Standard library only (plus the PostgreSQL 15 client's pg_dump); never imports
Django. Exit 0 on success, 1 if a step failed, 2 for bad arguments (one line saying why).
"""
from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MEDIA_ROOT = ROOT / "var" / "media"  # as jointreview/settings/base.py
DEFAULT_OUT = ROOT / "var" / "backups"
DB_ARCHIVE, MEDIA_ARCHIVE, MANIFEST = "db.dump", "media.tar.gz", "manifest.json"
FORMAT = 1


class Refused(Exception):
    """Bad arguments or environment: exit 2 with this one-line message."""


class Failed(Exception):
    """A step failed: exit 1 with this message."""


def say(message: str) -> None:
    print(f"[backup] {message}", flush=True)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def redacted(url: str) -> str:
    parts = urlsplit(url)
    return url.replace(f":{parts.password}@", ":***@") if parts.password else url


def database_url(given: str | None) -> str:
    url = given or os.environ.get("DATABASE_URL") or ""
    if not url:
        raise Refused("no database: pass --database-url or set DATABASE_URL (postgres://user@host:port/name)")
    if urlsplit(url).scheme not in ("postgres", "postgresql"):
        raise Refused(f"--database-url: pg_dump backs up PostgreSQL, not {urlsplit(url).scheme or url!r} "
                      "(the SQLite demo is not backed up)")
    if not urlsplit(url).path.strip("/"):
        raise Refused("--database-url: the URL names no database (postgres://user@host:port/NAME)")
    return url


def pg_tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise Refused(f"{name} not found: install the PostgreSQL 15 client (apt-get install postgresql-client-15)")
    return path


def dump_database(url: str, target: Path) -> str:
    """``pg_dump -Fc`` into ``target``; returns pg_dump's version line."""
    pg_dump = pg_tool("pg_dump")
    version = subprocess.run([pg_dump, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    done = subprocess.run([pg_dump, "--format=custom", "--no-password", f"--file={target}", f"--dbname={url}"],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise Failed(f"pg_dump failed: {done.stderr.strip() or done.returncode}")
    return version


def archive_media(media_root: Path, target: Path) -> tuple[int, int]:
    """A gzip tarball of every regular file under ``media_root``, paths relative to it; (files, bytes)."""
    files = sorted(p for p in media_root.rglob("*") if p.is_file() and not p.is_symlink()) if media_root.is_dir() else []
    total = 0
    with tarfile.open(target, "w:gz") as tar:
        for path in files:
            tar.add(path, arcname=path.relative_to(media_root).as_posix(), recursive=False)
            total += path.stat().st_size
    return len(files), total


def prune(out: Path, keep: int) -> list[str]:
    """Remove the oldest complete backups beyond the newest ``keep``; returns their names."""
    whole = sorted(p for p in out.iterdir() if p.is_dir() and (p / MANIFEST).is_file()
                   and not p.name.endswith(".partial"))
    gone = whole[:-keep] if keep > 0 else []
    for p in gone:
        shutil.rmtree(p)
    return [p.name for p in gone]


def backup(url: str, media_root: Path, out: Path) -> Path:
    now = datetime.datetime.now(datetime.UTC)
    name = now.strftime("%Y%m%dT%H%M%SZ")
    final = out / name
    if final.exists():
        raise Refused(f"{final} already exists (one backup a second at most)")
    partial = out / f"{name}.partial"
    partial.mkdir(parents=True)
    try:
        version = dump_database(url, partial / DB_ARCHIVE)
        say(f"database {urlsplit(url).path.strip('/')} dumped ({(partial / DB_ARCHIVE).stat().st_size} bytes)")
        if not media_root.is_dir():
            say(f"no media folder at {media_root}: the media archive is empty")
        files, size = archive_media(media_root, partial / MEDIA_ARCHIVE)
        say(f"media: {files} files, {size} bytes from {media_root}")
        manifest = {
            "format": FORMAT,
            "created_at": now.isoformat(),
            "database": {"name": urlsplit(url).path.strip("/"), "url": redacted(url), "pg_dump": version},
            "media": {"root": str(media_root), "files": files, "bytes": size},
            "archives": {a: {"sha256": sha256_of(partial / a), "bytes": (partial / a).stat().st_size}
                         for a in (DB_ARCHIVE, MEDIA_ARCHIVE)},
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return final


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Back up the jointreview database and media files.")
    p.add_argument("--database-url", help="postgres://user[:password]@host:port/name (default: $DATABASE_URL)")
    p.add_argument("--media-root", type=Path,
                   help=f"the MEDIA_ROOT to archive (default: $MEDIA_ROOT, else {DEFAULT_MEDIA_ROOT})")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"where backups go (default: {DEFAULT_OUT})")
    p.add_argument("--keep", type=int, default=0,
                   help="after a successful backup, keep only the newest N backups in --out (0: keep all)")
    args = p.parse_args(argv)
    if args.keep < 0:
        p.error("--keep: a number of backups, 0 or more")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    try:
        url = database_url(args.database_url)
        media_root = (args.media_root or Path(os.environ.get("MEDIA_ROOT") or DEFAULT_MEDIA_ROOT)).resolve()
        if args.out.exists() and not args.out.is_dir():
            raise Refused(f"--out {args.out}: not a folder")
        final = backup(url, media_root, args.out.resolve())
        for name in prune(args.out.resolve(), args.keep):
            say(f"pruned the older backup {name}")
    except Refused as exc:
        print(f"backup.py: {exc}", file=sys.stderr)
        return 2
    except (Failed, OSError, subprocess.SubprocessError, tarfile.TarError) as exc:
        print(f"backup.py: backup FAILED: {exc}", file=sys.stderr)
        return 1
    say(f"backup complete: {final}")
    print(final)
    return 0


if __name__ == "__main__":
    sys.exit(main())
