"""Celery task that renders the PDF of an issued document (every kind): ids in, one service call."""
from __future__ import annotations

from .app import app
from .options import RENDER


# idempotent: a document with its file is skipped; the file is recorded by a conditional update
@app.task(name="jointreview.render_issued_document", **RENDER)
def render_issued_document(document_id: int, force: bool = False) -> None:
    """Render and store the PDF of an issued document (notice, joint notice, certificate, pause notice)."""
    from jointreview.documents.services import issued_document_render

    issued_document_render(document_id=document_id, force=force)
