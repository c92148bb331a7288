"""Hardening (issue 8), what the site sends: uploads refused by their name's extension, downloads under a
safe name and type, the Content Security Policy, and Cache-Control on everything a signed-in user gets.

Messages are read in English (Accept-Language: en / translation.override): the zh-Hans catalogue of the
new strings is merged separately."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation
from rest_framework.authtoken.models import Token

from jointreview.intake import services as intake
from jointreview.models import Opinion, OpinionAttachment
from jointreview.review import services as review
from jointreview.services.errors import ServiceError
from projects.models import DocumentVersion
from tests.factories import PDF_BYTES, OwnerUserFactory
from tests.jointreview.intake.conftest import make_world
from tests.jointreview.review.conftest import make_round

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00" + b"\x00" * 64


# ------------------------------------------------------------------------------------------- uploads


@pytest.fixture
def draft_material(db):
    w = make_world(1)
    app = intake.application_open(actor=w.owner, project=w.project, workflow=w.workflow)
    return w, app, app.materials.get()


@pytest.mark.parametrize("name", ["report.html", "x.pdf.exe", "report", "drawing.pdf.", "scan.svg"])
def test_a_real_pdf_under_a_name_the_material_does_not_allow_is_refused(draft_material, name):
    w, _app, am = draft_material
    with translation.override("en"), pytest.raises(ServiceError) as refused:
        intake.document_upload(actor=w.owner, application_material=am, upload=(name, PDF_BYTES))
    assert refused.value.message == (
        f"“{name}” was refused: the file name must end in .pdf (accepted here: pdf).")
    assert not DocumentVersion.objects.exists()


@pytest.mark.parametrize("name,data,types", [
    ("REPORT.PDF", PDF_BYTES, "pdf"), ("site photo.jpeg", b"\xff\xd8\xff\xe0" + b"\x00" * 64, "pdf,jpg"),
    ("总平面图.png", PNG_BYTES, "pdf,png"),
])
def test_names_with_an_allowed_extension_are_taken(draft_material, name, data, types):
    w, _app, am = draft_material
    am.material.accepted_types = types
    am.material.save()
    version = intake.document_upload(actor=w.owner, application_material=am, upload=(name, data))
    assert version.original_name == name


def test_the_upload_page_says_why_and_which_types(draft_material):
    w, app, am = draft_material
    am.material.accepted_types = "pdf,jpg"
    am.material.save()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(w.owner)
    url = reverse("intake:material_upload", args=[app.pk, am.pk])
    page = client.post(url, {"file": SimpleUploadedFile("report.html", PDF_BYTES)}, follow=True)
    assert page.status_code == 200
    assert ("“report.html” was refused: the file name must end in .pdf, .jpg, .jpeg (accepted here: pdf, jpg)."
            in page.content.decode())
    assert not DocumentVersion.objects.exists()


@pytest.mark.parametrize("name", ["markup.zip.exe", "report.html", "notes.txt"])
def test_opinion_attachments_are_refused_by_their_name_too(name):
    s = make_round(1)
    side = s.agencies[0]
    review.opinion_save_draft(actor=side.reviewer, assignment_id=side.assignment.pk, outcome="revise")
    op = Opinion.objects.get(assignment=side.assignment)
    with translation.override("en"), pytest.raises(ServiceError) as refused:
        review.opinion_attach(actor=side.reviewer, opinion_id=op.pk, upload=(name, PDF_BYTES))
    assert refused.value.message.endswith(
        "the file name must end in .pdf, .jpg, .jpeg, .png, .dwg, .zip (accepted here: pdf, jpg, png, dwg, zip).")
    assert not OpinionAttachment.objects.exists()


# ----------------------------------------------------------------------------------------- downloads


def _reviewer_and_version():
    s = make_round(1)
    side = s.agencies[0]
    return s, side, reverse("review:document_version", args=[side.assignment.pk, s.version.pk])


@pytest.mark.parametrize("stored_name,stored_type,shown_name,shown_type", [
    ("../../etc/passwd", "application/pdf", "download", "application/pdf"),
    ("evil\r\nSet-Cookie: x=1.pdf", "application/pdf", "download", "application/pdf"),
    ("page.html", "text/html", "page.html", "application/octet-stream"),  # saved, never rendered
    ("icon.svg", "", "icon.svg", "application/octet-stream"),  # a guess from the name would say image/svg+xml
])
def test_a_stored_file_goes_out_under_a_safe_name_and_a_safe_type(client, stored_name, stored_type, shown_name,
                                                                   shown_type):
    s, side, url = _reviewer_and_version()
    DocumentVersion.objects.filter(pk=s.version.pk).update(original_name=stored_name, content_type=stored_type)
    client.force_login(side.reviewer)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == shown_type
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.endswith(f'filename="{shown_name}"')
    if shown_type != "application/pdf":
        assert disposition.startswith("attachment")


def test_a_good_name_is_kept(client):
    s, side, url = _reviewer_and_version()
    DocumentVersion.objects.filter(pk=s.version.pk).update(original_name="建筑施工图 v2.pdf")
    client.force_login(side.reviewer)
    response = client.get(url + "?download=1")
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''%E5%BB%BA%E7%AD%91%E6%96%BD%E5%B7%A5%E5%9B%BE%20v2.pdf"


def test_an_attachment_with_a_bad_stored_name_downloads_as_attachment_n(client):
    s = make_round(1)
    side = s.agencies[0]
    review.opinion_save_draft(actor=side.reviewer, assignment_id=side.assignment.pk, outcome="revise")
    op = Opinion.objects.get(assignment=side.assignment)
    att = review.opinion_attach(actor=side.reviewer, opinion_id=op.pk, upload=("photo.png", PNG_BYTES))
    OpinionAttachment.objects.filter(pk=att.pk).update(original_name="a/../b.png", content_type="text/html")
    client.force_login(side.reviewer)
    response = client.get(reverse("review:attachment_download", args=[att.pk]))
    assert response["Content-Disposition"] == f'attachment; filename="attachment-{att.pk}"'
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"


# ------------------------------------------------------------------------------- Content Security Policy

POLICY = {
    "default-src": "'self'", "script-src": "'self'", "style-src": "'self'", "img-src": "'self'",
    "object-src": "'none'", "base-uri": "'self'", "form-action": "'self'", "frame-ancestors": "'none'",
}


def _policy(response) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))


def test_every_kind_of_page_carries_the_policy(client):
    pages = [client.get("/accounts/login/"), client.get("/verify/NOPE")]
    client.force_login(OwnerUserFactory())
    pages += [client.get("/"), client.get("/api/intake/applications/"), client.get("/admin/")]
    for response in pages:
        assert _policy(response) == POLICY
        assert "unsafe" not in response["Content-Security-Policy"]
    docs = client.get("/api/docs/")  # Swagger UI's icons are data: images
    assert _policy(docs) == {**POLICY, "img-src": "'self' data:"}


def test_an_inline_pdf_may_use_the_browsers_viewer_a_download_may_not(client):
    s, side, url = _reviewer_and_version()
    client.force_login(side.reviewer)
    assert _policy(client.get(url))["object-src"] == "'self'"
    assert _policy(client.get(url + "?download=1"))["object-src"] == "'none'"


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<style\b", re.I), "a <style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "a style= attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an on...= handler"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]


def test_our_templates_have_nothing_inline_that_the_policy_would_block():
    found = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        found += [f"{path.relative_to(ROOT)}: {what}" for pattern, what in INLINE if pattern.search(text)]
    assert found == []


# ---------------------------------------------------------------------------------------- Cache-Control


def _private(response) -> bool:
    parts = {p.strip() for p in response.get("Cache-Control", "").split(",")}
    return {"private", "no-store"} <= parts


def test_everything_a_signed_in_user_gets_is_private_and_not_stored(client):
    s, side, url = _reviewer_and_version()
    user = side.reviewer
    client.force_login(user)
    for response in (client.get("/"), client.get(reverse("review:inbox")), client.get("/api/review/inbox/"),
                     client.get(url), client.get("/verify/NOPE"), client.get("/no-such-page/")):
        assert _private(response), response
    token = Token.objects.create(user=user)
    api = Client().get("/api/review/inbox/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.status_code == 200 and _private(api)


def test_public_pages_are_left_alone(client):
    for response in (client.get("/verify/NOPE"), client.get("/healthz/")):
        assert "Cache-Control" not in response
