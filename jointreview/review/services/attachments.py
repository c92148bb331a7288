"""Opinion attachments (意见附件): added and removed on a draft only; copied by a correction.

Part of the review services (jointreview/review/services/__init__.py has the decisions)."""
from __future__ import annotations

import hashlib

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from jointreview.audit.services import audit_record
from jointreview.audit.verbs import AuditVerb
from jointreview.models import (
    Assignment,
    Opinion,
    OpinionAttachment,
)
from jointreview.review.services.common import _editable_draft, _lock_opinion_and_assignment
from jointreview.services import common
from jointreview.services.errors import ConflictError, ServiceError

ATTACHMENT_TYPES = "pdf,jpg,png,dwg,zip"


def _copy_attachments(old: Opinion, new: Opinion) -> int:
    """A correction carries the attachments: new rows pointing at the same stored files."""
    rows = [
        OpinionAttachment(opinion=new, file=att.file.name, original_name=att.original_name, sha256=att.sha256,
                          size=att.size, content_type=att.content_type)
        for att in old.attachments.order_by("pk")
    ]
    OpinionAttachment.objects.bulk_create(rows)
    return len(rows)


def _attachable_draft(actor, opinion_id: int, what: str) -> tuple[Opinion, Assignment]:
    """Lock the opinion and its assignment (the assignment first: common.py's one lock order) and check
    it may change."""
    opinion, a = _lock_opinion_and_assignment(opinion_id)
    if opinion.state != Opinion.State.DRAFT:
        raise ConflictError(
            "the attachments of a signed opinion cannot be changed; make a correction (a new version) instead"
        )
    _editable_draft(actor, opinion, what)
    return opinion, a


def opinion_attach(*, actor, opinion_id: int, upload) -> OpinionAttachment:
    """Attach a file to a draft opinion (acting reviewer or lead of the agency). The name, size and
    type (by content: pdf, jpg, png, dwg, zip) are checked with intake's validators; the file is
    stored under a path derived from its sha256."""
    from jointreview.intake.services import _read_upload, validate_upload

    stored: list[str] = []
    storage = OpinionAttachment._meta.get_field("file").storage
    try:
        with transaction.atomic():
            opinion, a = _attachable_draft(actor, opinion_id, "attach files to the opinion")
            name, data = _read_upload(upload)
            name, content_type = validate_upload(name=name, data=data, accepted_types=ATTACHMENT_TYPES)
            att = OpinionAttachment(opinion=opinion, original_name=name, sha256=hashlib.sha256(data).hexdigest(),
                                    size=len(data), content_type=content_type)
            att.file.save("attachment", ContentFile(data), save=False)  # the name is ignored by upload_to
            stored.append(att.file.name)
            common.full_clean(att)
            att.save()
            audit_record(actor=actor, verb=AuditVerb.OPINION_ATTACH, target=opinion,
                         after={"attachment": att.pk, "name": name, "sha256": att.sha256, "size": att.size},
                         application=a.application)
    except BaseException:
        for path in stored:  # the row was not saved: leave no orphan file behind
            storage.delete(path)
        raise
    return att


def opinion_attachment_remove(*, actor, attachment_id: int) -> None:
    """Remove an attachment from a draft; the stored file goes too unless another row still uses it
    (a signed version the draft corrects keeps its own copy of the row)."""
    with transaction.atomic():
        att = OpinionAttachment.objects.filter(pk=attachment_id).only("pk", "opinion_id").first()
        if att is None:
            raise ServiceError(_("No such attachment."), code="not_found")
        opinion, a = _attachable_draft(actor, att.opinion_id, "remove attachments of the opinion")
        att = OpinionAttachment.objects.select_for_update().filter(pk=attachment_id, opinion=opinion).first()
        if att is None:  # removed meanwhile
            raise ServiceError(_("No such attachment."), code="not_found")
        path = att.file.name
        snapshot = {"attachment": att.pk, "name": att.original_name, "sha256": att.sha256}
        att.delete()
        audit_record(actor=actor, verb=AuditVerb.OPINION_ATTACHMENT_REMOVE, target=opinion, before=snapshot,
                     application=a.application)
        if not OpinionAttachment.objects.filter(file=path).exists():
            storage = OpinionAttachment._meta.get_field("file").storage
            transaction.on_commit(lambda: storage.delete(path))
