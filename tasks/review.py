"""Celery tasks of the review: consolidation of a round (the PDFs: tasks/documents.py)."""
from __future__ import annotations

from .app import TRANSIENT_ERRORS, app


@app.task(
    name="jointreview.consolidate_round",
    acks_late=True,
    reject_on_worker_lost=True,  # idempotent: one joint notice per round (unique constraint, row lock)
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=2,
    retry_jitter=True,
    max_retries=5,
    time_limit=120,
    soft_time_limit=100,
)
def consolidate_round(round_id: int) -> int:
    """Build (or refresh while a draft) the joint notice of a completed round, then render its PDF."""
    from jointreview.documents.services import issued_document_render
    from jointreview.review.services import round_consolidate

    notice = round_consolidate(round_id=round_id)
    issued_document_render(document_id=notice.pk)
    return notice.pk


@app.task(name="jointreview.consolidation_sweep", acks_late=True, reject_on_worker_lost=True, time_limit=60)
def consolidation_sweep() -> int:
    """Beat: re-dispatch the consolidation of completed rounds without a joint notice (lost publish)."""
    from jointreview.review.services import consolidation_sweep as service

    return service()
