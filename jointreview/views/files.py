"""Serving stored files (document versions, issued PDFs, opinion attachments) after the selectors
have authorised the request."""
from __future__ import annotations

from django.http import FileResponse, HttpResponse
from django.shortcuts import render


def file_response(fieldfile, *, filename: str, content_type: str, as_attachment: bool) -> FileResponse:
    """The stored file, inline or as a download, never content-sniffed by the browser."""
    response = FileResponse(fieldfile.open("rb"), as_attachment=as_attachment, filename=filename,
                            content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def document_preparing(request, doc) -> HttpResponse:
    """An issued document whose PDF is not stored yet: queue its rendering (a Celery task; never
    built in the request) and answer 202 with a page that reloads itself."""
    from jointreview.services.documents import issued_document_request_render

    issued_document_request_render(document_id=doc.pk)
    return render(request, "common/document_preparing.html", {"doc": doc}, status=202)
