"""Issued documents (docs/architecture.md §6): verification codes, the public verification URL, and the PDF of
every kind (一次性告知书, 综合审查意见书, 审查合格书 / 联合验收意见书, 特别程序告知书), rendered from the
document's content snapshot by one service and one task (``jointreview.render_issued_document``).

Rendering is idempotent and race-safe without holding a row lock while the PDF is built:

- renders of one document take turns (``render_lock``, an advisory lock, not a row lock); a document
  that already has its file is left alone unless ``force``;
- the file is stored at ONE path per document and state (``stored_name``), then recorded with a
  conditional update on what was rendered (state, content) and on the file it replaces: a document
  issued or redrafted meanwhile (that change clears the file and enqueues its own render) never gets a
  stale file; the loser deletes the file it stored. A render whose record fails deletes its file; one
  killed between the save and the record leaves its file at that path, and the retry (the task
  redelivered, ``documents.sweeps.render_sweep``) replaces it: one file per document, never an orphan.
"""
from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import DatabaseError, connection
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from jointreview.models import IssuedDocument, IssuedKind
from jointreview.services.errors import ServiceError
from jointreview.services.queue import enqueue_after_commit

log = logging.getLogger(__name__)

RENDER_TASK = "jointreview.render_issued_document"
_RENDER_LOCK_SPACE = 0x4A52  # advisory lock namespace of renders ("JR"); the key is the document id
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read over the phone
# what /verify/<code> looks up at all (codes are 12 characters of the alphabet; some slack for
# codes typed with 0/O or 1/I, which simply match nothing); anything else is "no such document"
_PLAUSIBLE_CODE = re.compile(r"[A-Z0-9]{8,32}")
# a download of a document without its file queues the render at most once in this window
RENDER_REQUEST_WINDOW_SECONDS = 30


# Issued documents are official Chinese documents whatever the language of the page that issued them
# (docs/domain.md §8): every label copied into a document's content is taken in this language.
OFFICIAL_LANGUAGE = "zh-hans"


@contextmanager
def official_language() -> Iterator[None]:
    """Build a document's content in the official language (choice labels, dates)."""
    with translation.override(OFFICIAL_LANGUAGE):
        yield


def document_header(app, *, title: str, number: str, code: str, on: date) -> dict[str, Any]:
    """The part of every issued document's content that names the centre, the document and the case:
    printed at the top and in the footer of each page (jointreview/documents/base.py)."""
    project = app.project
    return {
        "centre": settings.JR_CENTRE_NAME,
        "title": title,
        "number": number,
        "date": on.isoformat(),
        "verification_code": code,
        "verify_url": verify_url(code),
        "application": {"number": app.number, "workflow": app.workflow.name},
        "project": {"name": project.name, "code": project.code, "owner": str(project.owner),
                    "location": project.location},
    }


def new_verification_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))


def plausible_verification_code(code: str) -> bool:
    """Whether ``code`` (already stripped and upper-cased) can be a verification code at all."""
    return bool(_PLAUSIBLE_CODE.fullmatch(code or ""))


def verify_url(code: str) -> str:
    """The public page that checks a document's verification code (printed on every page)."""
    try:
        path = reverse("verify", args=[code])
    except NoReverseMatch:  # pragma: no cover - the url is defined in jointreview/urls.py
        path = f"/verify/{code}"
    return settings.JR_PUBLIC_BASE_URL.rstrip("/") + path


def render_after_commit(document_id: int) -> None:
    """Enqueue the rendering of a document's PDF when the transaction commits (a broker failure is
    logged: ``render_sweep`` re-dispatches it, and a download of the missing file queues it too)."""
    enqueue_after_commit(RENDER_TASK, document_id=document_id)


def issued_document_request_render(*, document_id: int) -> bool:
    """Someone asked for a document whose PDF is not stored yet: queue its rendering (never render in
    the request). The task is idempotent (a document with its file is skipped, the file is recorded by
    a conditional update), so a duplicate is harmless; still, one request per document per
    ``RENDER_REQUEST_WINDOW_SECONDS`` (per cache) is enough while the page reloads itself. Returns
    whether a render was queued."""
    if not cache.add(f"jointreview:render-requested:{document_id}", 1, RENDER_REQUEST_WINDOW_SECONDS):
        return False
    enqueue_after_commit(RENDER_TASK, document_id=document_id)
    return True


def _builders() -> dict[str, Callable[[dict], bytes]]:
    from jointreview.documents import certificate, joint_notice, pause_notice
    from jointreview.documents.completeness_notice import build_completeness_notice

    return {
        IssuedKind.COMPLETENESS_NOTICE: build_completeness_notice,
        IssuedKind.JOINT_NOTICE: joint_notice.build,
        IssuedKind.CERTIFICATE: certificate.build,
        IssuedKind.ACCEPTANCE_OPINION: certificate.build,
        IssuedKind.PAUSE_NOTICE: pause_notice.build,
    }


def issued_document_render(*, document_id: int, force: bool = False) -> IssuedDocument:
    """Render a document's PDF from its content snapshot and store it (see the module doc)."""
    with render_lock(document_id):  # a second render of the same document waits, then finds the file
        try:
            doc = IssuedDocument.objects.get(pk=document_id)
        except IssuedDocument.DoesNotExist:
            raise ServiceError("no such issued document", code="not_found") from None
        if doc.file and not force:
            return doc
        return _render_and_record(doc)


def _render_and_record(doc: IssuedDocument) -> IssuedDocument:
    builder = _builders().get(doc.kind)
    if builder is None:
        raise ServiceError(f"no PDF builder for {doc.get_kind_display()}")
    data = dict(doc.content)
    # completeness notices keep number and code outside their content; older ones lack the URL
    data.setdefault("number", doc.number)
    data.setdefault("verification_code", doc.verification_code)
    data.setdefault("verify_url", verify_url(doc.verification_code))
    data["draft"] = doc.state == IssuedDocument.State.DRAFT
    pdf = builder(data)
    sha = hashlib.sha256(pdf).hexdigest()
    storage = IssuedDocument._meta.get_field("file").storage
    previous = doc.file.name or ""
    path = _store(storage, stored_name(doc, draft=data["draft"]), pdf, recorded=previous)
    try:
        updated = IssuedDocument.objects.filter(pk=doc.pk, state=doc.state, content=doc.content,
                                                file=previous).update(file=path, sha256=sha)
    except BaseException:  # the database refused the record: the file is nobody's, the retry renders again
        storage.delete(path)
        raise
    if not updated:  # issued or redrafted meanwhile: keep what is recorded
        storage.delete(path)
        return IssuedDocument.objects.get(pk=doc.pk)
    if previous and previous != path:
        storage.delete(previous)
    if not data["draft"]:  # the draft's file, if the draft was ever rendered, is nobody's now
        storage.delete(stored_name(doc, draft=True))
    doc.file.name, doc.sha256 = path, sha
    return doc


def stored_name(doc: IssuedDocument, *, draft: bool) -> str:
    """The one storage path of a document's PDF (per state): ``issued/<year created>/<number>[-draft].pdf``.
    A render that stored its file but could not record it leaves it at this very path, so the retry
    replaces it instead of adding a second file."""
    return f"issued/{doc.created_at:%Y}/{doc.number}{'-draft' if draft else ''}.pdf"


def _store(storage, path: str, pdf: bytes, *, recorded: str) -> str:
    """Store ``pdf`` at ``path``, replacing a file left there by a render that was not recorded (a
    worker killed, the database down between the save and the record). The file the row records is
    never replaced in place (a forced re-render): it gets a new name, and the old one goes once the
    new one is recorded."""
    if path != recorded and storage.exists(path):
        storage.delete(path)
    return storage.save(path, ContentFile(pdf))


@contextmanager
def render_lock(document_id: int) -> Iterator[None]:
    """Hold the render of one document: a PostgreSQL session advisory lock, waited for, released on
    exit or by the server when the holder's connection dies (a killed worker). Renders run outside a
    transaction (the task, ``consolidate_round``); inside one that fails, the lock goes with the
    connection. Elsewhere (SQLite, the demo: one worker) nothing is locked."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [_RENDER_LOCK_SPACE, document_id])
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_RENDER_LOCK_SPACE, document_id])
        except DatabaseError:  # an aborted transaction or a lost connection: the original error matters
            log.warning("could not release the render lock of issued document %s", document_id, exc_info=True)
