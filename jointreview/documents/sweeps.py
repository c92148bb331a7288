"""The safety net of the PDF renders (docs/architecture.md §4): issued documents without their file.

A render is lost when its publish failed (the broker down when the document was drafted or issued) or
when the whole worker died while rendering (its message waits in the broker's unacknowledged set for
the visibility timeout, an hour). ``render_sweep`` (beat, every 2 minutes) re-dispatches the render of
every document still without its file ``older_than_s`` seconds after it was drafted or issued, so a
render in flight is not doubled; the render itself is idempotent (``documents.services``: one render
of a document at a time, a document with its file is skipped), so a second message changes nothing.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from jointreview.documents.services import RENDER_TASK
from jointreview.models import IssuedDocument
from jointreview.services.queue import enqueue_after_commit

log = logging.getLogger(__name__)


def render_sweep(*, older_than_s: int = 120, batch: int = 200) -> int:
    """Re-dispatch the render of documents without their file (see the module doc); returns how many."""
    cutoff = timezone.now() - timedelta(seconds=older_than_s)
    missing = list(
        IssuedDocument.objects.filter(file="", created_at__lt=cutoff)
        .filter(Q(issued_at__isnull=True) | Q(issued_at__lt=cutoff))
        .order_by("pk").values_list("pk", flat=True)[:batch]
    )
    for document_id in missing:
        enqueue_after_commit(RENDER_TASK, document_id=document_id)  # outside a transaction: sent at once
    if missing:
        log.info("render_sweep re-dispatched %d renders", len(missing))
    return len(missing)
