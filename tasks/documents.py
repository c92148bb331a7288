"""Celery tasks of the issued documents: the PDF render (every kind), its sweep, the orphan file sweep."""
from __future__ import annotations

from .app import app
from .options import RENDER, SWEEP


# idempotent: a document with its file is skipped; the file is recorded by a conditional update
@app.task(name="jointreview.render_issued_document", **RENDER)
def render_issued_document(document_id: int, force: bool = False) -> None:
    """Render and store the PDF of an issued document (notice, joint notice, certificate, pause notice)."""
    from jointreview.documents.services import issued_document_render

    issued_document_render(document_id=document_id, force=force)


@app.task(name="jointreview.render_sweep", **SWEEP)
def render_sweep(older_than_s: int = 120, batch: int = 200) -> int:
    """Beat: re-dispatch the render of issued documents still without their PDF (a lost render)."""
    from jointreview.documents.sweeps import render_sweep as service

    return service(older_than_s=older_than_s, batch=batch)


@app.task(name="jointreview.orphan_file_sweep", **SWEEP)
def orphan_file_sweep(older_than_s: int | None = None) -> dict:
    """Beat: delete stored files no row refers to (uploads and renders whose transaction rolled back)."""
    from jointreview.services.media import orphan_file_sweep as service

    return service(older_than_s=older_than_s)
