"""services/documents.py: one render service for every issued document, its task and the verify URL."""
from __future__ import annotations

import pytest
from django.test import override_settings

from jointreview.models import IssuedDocument, IssuedKind
from jointreview.services import documents
from tests.factories import ApplicationFactory

pytestmark = pytest.mark.django_db

CONTENT = {
    "centre": "示范中心", "title": "一次性告知书", "application": "JR-1", "workflow": "方案联审", "date": "2026-03-02",
    "project": {"name": "示范项目", "code": "2026-000001", "owner": "建设单位"}, "officer": "窗口",
    "defects": [{"item": "消防", "material": "总平面图", "problem": "missing", "problem_label": "缺少", "note": ""}],
}


def notice(**kwargs) -> IssuedDocument:
    fields = {"kind": IssuedKind.COMPLETENESS_NOTICE, "application": ApplicationFactory(), "number": "GZ-T-1",
              "verification_code": documents.new_verification_code(), "state": IssuedDocument.State.ISSUED,
              "title": "一次性告知书", "content": CONTENT}
    fields.update(kwargs)
    return IssuedDocument.objects.create(**fields)


def test_render_stores_the_pdf_once_unless_forced():
    doc = notice()
    first = documents.issued_document_render(document_id=doc.pk)
    assert first.file and len(first.sha256) == 64
    assert documents.issued_document_render(document_id=doc.pk).file.name == first.file.name  # skipped
    forced = documents.issued_document_render(document_id=doc.pk, force=True)
    assert forced.file.name != first.file.name
    storage = IssuedDocument._meta.get_field("file").storage
    assert storage.exists(forced.file.name) and not storage.exists(first.file.name)  # the old file went
    assert IssuedDocument.objects.get(pk=doc.pk).file.name == forced.file.name


def test_a_document_changed_while_rendering_gets_no_stale_file(monkeypatch):
    doc = notice(kind=IssuedKind.JOINT_NOTICE, state=IssuedDocument.State.DRAFT)
    stored: list[str] = []
    storage = IssuedDocument._meta.get_field("file").storage
    real_save = storage.save

    def save(name, content, **kwargs):
        path = real_save(name, content, **kwargs)
        stored.append(path)
        # meanwhile the notice is redrafted (as round_consolidate does: new content, file cleared)
        IssuedDocument.objects.filter(pk=doc.pk).update(content={**CONTENT, "round": 2}, file="", sha256="")
        return path

    monkeypatch.setattr(storage, "save", save)
    monkeypatch.setattr(documents, "_builders", lambda: {IssuedKind.JOINT_NOTICE: lambda data: b"%PDF-1.4 stale"})
    result = documents.issued_document_render(document_id=doc.pk)
    assert not result.file and result.content["round"] == 2
    assert len(stored) == 1 and not storage.exists(stored[0])  # the stale file was deleted


def test_verify_url_uses_the_public_base_url():
    with override_settings(JR_PUBLIC_BASE_URL="https://review.example.gov.cn/"):
        assert documents.verify_url("ABCD2345EFGH") == "https://review.example.gov.cn/verify/ABCD2345EFGH"


def test_render_task_and_its_deprecated_alias_render_the_same_way():
    import tasks.jobs  # noqa: F401 - registers every task
    from tasks.app import app as celery_app

    new, old, older = notice(number="GZ-T-1"), notice(number="GZ-T-2"), notice(number="GZ-T-3")
    celery_app.tasks["jointreview.render_issued_document"].apply(kwargs={"document_id": new.pk}, throw=True)
    # a message queued before the rename (review's task name; intake's old kwarg name)
    celery_app.tasks["jointreview.render_review_document"].apply(kwargs={"document_id": old.pk}, throw=True)
    celery_app.tasks["jointreview.render_issued_document"].apply(kwargs={"issued_id": older.pk}, throw=True)
    assert all(IssuedDocument.objects.get(pk=d.pk).file for d in (new, old, older))
