"""Serving stored files (document versions, issued PDFs, opinion attachments) after the selectors
have authorised the request."""
from __future__ import annotations

from django.http import FileResponse


def file_response(fieldfile, *, filename: str, content_type: str, as_attachment: bool) -> FileResponse:
    """The stored file, inline or as a download, never content-sniffed by the browser."""
    response = FileResponse(fieldfile.open("rb"), as_attachment=as_attachment, filename=filename,
                            content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response
