"""Stored files no row refers to (docs/architecture.md §4): the orphan file sweep.

Files are written before their row commits (an owner's material, an opinion attachment, a PDF): when
that transaction rolls back (a refused upload, a conflict, the database gone, a worker killed) the
file is nobody's. ``orphan_file_sweep`` (beat, hourly) deletes the files under the storage's
``SWEPT_DIRS`` that no ``FileField`` of any model refers to and that are older than
``settings.JR_ORPHAN_FILE_MINUTES`` (default 60): a file whose transaction is still open is never that
old. Anything else under MEDIA_ROOT is never looked at, and a file any row refers to is never deleted
(several rows may share one content-addressed file: a correction copies attachment rows).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import models
from django.utils import timezone

log = logging.getLogger(__name__)

# where FileFields store (issued PDFs, opinion attachments, project documents); a test checks every
# FileField of the project stores below one of them
SWEPT_DIRS = ("issued", "opinions", "documents")
_CHUNK = 500


def file_fields() -> list[tuple[type[models.Model], str]]:
    """Every (model, field name) that stores a file in the default storage."""
    return [(model, f.name) for model in apps.get_models() for f in model._meta.concrete_fields
            if isinstance(f, models.FileField)]


def _walk(storage, top: str) -> Iterator[str]:
    try:
        dirs, files = storage.listdir(top)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{top}/{name}"
    for d in dirs:
        yield from _walk(storage, f"{top}/{d}")


def _referenced(names: list[str]) -> set[str]:
    found: set[str] = set()
    for model, field in file_fields():
        found.update(model._default_manager.filter(**{f"{field}__in": names}).values_list(field, flat=True))
    return found


def orphan_file_sweep(*, older_than_s: int | None = None, budget_s: float = 60.0, storage=None) -> dict[str, int]:
    """Delete the old files no row refers to (see the module doc). Returns counts (examined, deleted)."""
    storage = storage or default_storage
    if older_than_s is None:
        older_than_s = 60 * settings.JR_ORPHAN_FILE_MINUTES
    cutoff = timezone.now() - timedelta(seconds=older_than_s)
    deadline = time.monotonic() + budget_s
    stats = {"examined": 0, "deleted": 0}
    old: list[str] = []
    for name in (n for top in SWEPT_DIRS for n in _walk(storage, top)):
        stats["examined"] += 1
        if storage.get_modified_time(name) < cutoff:
            old.append(name)
        if len(old) >= _CHUNK:
            stats["deleted"] += _delete_unreferenced(storage, old)
            old = []
        if time.monotonic() > deadline:  # the next run starts over
            break
    stats["deleted"] += _delete_unreferenced(storage, old)
    return stats


def _delete_unreferenced(storage, names: list[str]) -> int:
    if not names:
        return 0
    keep = _referenced(names)
    gone = [n for n in names if n not in keep]
    for name in gone:
        storage.delete(name)
        log.info("orphan file deleted: %s", name)
    return len(gone)
