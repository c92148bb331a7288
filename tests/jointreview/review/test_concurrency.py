"""The last two signatures of a round at the same time: the round completes exactly once."""
from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection

from jointreview.models import Opinion, ReviewRound
from jointreview.review import services as review

from .conftest import make_round


@pytest.mark.django_db(transaction=True)
def test_concurrent_last_signatures_complete_the_round_once(monkeypatch):
    sent = []
    monkeypatch.setattr("jointreview.services.queue.enqueue", lambda name, **kw: sent.append((name, kw)))
    s = make_round(2)
    drafts = []
    for side in s.agencies:
        review.opinion_save_draft(actor=side.reviewer, assignment_id=side.assignment.pk, outcome="pass")
        drafts.append((side.reviewer, Opinion.objects.get(assignment=side.assignment).pk))
    barrier = threading.Barrier(2)
    errors = []

    def sign(actor, opinion_id):
        try:
            barrier.wait(timeout=10)
            review.opinion_sign(actor=actor, opinion_id=opinion_id, on=datetime.date(2026, 3, 9))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sign, args=d) for d in drafts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert ReviewRound.objects.get(pk=s.round.pk).completed_at is not None
    assert sent == [("jointreview.consolidate_round", {"round_id": s.round.pk})]
