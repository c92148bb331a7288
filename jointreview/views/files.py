"""Serving stored files (document versions, issued PDFs, opinion attachments) after the selectors
have authorised the request."""
from __future__ import annotations

from csp.constants import SELF
from django.http import FileResponse, HttpResponse
from django.shortcuts import render

from jointreview.intake.services import validate_file_name
from jointreview.services.errors import ServiceError

# What a stored file may be served as: the types the uploads are checked against
# (intake/services/uploads.py _MIME) and our PDFs. Anything else (an old row, a guess from a name) goes out as a plain download type,
# so a browser never renders a user's file as a page (text/html, image/svg+xml, ...).
SAFE_CONTENT_TYPES = frozenset({
    "application/pdf", "image/png", "image/jpeg", "image/vnd.dwg", "image/vnd.dxf", "application/zip",
    "application/ofd",
})
NEUTRAL_CONTENT_TYPE = "application/octet-stream"


def download_name(name: str | None, fallback: str = "download") -> str:
    """The name given to the browser: the original name if it passes the upload's name check (no path,
    no control characters, not too long), else ``fallback``."""
    try:
        return validate_file_name(name)
    except ServiceError:
        return fallback


def file_response(fieldfile, *, filename: str, content_type: str | None, as_attachment: bool,
                  fallback_name: str = "download") -> FileResponse:
    """The stored file, inline or as a download, never content-sniffed by the browser, under a safe name
    and a safe type (a type outside SAFE_CONTENT_TYPES is always a download)."""
    content_type = (content_type or "").split(";")[0].strip().lower()
    if content_type not in SAFE_CONTENT_TYPES:
        content_type, as_attachment = NEUTRAL_CONTENT_TYPE, True
    response = FileResponse(fieldfile.open("rb"), as_attachment=as_attachment,
                            filename=download_name(filename, fallback_name), content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    if not as_attachment:
        # the browser's PDF viewer is a plugin in the document made for the file: allow it for this
        # response only (the site's policy says object-src 'none')
        response._csp_replace = {"object-src": [SELF]}
    return response


def document_preparing(request, doc) -> HttpResponse:
    """An issued document whose PDF is not stored yet: queue its rendering (a Celery task; never
    built in the request) and answer 202 with a page that reloads itself."""
    from jointreview.documents.services import issued_document_request_render

    issued_document_request_render(document_id=doc.pk)
    return render(request, "common/document_preparing.html", {"doc": doc}, status=202)
