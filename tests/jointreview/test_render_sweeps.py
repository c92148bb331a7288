"""Lost renders and orphan files (issue 11): one stored file per document whatever fails between the
save and the record, the render sweep, the consolidation sweep's threshold, the orphan file sweep."""
from __future__ import annotations

import hashlib
import os
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.db import OperationalError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from jointreview.documents import services as documents
from jointreview.documents.sweeps import render_sweep
from jointreview.models import IssuedDocument, IssuedKind, Opinion, OpinionAttachment, ReviewRound
from jointreview.review import services as review
from jointreview.services import media
from tests.jointreview.review.conftest import make_round
from tests.jointreview.test_documents import notice

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00" + b"\x00" * 64


def pdfs(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "issued"
    return sorted(p for p in root.rglob("*.pdf")) if root.exists() else []


def fail_the_record_once(monkeypatch, *, and_leave_the_file=False):
    """The database refuses the UPDATE that records the stored file (once); with ``and_leave_the_file``
    the render's own clean-up does not happen either, as when the worker is killed at that point."""
    real_update = QuerySet.update
    storage = IssuedDocument._meta.get_field("file").storage
    calls = {"n": 0}

    def update(self, **kwargs):
        if self.model is IssuedDocument and "sha256" in kwargs and not calls["n"]:
            calls["n"] += 1
            if and_leave_the_file:
                monkeypatch.setattr(storage, "delete", lambda name: None)
            raise OperationalError("server closed the connection unexpectedly")
        return real_update(self, **kwargs)

    monkeypatch.setattr(QuerySet, "update", update)
    return storage


@pytest.mark.parametrize("killed", [False, True], ids=["record-refused", "killed-between-save-and-record"])
def test_a_render_whose_record_failed_leaves_exactly_one_file_after_the_retry(settings, monkeypatch, killed):
    doc = notice()
    fail_the_record_once(monkeypatch, and_leave_the_file=killed)
    with pytest.raises(OperationalError):
        documents.issued_document_render(document_id=doc.pk)
    assert IssuedDocument.objects.get(pk=doc.pk).file == ""
    assert len(pdfs(settings)) == (1 if killed else 0)  # killed: the file stays where the retry will write
    monkeypatch.undo()  # the database answers again; the render's clean-up works again
    again = documents.issued_document_render(document_id=doc.pk)  # the retry (task redelivered, sweep)
    files = pdfs(settings)
    assert [str(p.relative_to(settings.MEDIA_ROOT)) for p in files] == [again.file.name]
    assert again.file.name == documents.stored_name(doc, draft=False)
    assert hashlib.sha256(files[0].read_bytes()).hexdigest() == IssuedDocument.objects.get(pk=doc.pk).sha256


def test_issuing_a_rendered_draft_leaves_only_the_issued_file(settings):
    doc = notice(kind=IssuedKind.COMPLETENESS_NOTICE, state=IssuedDocument.State.DRAFT, number="GZ-T-9")
    draft = documents.issued_document_render(document_id=doc.pk)
    assert draft.file.name.endswith("GZ-T-9-draft.pdf")
    IssuedDocument.objects.filter(pk=doc.pk).update(state=IssuedDocument.State.ISSUED, file="", sha256="")
    issued = documents.issued_document_render(document_id=doc.pk)
    assert [p.name for p in pdfs(settings)] == ["GZ-T-9.pdf"] and issued.file.name.endswith("GZ-T-9.pdf")


def test_render_sweep_redispatches_only_documents_without_their_file_past_the_threshold(
        queued, django_capture_on_commit_callbacks):
    old = timezone.now() - timedelta(minutes=5)
    lost = notice(number="GZ-T-2")
    rendered = notice(number="GZ-T-3")
    documents.issued_document_render(document_id=rendered.pk)
    fresh = notice(number="GZ-T-4")  # a render may be in flight: not doubled
    issued_just_now = notice(number="GZ-T-5")
    IssuedDocument.objects.filter(pk__in=[lost.pk, rendered.pk, fresh.pk, issued_just_now.pk]).update(created_at=old)
    IssuedDocument.objects.filter(pk=fresh.pk).update(created_at=timezone.now())
    IssuedDocument.objects.filter(pk=issued_just_now.pk).update(issued_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert render_sweep() == 1
    assert queued == [(documents.RENDER_TASK, {"document_id": lost.pk})]
    assert render_sweep(older_than_s=0) == 3  # the fresh ones too, once they are old enough


def test_consolidation_sweep_waits_out_a_consolidation_in_flight(queued, django_capture_on_commit_callbacks):
    s = make_round(1)
    side = s.agencies[0]
    review.opinion_save_draft(actor=side.reviewer, assignment_id=side.assignment.pk, outcome="pass", summary="同意")
    review.opinion_sign(actor=side.reviewer, opinion_id=Opinion.objects.get().pk)
    queued.clear()
    assert review.consolidation_sweep() == 0  # completed a moment ago: its consolidation is on its way
    ReviewRound.objects.filter(pk=s.round.pk).update(completed_at=timezone.now() - timedelta(minutes=3))
    with django_capture_on_commit_callbacks(execute=True):
        assert review.consolidation_sweep() == 1
    assert queued == [("jointreview.consolidate_round", {"round_id": s.round.pk})]


def age(path: Path, minutes: int) -> None:
    t = time.time() - minutes * 60
    os.utime(path, (t, t))


def test_an_upload_whose_transaction_rolled_back_is_swept_and_referenced_files_never(settings):
    s = make_round(1)
    side = s.agencies[0]
    review.opinion_save_draft(actor=side.reviewer, assignment_id=side.assignment.pk, outcome="revise")
    op = Opinion.objects.get(state=Opinion.State.DRAFT)
    kept = review.opinion_attach(actor=side.reviewer, opinion_id=op.pk, upload=("a.png", PNG))
    with pytest.raises(RuntimeError), transaction.atomic():  # the caller's transaction rolls back
        review.opinion_attach(actor=side.reviewer, opinion_id=op.pk, upload=("b.png", PNG + b"b"))
        raise RuntimeError("the request failed after the upload")
    root = Path(settings.MEDIA_ROOT)
    files = sorted(p for p in (root / "opinions").rglob("*") if p.is_file())
    assert len(files) == 2 and OpinionAttachment.objects.count() == 1  # the rolled-back one is an orphan
    doc = notice(number="GZ-T-6")
    documents.issued_document_render(document_id=doc.pk)
    version_file = Path(s.version.file.path) if s.version.file else None
    for p in root.rglob("*"):
        if p.is_file():
            age(p, 30)
    assert media.orphan_file_sweep()["deleted"] == 0  # younger than JR_ORPHAN_FILE_MINUTES (60)
    for p in root.rglob("*"):
        if p.is_file():
            age(p, 61)
    assert media.orphan_file_sweep()["deleted"] == 1
    left = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    expected = sorted([kept.file.name, IssuedDocument.objects.get(pk=doc.pk).file.name]
                      + ([str(version_file.relative_to(root))] if version_file and version_file.exists() else []))
    assert left == expected
    assert media.orphan_file_sweep()["deleted"] == 0  # nothing else, the next run


def test_every_file_field_stores_under_a_swept_directory():
    stub = SimpleNamespace(sha256="ab" * 32, document=SimpleNamespace(project_id=7), number="X-1",
                           created_at=timezone.now())
    fields = media.file_fields()
    assert {m.__name__ for m, _f in fields} >= {"IssuedDocument", "OpinionAttachment", "DocumentVersion"}
    for model, name in fields:
        path = model._meta.get_field(name).generate_filename(stub, "x.pdf")
        assert path.split("/")[0] in media.SWEPT_DIRS, (model, path)
    assert documents.stored_name(stub, draft=True).split("/")[0] in media.SWEPT_DIRS
