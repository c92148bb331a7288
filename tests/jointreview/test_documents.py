"""documents/services.py: one render service for every issued document, its task and the verify URL."""
from __future__ import annotations

import re

import pytest
from django.test import override_settings

from jointreview.documents import services as documents
from jointreview.models import IssuedDocument, IssuedKind
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


def test_render_task_renders_and_is_the_only_render_task():
    import tasks.jobs  # noqa: F401 - registers every task
    from tasks.app import app as celery_app

    doc = notice(number="GZ-T-1")
    celery_app.tasks["jointreview.render_issued_document"].apply(kwargs={"document_id": doc.pk}, throw=True)
    assert IssuedDocument.objects.get(pk=doc.pk).file
    # the old second name of this task is gone (issue 9): nothing sent it; a message still queued under
    # it is discarded as unregistered and the download views queue the render again
    assert "jointreview.render_review_document" not in celery_app.tasks


# ---------------------------------------------------------------------------------------------
# issue 8: a download never builds a PDF in the request; no text can make a document unrenderable
# ---------------------------------------------------------------------------------------------

RENDER = "jointreview.render_issued_document"


@pytest.fixture
def fresh_cache():
    from django.core.cache import cache

    cache.clear()  # the "render requested" marks of other tests
    yield
    cache.clear()


@pytest.fixture
def no_builder(monkeypatch):
    """Building a PDF fails the test: the request must not do it."""
    def refuse(data):
        raise AssertionError("a PDF was built in the request")

    monkeypatch.setattr(documents, "_builders", lambda: dict.fromkeys(IssuedKind.values, refuse))


@pytest.mark.parametrize("route", ["review:issued_file", "intake:notice_pdf"])
def test_a_missing_file_is_queued_and_the_page_says_it_is_being_prepared(
    route, en_client, queued, fresh_cache, no_builder, monkeypatch, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    from tests.factories import CoordinatorFactory

    doc = notice()
    en_client.force_login(CoordinatorFactory())
    with django_capture_on_commit_callbacks(execute=True):
        response = en_client.get(reverse(route, args=[doc.pk]))
    page = response.content.decode()
    assert response.status_code == 202 and response["Content-Type"].startswith("text/html")
    assert "is being prepared; reload in a moment" in page and doc.number in page
    assert '<meta http-equiv="refresh" content="5">' in page
    assert not re.findall(r"<script(?![^>]*\bsrc=)", page)  # no inline script (CSP)
    assert 'class="topbar"' in page  # the site layout
    assert queued == [(RENDER, {"document_id": doc.pk})]
    doc.refresh_from_db()
    assert not doc.file
    with django_capture_on_commit_callbacks(execute=True):  # the page reloads: no second task meanwhile
        assert en_client.get(reverse(route, args=[doc.pk])).status_code == 202
    assert len(queued) == 1
    monkeypatch.undo()  # the real builders: the worker renders it
    import tasks.jobs  # noqa: F401 - registers every task
    from tasks.app import app as celery_app

    celery_app.tasks[RENDER].apply(kwargs=queued[0][1], throw=True)
    pdf = en_client.get(reverse(route, args=[doc.pk]))
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")


def test_a_broker_down_still_answers_the_waiting_page(en_client, fresh_cache, no_builder, monkeypatch, caplog,
                                                     django_capture_on_commit_callbacks):
    from django.urls import reverse

    from tests.factories import CoordinatorFactory

    def down(name, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr("jointreview.services.queue.enqueue", down)
    doc = notice()
    en_client.force_login(CoordinatorFactory())
    with django_capture_on_commit_callbacks(execute=True):
        response = en_client.get(reverse("review:issued_file", args=[doc.pk]))
    assert response.status_code == 202 and "could not enqueue" in caplog.text
    assert "render_sweep will retry" in caplog.text  # what retries it, in the log


def _pdf_text(doc) -> str:
    import io
    import re

    import pypdf

    doc.refresh_from_db()
    with doc.file.open("rb") as fh:
        reader = pypdf.PdfReader(io.BytesIO(fh.read()))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages)), len(reader.pages)


def test_the_longest_allowed_finding_prints_in_full_and_an_older_longer_one_is_cut(queued):
    """A finding of the maximum length (5000) renders whole, across pages; one of 200,000 characters
    written before the limits existed (straight into the table) still renders, cut with the note."""
    from jointreview.documents.base import TRUNCATION_NOTE
    from jointreview.models import FINDING_TEXT_MAX, Finding, Opinion
    from jointreview.review import services as review
    from tests.jointreview.review.conftest import make_round

    s = make_round(1)
    side = s.agencies[0]
    review.opinion_save_draft(actor=side.reviewer, assignment_id=side.assignment.pk, outcome="conditional")
    longest = "防火" * (FINDING_TEXT_MAX // 2 - 2) + "最后四字"
    assert len(longest) == FINDING_TEXT_MAX
    review.finding_add(actor=side.reviewer, assignment_id=side.assignment.pk, text=longest)
    older = review.finding_add(actor=side.reviewer, assignment_id=side.assignment.pk, text="旧")
    Finding.objects.filter(pk=older.pk).update(text="楼梯宽度不足" * 33333 + "尾巴")  # 200,000 characters
    review.opinion_sign(actor=side.reviewer, opinion_id=Opinion.objects.get().pk)
    joint = review.round_consolidate(round_id=s.round.pk)
    review.notice_issue(actor=s.coordinator, notice_id=joint.pk)
    certificate = review.certificate_issue(actor=s.coordinator, application_id=s.app.pk)
    for doc in (joint, certificate):
        documents.issued_document_render(document_id=doc.pk)
        text, pages = _pdf_text(doc)
        assert "防火防火最后四字" in text  # the longest allowed finding, to its last character
        assert TRUNCATION_NOTE in text and "尾巴" not in text  # the older one, cut
        assert pages < 40  # not the hundreds of pages 200,000 characters would take


def test_every_builder_caps_every_field(tmp_path):
    """Pure builders: 200,000 characters in every text field (names, notes, reasons, table cells)
    render, and the note says it was cut."""
    import io
    import re

    import pypdf

    from jointreview.documents import certificate, completeness_notice, joint_notice, pause_notice
    from jointreview.documents.base import TRUNCATION_NOTE

    huge = "超长内容" * 50000
    head = {"centre": huge, "title": huge, "number": "N-1", "date": "2026-03-02", "verification_code": "ABCDEFGHJKLM",
            "verify_url": "http://127.0.0.1:8000/verify/ABCDEFGHJKLM", "round": 1,
            "project": {"name": huge, "code": huge, "owner": huge, "location": huge},
            "application": {"number": huge, "workflow": huge}}
    finding = {"no": 1, "text": huge, "standard": huge, "clause": huge, "sheet": huge, "document": huge,
               "response_label": huge, "response_text": huge, "state_label": huge}
    builds = {
        "joint notice": lambda: joint_notice.build({**head, "conclusion": huge, "agencies": [{
            "agency": huge, "outcome_label": huge, "signed_by": huge, "version": 2, "correction_reason": huge,
            "summary": huge, "attachments": [{"name": huge}], "groups": [{"speciality": huge, "findings": [finding]}]}],
            "carried_over": [{"agency": huge, "outcome_label": huge, "round": huge}],
            "pauses": [{"agency": huge, "reason_label": huge, "reason_text": huge, "status_label": huge}]}),
        "certificate": lambda: certificate.build({**head, "statement": huge, "agencies": [
            {"agency": huge, "outcome_label": huge, "conditions": [huge]}], "history": [{**finding, "agency": huge}]}),
        "completeness notice": lambda: completeness_notice.build_completeness_notice({**head, "officer": huge,
            "defects": [{"item": huge, "material": huge, "problem_label": huge, "note": huge}] * 3}),
        "pause notice": lambda: pause_notice.build({**head, "agency": huge, "reason_label": huge, "reason_text": huge,
                                                    "expected_days": huge}),
    }
    for name, build in builds.items():
        reader = pypdf.PdfReader(io.BytesIO(build()))
        text = re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))
        assert TRUNCATION_NOTE in text, name
        assert len(reader.pages) < 40, name


def test_documents_issued_from_an_english_page_are_official_chinese(queued):
    """Whatever the issuer's page language, an issued document is Chinese: its content snapshot (labels,
    conclusion) and the printed PDF carry no English words (docs/architecture.md §6.2)."""
    from django.utils import translation

    from jointreview.models import Opinion
    from jointreview.review import services as review
    from tests.jointreview.review.conftest import make_round

    s = make_round(1)
    side = s.agencies[0]
    with translation.override("en"):
        review.opinion_save_draft(actor=side.reviewer, assignment_id=side.assignment.pk, outcome="conditional",
                                  summary="同意")
        review.finding_add(actor=side.reviewer, assignment_id=side.assignment.pk, text="补充消防车道图")
        review.opinion_sign(actor=side.reviewer, opinion_id=Opinion.objects.get().pk)
        joint = review.round_consolidate(round_id=s.round.pk)
        review.notice_issue(actor=s.coordinator, notice_id=joint.pk)
        certificate = review.certificate_issue(actor=s.coordinator, application_id=s.app.pk)
    joint.refresh_from_db()
    agency = joint.content["agencies"][0]
    assert agency["outcome_label"] == "有条件通过"
    assert joint.content["conclusion"] == "各单位审查通过"
    assert not re.search(r"[A-Za-z]{3,}", agency["groups"][0]["findings"][0]["state_label"])
    for doc in (joint, certificate):
        documents.issued_document_render(document_id=doc.pk)
        text, _pages = _pdf_text(doc)
        # what may be Latin: numbers and codes, the verification code and URL, names typed by people
        for allowed in (doc.verification_code, doc.number, s.app.number, s.project.name, "http://", "https://",
                        "/verify/"):
            text = text.replace(allowed, " ")
        assert not re.findall(r"[A-Za-z]{3,}", text)
