"""Celery tasks of the review: consolidation of a round (the PDFs: tasks/documents.py)."""
from __future__ import annotations

from .app import app
from .options import RENDER, SWEEP


# idempotent: one joint notice per round (unique constraint, row lock), then its PDF
@app.task(name="jointreview.consolidate_round", **RENDER)
def consolidate_round(round_id: int) -> int:
    """Build (or refresh while a draft) the joint notice of a completed round, then render its PDF."""
    from jointreview.documents.services import issued_document_render
    from jointreview.review.services import round_consolidate

    notice = round_consolidate(round_id=round_id)
    issued_document_render(document_id=notice.pk)
    return notice.pk


@app.task(name="jointreview.consolidation_sweep", **SWEEP)
def consolidation_sweep(older_than_s: int = 120) -> int:
    """Beat: re-dispatch the consolidation of completed rounds without a joint notice (lost publish)."""
    from jointreview.review.services import consolidation_sweep as service

    return service(older_than_s=older_than_s)
