"""Opinion attachments (意见附件): upload to a draft only, checked by content with intake's validators,
stored under a sha256 path; visible to the agency and the centre, to the owner only once the round's
joint notice is issued; carried by a correction; listed in the joint notice PDF."""
from __future__ import annotations

import datetime
import hashlib
import io
import re
import zipfile
from pathlib import Path

import pypdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from jointreview.models import AuditEvent, IssuedDocument, IssuedKind, Opinion, OpinionAttachment
from jointreview.review import services as review
from jointreview.services.errors import ConflictError, PermissionDeniedError, ServiceError
from tests.factories import PDF_BYTES, OwnerUserFactory

from .conftest import make_round

pytestmark = pytest.mark.django_db
D = datetime.date

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00" + b"\x00" * 64


def zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("markup/sheet-1.txt", "红线标注 mark-up")
    return buf.getvalue()


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "opinions"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def open_draft(side, outcome="revise", text="消防车道宽度不足"):
    review.opinion_save_draft(actor=side.reviewer, assignment_id=side.assignment.pk, outcome=outcome)
    if text:
        review.finding_add(actor=side.reviewer, assignment_id=side.assignment.pk, text=text)
    return Opinion.objects.get(assignment=side.assignment, state=Opinion.State.DRAFT)


def pdf_text(doc: IssuedDocument) -> str:
    doc.refresh_from_db()
    with doc.file.open("rb") as fh:
        reader = pypdf.PdfReader(io.BytesIO(fh.read()))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


# ---------------------------------------------------------------------------
# the service
# ---------------------------------------------------------------------------


def test_upload_stores_content_under_its_sha256_and_is_audited(settings):
    s = make_round(1)
    side = s.agencies[0]
    op = open_draft(side)
    att = review.opinion_attach(actor=side.reviewer, opinion_id=op.pk, upload=("现场照片 site photo.png", PNG_BYTES))
    sha = hashlib.sha256(PNG_BYTES).hexdigest()
    att.refresh_from_db()
    assert (att.opinion_id, att.original_name, att.sha256, att.size, att.content_type) == (
        op.pk, "现场照片 site photo.png", sha, len(PNG_BYTES), "image/png"
    )
    assert att.file.name == f"opinions/{sha[:2]}/{sha}"  # the user's name never enters the path
    with att.file.open("rb") as fh:
        assert fh.read() == PNG_BYTES
    # the lead of the agency may attach too; a Django UploadedFile works like a (name, bytes) pair
    second = review.opinion_attach(actor=side.lead, opinion_id=op.pk,
                                   upload=SimpleUploadedFile("markup.zip", zip_bytes()))
    assert second.content_type == "application/zip"
    ev = AuditEvent.objects.filter(verb="opinion.attach", target_id=str(op.pk)).order_by("pk")
    assert [e.after["sha256"] for e in ev] == [sha, second.sha256]


@pytest.mark.parametrize("name,data,message", [
    ("drawing.pdf", b"<html><script>alert(1)</script></html>", "按文件内容而非文件名判断"),  # not a PDF at all
    ("photo.png", PDF_BYTES, "与内容(PDF)不符"),  # a PDF named .png
    ("tool.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "按文件内容而非文件名判断"),  # a Windows program
    ("../../etc/passwd.pdf", PDF_BYTES, "不能包含路径"),
    ("..\\..\\boot.pdf", PDF_BYTES, "不能包含路径"),
    ("note\x00.pdf", PDF_BYTES, "控制字符"),
    ("", PDF_BYTES, "文件名为空"),
    ("empty.pdf", b"", "文件为空"),
])
def test_bad_uploads_are_refused_and_nothing_is_stored(settings, name, data, message):
    s = make_round(1)
    side = s.agencies[0]
    op = open_draft(side)
    with pytest.raises(ServiceError, match=re.escape(message)):
        review.opinion_attach(actor=side.reviewer, opinion_id=op.pk, upload=(name, data))
    assert not OpinionAttachment.objects.exists()
    assert stored_files(settings) == []


def test_oversize_upload_is_refused(settings):
    settings.JR_UPLOAD_MAX_BYTES = 64
    s = make_round(1)
    side = s.agencies[0]
    op = open_draft(side)
    with pytest.raises(ServiceError, match="上限 64 字节"):
        review.opinion_attach(actor=side.reviewer, opinion_id=op.pk, upload=("big.pdf", PDF_BYTES + b"0" * 100))
    with pytest.raises(ServiceError, match="上限 64 字节"):  # an UploadedFile is refused by its size, unread
        review.opinion_attach(actor=side.reviewer, opinion_id=op.pk,
                              upload=SimpleUploadedFile("big.pdf", PDF_BYTES + b"0" * 100))
    assert not OpinionAttachment.objects.exists() and stored_files(settings) == []


def test_signed_opinion_attachments_are_immutable(settings, no_tasks):
    s = make_round(1)
    side = s.agencies[0]
    op = open_draft(side)
    att = review.opinion_attach(actor=side.reviewer, opinion_id=op.pk, upload=("plan.pdf", PDF_BYTES))
    review.opinion_sign(actor=side.reviewer, opinion_id=op.pk, on=D(2026, 3, 9))
    before = stored_files(settings)
    for actor in (side.reviewer, side.lead):
        with pytest.raises(ConflictError, match="signed opinion cannot be changed"):
            review.opinion_attach(actor=actor, opinion_id=op.pk, upload=("photo.png", PNG_BYTES))
        with pytest.raises(ConflictError, match="signed opinion cannot be changed"):
            review.opinion_attachment_remove(actor=actor, attachment_id=att.pk)
    assert list(OpinionAttachment.objects.values_list("pk", flat=True)) == [att.pk]
    assert stored_files(settings) == before and len(before) == 1


def test_only_the_acting_reviewer_or_lead_of_the_agency_may_attach_or_remove(settings):
    s = make_round(2)
    one, two = s.agencies
    op = open_draft(one)
    for stranger in (two.reviewer, two.lead, one.backup, s.coordinator, s.owner):
        with pytest.raises(PermissionDeniedError):
            review.opinion_attach(actor=stranger, opinion_id=op.pk, upload=("plan.pdf", PDF_BYTES))
    assert stored_files(settings) == []
    att = review.opinion_attach(actor=one.reviewer, opinion_id=op.pk, upload=("plan.pdf", PDF_BYTES))
    for stranger in (two.reviewer, two.lead, one.backup):
        with pytest.raises(PermissionDeniedError):
            review.opinion_attachment_remove(actor=stranger, attachment_id=att.pk)
    path = Path(att.file.path)
    review.opinion_attachment_remove(actor=one.lead, attachment_id=att.pk)
    assert not OpinionAttachment.objects.exists()
    assert AuditEvent.objects.filter(verb="opinion.attachment_remove", target_id=str(op.pk)).exists()
    assert path.exists()  # the stored file goes only once the removal commits (next test)


def test_removing_deletes_the_file_after_commit(settings, django_capture_on_commit_callbacks):
    s = make_round(1)
    side = s.agencies[0]
    op = open_draft(side)
    att = review.opinion_attach(actor=side.reviewer, opinion_id=op.pk, upload=("plan.pdf", PDF_BYTES))
    path = Path(att.file.path)
    with django_capture_on_commit_callbacks(execute=True):
        review.opinion_attachment_remove(actor=side.reviewer, attachment_id=att.pk)
    assert not path.exists()


def test_correction_carries_the_attachments(settings, run_tasks, django_capture_on_commit_callbacks):
    s = make_round(1)
    side = s.agencies[0]
    op = open_draft(side, outcome="pass", text="")
    photo = review.opinion_attach(actor=side.reviewer, opinion_id=op.pk, upload=("photo.png", PNG_BYTES))
    plan = review.opinion_attach(actor=side.reviewer, opinion_id=op.pk, upload=("plan.pdf", PDF_BYTES))
    with django_capture_on_commit_callbacks(execute=True):
        review.opinion_sign(actor=side.reviewer, opinion_id=op.pk, on=D(2026, 3, 9))
    new = review.opinion_correct(actor=side.reviewer, opinion_id=op.pk, reason="补充附件说明")
    carried = list(new.attachments.order_by("pk"))
    assert [(c.original_name, c.sha256, c.size, c.content_type, c.file.name) for c in carried] == [
        (x.original_name, x.sha256, x.size, x.content_type, x.file.name) for x in (photo, plan)
    ]
    assert AuditEvent.objects.get(verb="opinion.correct", target_id=str(new.pk)).after["attachments"] == 2
    # the correction is a draft: its copy may go; the signed version keeps its row and the shared file
    with django_capture_on_commit_callbacks(execute=True):
        review.opinion_attachment_remove(actor=side.reviewer, attachment_id=carried[0].pk)
    assert Path(photo.file.path).exists()
    assert list(op.attachments.values_list("pk", flat=True)) == [photo.pk, plan.pk]
    review.opinion_attach(actor=side.reviewer, opinion_id=new.pk, upload=("扩展标注.zip", zip_bytes()))
    with django_capture_on_commit_callbacks(execute=True):
        review.opinion_sign(actor=side.reviewer, opinion_id=new.pk, on=D(2026, 3, 10))
    notice = IssuedDocument.objects.get(kind=IssuedKind.JOINT_NOTICE)
    with django_capture_on_commit_callbacks(execute=True):
        review.notice_issue(actor=s.coordinator, notice_id=notice.pk, on=D(2026, 3, 11))
    notice.refresh_from_db()
    (entry,) = notice.content["agencies"]
    assert entry["version"] == 2
    assert [x["name"] for x in entry["attachments"]] == ["plan.pdf", "扩展标注.zip"]


def test_joint_notice_pdf_lists_the_attachment_names(settings, run_tasks, django_capture_on_commit_callbacks):
    s = make_round(2)
    one, two = s.agencies
    op1 = open_draft(one)
    review.opinion_attach(actor=one.reviewer, opinion_id=op1.pk, upload=("fire-lane-photo.png", PNG_BYTES))
    review.opinion_attach(actor=one.reviewer, opinion_id=op1.pk, upload=("现场照片.pdf", PDF_BYTES))
    op2 = open_draft(two, outcome="pass", text="")
    with django_capture_on_commit_callbacks(execute=True):
        review.opinion_sign(actor=one.reviewer, opinion_id=op1.pk, on=D(2026, 3, 9))
        review.opinion_sign(actor=two.reviewer, opinion_id=op2.pk, on=D(2026, 3, 9))
    notice = IssuedDocument.objects.get(kind=IssuedKind.JOINT_NOTICE)
    by_agency = {ag["agency"]: ag["attachments"] for ag in notice.content["agencies"]}
    assert [x["name"] for x in by_agency[str(one.agency)]] == ["fire-lane-photo.png", "现场照片.pdf"]
    assert by_agency[str(two.agency)] == []
    with django_capture_on_commit_callbacks(execute=True):
        review.notice_issue(actor=s.coordinator, notice_id=notice.pk, on=D(2026, 3, 10))
    text = pdf_text(notice)
    assert "fire-lane-photo.png" in text and "现场照片.pdf" in text


# ---------------------------------------------------------------------------
# the views
# ---------------------------------------------------------------------------


def test_reviewer_uploads_and_removes_through_the_assignment_page(client, settings):
    s = make_round(1)
    side = s.agencies[0]
    open_draft(side)
    client.force_login(side.reviewer)
    page_url = reverse("review:assignment", args=[side.assignment.pk])
    assert 'enctype="multipart/form-data"' in client.get(page_url).content.decode()
    response = client.post(reverse("review:attachment_upload", args=[side.assignment.pk]),
                           {"file": SimpleUploadedFile("site-photo.png", PNG_BYTES)})
    assert response.status_code == 302
    att = OpinionAttachment.objects.get()
    page = client.get(page_url).content.decode()
    assert "site-photo.png" in page and reverse("review:attachment_remove", args=[att.pk]) in page
    # a disguised file: refused with a message, nothing stored
    response = client.post(reverse("review:attachment_upload", args=[side.assignment.pk]),
                           {"file": SimpleUploadedFile("photo.png", PDF_BYTES)}, follow=True)
    assert "与内容(PDF)不符" in response.content.decode()
    assert OpinionAttachment.objects.count() == 1
    assert client.post(reverse("review:attachment_remove", args=[att.pk])).status_code == 302
    assert not OpinionAttachment.objects.exists()


def test_no_upload_form_and_no_upload_once_signed(client, settings, no_tasks):
    s = make_round(1)
    side = s.agencies[0]
    op = open_draft(side)
    att = review.opinion_attach(actor=side.reviewer, opinion_id=op.pk, upload=("plan.pdf", PDF_BYTES))
    review.opinion_sign(actor=side.reviewer, opinion_id=op.pk, on=D(2026, 3, 9))
    client.force_login(side.reviewer)
    page = client.get(reverse("review:assignment", args=[side.assignment.pk])).content.decode()
    assert "plan.pdf" in page and 'enctype="multipart/form-data"' not in page
    assert reverse("review:attachment_remove", args=[att.pk]) not in page
    response = client.post(reverse("review:attachment_upload", args=[side.assignment.pk]),
                           {"file": SimpleUploadedFile("photo.png", PNG_BYTES)}, follow=True)
    assert "没有草稿" in response.content.decode()
    response = client.post(reverse("review:attachment_remove", args=[att.pk]), follow=True)
    assert "signed opinion cannot be changed" in response.content.decode()
    assert list(OpinionAttachment.objects.values_list("pk", flat=True)) == [att.pk]
    assert len(stored_files(settings)) == 1


def test_another_agency_can_neither_download_nor_upload(client, settings):
    s = make_round(2)
    one, two = s.agencies
    op = open_draft(one)
    att = review.opinion_attach(actor=one.reviewer, opinion_id=op.pk, upload=("plan.pdf", PDF_BYTES))
    missing = att.pk + 1000
    for stranger in (two.reviewer, two.lead):
        client.force_login(stranger)
        assert client.get(reverse("review:attachment_download", args=[att.pk])).status_code == 404
        assert client.get(reverse("review:attachment_download", args=[missing])).status_code == 404
        assert client.post(reverse("review:attachment_remove", args=[att.pk])).status_code == 404
        response = client.post(reverse("review:attachment_upload", args=[one.assignment.pk]),
                               {"file": SimpleUploadedFile("x.pdf", PDF_BYTES)})
        assert response.status_code == 404
    # same agency but not acting (B while A is present): may read, may not write
    client.force_login(one.backup)
    assert client.get(reverse("review:attachment_download", args=[att.pk])).status_code == 200
    response = client.post(reverse("review:attachment_upload", args=[one.assignment.pk]),
                           {"file": SimpleUploadedFile("x.pdf", PDF_BYTES)})
    assert response.status_code == 403
    assert list(OpinionAttachment.objects.values_list("pk", flat=True)) == [att.pk]
    assert client.get(reverse("review:attachment_download", args=[missing])).status_code == 404


def test_download_headers_for_the_agency_and_the_centre(client, settings):
    s = make_round(1)
    side = s.agencies[0]
    op = open_draft(side)
    att = review.opinion_attach(actor=side.reviewer, opinion_id=op.pk, upload=("现场 照片.png", PNG_BYTES))
    for user in (side.reviewer, s.coordinator):
        client.force_login(user)
        response = client.get(reverse("review:attachment_download", args=[att.pk]))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PNG_BYTES
        assert response["Content-Type"] == "image/png"
        assert response["X-Content-Type-Options"] == "nosniff"
        disposition = response["Content-Disposition"]
        assert disposition.startswith("attachment;")
        assert "filename*=utf-8''%E7%8E%B0%E5%9C%BA%20%E7%85%A7%E7%89%87.png" in disposition
        assert "\n" not in disposition and "/" not in disposition


def test_owner_downloads_only_once_the_notice_is_issued(client, settings, run_tasks,
                                                        django_capture_on_commit_callbacks):
    s = make_round(1)
    side = s.agencies[0]
    op = open_draft(side)
    att = review.opinion_attach(actor=side.reviewer, opinion_id=op.pk, upload=("fire-lane.pdf", PDF_BYTES))
    url = reverse("review:attachment_download", args=[att.pk])
    rounds_url = reverse("review:application_rounds", args=[s.app.pk])
    client.force_login(s.owner)
    assert client.get(url).status_code == 404  # a draft's attachment
    with django_capture_on_commit_callbacks(execute=True):
        review.opinion_sign(actor=side.reviewer, opinion_id=op.pk, on=D(2026, 3, 9))
    notice = IssuedDocument.objects.get(kind=IssuedKind.JOINT_NOTICE)
    assert notice.state == IssuedDocument.State.DRAFT
    assert client.get(url).status_code == 404  # signed, but the notice is not issued
    assert url not in client.get(rounds_url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        review.notice_issue(actor=s.coordinator, notice_id=notice.pk, on=D(2026, 3, 10))
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Disposition"] == 'attachment; filename="fire-lane.pdf"'
    page = client.get(rounds_url).content.decode()
    assert url in page and "fire-lane.pdf" in page
    # another owner sees nothing; the owner reads but never removes
    client.force_login(OwnerUserFactory())
    assert client.get(url).status_code == 404
    assert client.get(rounds_url).status_code == 404
    client.force_login(s.owner)
    assert client.post(reverse("review:attachment_remove", args=[att.pk])).status_code == 404
    assert OpinionAttachment.objects.filter(pk=att.pk).exists()


def test_rounds_page_shows_an_agency_only_its_own_attachments(client, settings, run_tasks,
                                                              django_capture_on_commit_callbacks):
    s = make_round(2)
    one, two = s.agencies
    op1, op2 = open_draft(one), open_draft(two, outcome="pass", text="")
    a1 = review.opinion_attach(actor=one.reviewer, opinion_id=op1.pk, upload=("one-photo.png", PNG_BYTES))
    a2 = review.opinion_attach(actor=two.reviewer, opinion_id=op2.pk, upload=("two-plan.pdf", PDF_BYTES))
    with django_capture_on_commit_callbacks(execute=True):
        review.opinion_sign(actor=one.reviewer, opinion_id=op1.pk, on=D(2026, 3, 9))
        review.opinion_sign(actor=two.reviewer, opinion_id=op2.pk, on=D(2026, 3, 9))
    review.notice_issue(actor=s.coordinator, notice_id=IssuedDocument.objects.get().pk, on=D(2026, 3, 10))
    rounds_url = reverse("review:application_rounds", args=[s.app.pk])
    client.force_login(one.reviewer)
    page = client.get(rounds_url).content.decode()
    assert "one-photo.png" in page and "two-plan.pdf" not in page
    assert client.get(reverse("review:attachment_download", args=[a2.pk])).status_code == 404
    client.force_login(s.owner)
    page = client.get(rounds_url).content.decode()
    assert "one-photo.png" in page and "two-plan.pdf" in page
    for att in (a1, a2):
        assert client.get(reverse("review:attachment_download", args=[att.pk])).status_code == 200
