"""Celery task that renders the PDF of an issued document (every kind): ids in, one service call."""
from __future__ import annotations

from .app import TRANSIENT_ERRORS, app

RENDER_OPTIONS = {
    "acks_late": True,
    # idempotent: a document with its file is skipped; the file is recorded by a conditional update
    "reject_on_worker_lost": True,
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 2,
    "retry_jitter": True,
    "max_retries": 5,
    "time_limit": 120,
    "soft_time_limit": 100,
}


@app.task(name="jointreview.render_issued_document", **RENDER_OPTIONS)
def render_issued_document(document_id: int | None = None, force: bool = False, issued_id: int | None = None) -> None:
    """Render and store the PDF of an issued document (notice, joint notice, certificate, pause notice).

    ``issued_id`` is the name the first version of this task used: a message queued before the
    rename still renders its document.
    """
    from jointreview.documents.services import issued_document_render

    issued_document_render(document_id=document_id if document_id is not None else issued_id, force=force)


@app.task(name="jointreview.render_review_document", **RENDER_OPTIONS)
def render_review_document(document_id: int) -> None:
    """Deprecated: the old name of ``jointreview.render_issued_document``, kept registered so that a
    message queued under it is still consumed. Nothing sends it any more."""
    from jointreview.documents.services import issued_document_render

    issued_document_render(document_id=document_id)
