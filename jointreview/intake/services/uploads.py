"""Documents: the upload of a material's new immutable version, and the checks of a file (name, size,
type by content, extension)."""
from __future__ import annotations

import hashlib
import io
import unicodedata
import zipfile

import filetype
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext as _

from jointreview.audit.services import audit_record
from jointreview.audit.verbs import AuditVerb
from jointreview.intake.models import OWNER_EDITABLE_STATUSES
from jointreview.intake.services.common import _status_label
from jointreview.models import ApplicationMaterial, ApplicationStatus, CheckStatus, Deferral, Material
from jointreview.policy import grant_many
from jointreview.policy.portions import covers
from jointreview.services import common
from jointreview.services.errors import ConflictError, ServiceError
from projects.models import Document, DocumentVersion, Project

# accepted_types token -> (description, extensions that may name it)
FILE_TYPES: dict[str, tuple[str | Promise, tuple[str, ...]]] = {
    "pdf": ("PDF", ("pdf",)),
    "dwg": (gettext_lazy("DWG drawing"), ("dwg",)),
    "dxf": (gettext_lazy("DXF drawing"), ("dxf",)),
    "jpg": (gettext_lazy("JPEG image"), ("jpg", "jpeg")),
    "png": (gettext_lazy("PNG image"), ("png",)),
    "zip": (gettext_lazy("ZIP archive"), ("zip",)),
    "ofd": (gettext_lazy("OFD document"), ("ofd",)),
}
_MIME = {
    "pdf": "application/pdf", "dwg": "image/vnd.dwg", "dxf": "image/vnd.dxf", "jpg": "image/jpeg",
    "png": "image/png", "zip": "application/zip", "ofd": "application/ofd",
}
MAX_NAME_LEN = 200


def validate_file_name(name: str) -> str:
    """The user's file name is only shown, never used in a path; still refuse tricks and noise."""
    if name is None or not str(name).strip():
        raise ServiceError(_("The file has no name."))
    name = str(name)
    if len(name) > MAX_NAME_LEN:
        raise ServiceError(_("The file name is longer than %(max)d characters.") % {"max": MAX_NAME_LEN})
    if "/" in name or "\\" in name or ".." in name:
        raise ServiceError(_("The file name must not contain a path (/ \\ ..)."))
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name):
        raise ServiceError(_("The file name contains control characters."))
    return name.strip()


def _sniff(head: bytes, data: bytes | None) -> str | None:
    """Our token for the content, decided from the bytes (never the name)."""
    kind = filetype.guess(head)
    ext = kind.extension if kind else None
    if ext == "zip" or (head[:4] == b"PK\x03\x04" and ext is None):
        if data is not None:
            try:
                names = zipfile.ZipFile(io.BytesIO(data)).namelist()
            except zipfile.BadZipFile:
                return None
            if any(n.rsplit("/", 1)[-1] == "OFD.xml" for n in names):
                return "ofd"
        return "zip"
    if ext in ("pdf", "png", "jpg", "dwg"):
        return ext
    if ext is None:
        text = head.lstrip()[:64]
        if head.startswith(b"AutoCAD Binary DXF"):
            return "dxf"
        lines = text.replace(b"\r", b"").split(b"\n")
        if len(lines) >= 2 and lines[0].strip() == b"0" and lines[1].strip() == b"SECTION":
            return "dxf"
    return ext


def validate_upload(*, name: str, data: bytes, accepted_types: str) -> tuple[str, str]:
    """(clean name, content type) or ServiceError. Checks the name, the size, the type by content and
    that the name ends in an extension of an accepted type."""
    name = validate_file_name(name)
    limit = settings.JR_UPLOAD_MAX_BYTES
    if len(data) > limit:
        raise ServiceError(_too_large(len(data), limit))
    if not data:
        raise ServiceError(_("The file is empty."))
    allowed = [t.strip().lower() for t in (accepted_types or "pdf").split(",") if t.strip()]
    allowed_text = ", ".join(allowed)
    detected = _sniff(data[:8192], data)
    if detected not in allowed:
        shown = FILE_TYPES[detected][0] if detected in FILE_TYPES else (detected or _("of an unknown type"))
        raise ServiceError(
            _("The file's content is %(kind)s; this material accepts %(types)s (checked by the content, not the "
              "name).") % {"kind": shown, "types": allowed_text}
        )
    _require_allowed_extension(name, allowed)
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    known_exts = {e: t for t, (_d, exts) in FILE_TYPES.items() for e in exts}
    if ext in known_exts and known_exts[ext] != detected:
        raise ServiceError(_("The name says .%(extension)s but the content is %(kind)s.") % {
            "extension": ext, "kind": FILE_TYPES[detected][0]})
    return name, _MIME[detected]


def _too_large(size: int, limit: int) -> str:
    return _("The file is %(size)s bytes; the limit is %(limit)s bytes.") % {
        "size": number_format(size, force_grouping=True), "limit": number_format(limit, force_grouping=True)}


def allowed_extensions(allowed: list[str]) -> list[str]:
    """The file-name extensions that may name a file of these accepted_types tokens (pdf -> pdf; jpg ->
    jpg, jpeg); a token we do not know names itself."""
    out: list[str] = []
    for token in allowed:
        for ext in FILE_TYPES.get(token, (token, (token,)))[1]:
            if ext not in out:
                out.append(ext)
    return out


def _require_allowed_extension(name: str, allowed: list[str]) -> None:
    """The name must end in an extension of an accepted type, whatever the content: a real PDF named
    report.html or x.pdf.exe would be saved and later opened by that name."""
    extensions = allowed_extensions(allowed)
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in extensions:
        raise ServiceError(gettext(
            "“%(name)s” was refused: the file name must end in %(extensions)s (accepted here: %(types)s)."
        ) % {"name": name, "extensions": ", ".join(f".{e}" for e in extensions), "types": ", ".join(allowed)},
            code="file_extension")


def _read_upload(upload) -> tuple[str, bytes]:
    """Accept a Django UploadedFile or a (name, bytes) pair. Reads at most the limit + 1 bytes."""
    limit = settings.JR_UPLOAD_MAX_BYTES
    if isinstance(upload, tuple):
        name, data = upload
        return name, bytes(data)
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise ServiceError(_too_large(size, limit))
    upload.seek(0)
    data = upload.read(limit + 1)
    return upload.name, data


def _document_for(project: Project, material: Material) -> Document:
    code = f"{material.item.code}--{material.code}"[:60]
    doc, _created = Document.objects.get_or_create(
        project=project, material_code=code, defaults={"title": material.name[:200]}
    )
    return doc


def _store_version(*, actor, document: Document, name: str, data: bytes, content_type: str, note: str = ""):
    locked = Document.objects.select_for_update().get(pk=document.pk)  # version numbers under a row lock
    number = (locked.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = DocumentVersion(
        document=locked, number=number, original_name=name, content_type=content_type, size=len(data),
        sha256=hashlib.sha256(data).hexdigest(), uploaded_by=actor, note=note,
    )
    # checked before the file is stored (a refusal leaves no file behind)
    common.full_clean(version, exclude=["file", "document"], validate_unique=False, validate_constraints=False)
    version.file.save("upload", ContentFile(data), save=False)  # path derived from project + sha256
    common.full_clean(version)
    version.save()
    return version


@transaction.atomic
def document_upload(*, actor, application_material: ApplicationMaterial | int, upload, note: str = ""):
    """Upload a new immutable version of the document answering one required material."""
    am_pk = application_material.pk if isinstance(application_material, ApplicationMaterial) else application_material
    try:
        am = ApplicationMaterial.objects.select_related("material__item").get(pk=am_pk)
    except ApplicationMaterial.DoesNotExist:
        raise ServiceError(_("No such material.")) from None
    app = common.lock_application(am.application_id)
    common.require_project_owner(actor, app.project, _("upload documents"))
    deferral = Deferral.objects.filter(application=app, material=am.material, fulfilled_at__isnull=True).first()
    if app.status in OWNER_EDITABLE_STATUSES:
        purpose = "draft"
    elif app.status == ApplicationStatus.ACCEPTED and deferral is not None:
        purpose = "deferral"
    elif app.status == ApplicationStatus.REVISION:
        purpose = "revision"
    else:
        raise ConflictError(
            _("The application is “%(status)s”, so no document can be uploaded: documents can be uploaded to a "
              "draft, after a return, for a deferred material, or in a revision round.")
            % {"status": _status_label(app.status)}
        )
    name, data = _read_upload(upload)
    name, content_type = validate_upload(name=name, data=data, accepted_types=am.material.accepted_types)
    document = _document_for(app.project, am.material)
    version = _store_version(actor=actor, document=document, name=name, data=data, content_type=content_type,
                             note=note)
    before = {"document": am.document_id, "check_status": am.check_status}
    am.document = document
    if purpose == "deferral":
        Deferral.objects.filter(pk=deferral.pk, fulfilled_at__isnull=True).update(
            fulfilled_at=timezone.now(), fulfilled_version=version
        )
    elif app.status in OWNER_EDITABLE_STATUSES:
        am.check_status = CheckStatus.UNCHECKED  # a new version needs a new check
    am.save(update_fields=["document", "check_status"])
    # the owner reads its documents by rule; agencies whose recorded portion covers this material
    # are granted the new document (jointreview/policy/portions.py)
    readers = {a.agency_id: a.agency for a in app.assignments.select_related("agency") if covers(a, am.material.code)}
    grant_many([("view_document", agency, document) for _pk, agency in sorted(readers.items())])
    audit_record(
        actor=actor, verb=AuditVerb.DOCUMENT_UPLOAD, target=version, application=app, before=before,
        after={"material": am.material.code, "version": version.number, "sha256": version.sha256,
               "size": version.size, "purpose": purpose},
    )
    return version
