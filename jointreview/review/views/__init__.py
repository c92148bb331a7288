"""The agencies' workspace, the centre's coordination, the owner's rounds page and the public
verification page. Views parse input, call one selector or service, render (docs/architecture.md §3.1).
"""
from jointreview.review.views.agency import (
    assignment_assign,
    assignment_detail,
    attachment_download,
    attachment_remove,
    attachment_upload,
    document_version,
    finding_add,
    finding_remove,
    finding_update,
    inbox,
    member_absent,
    opinion_correct,
    opinion_save,
    opinion_sign,
    pause_request,
)
from jointreview.review.views.centre import (
    certificate_issue,
    coordination,
    notice_issue,
    pause_decide,
    pause_end,
)
from jointreview.review.views.owner import (
    application_resubmit,
    application_rounds,
    finding_respond,
    issued_file,
    verify,
)

__all__ = [
    "application_resubmit",
    "application_rounds",
    "assignment_assign",
    "assignment_detail",
    "attachment_download",
    "attachment_remove",
    "attachment_upload",
    "certificate_issue",
    "coordination",
    "document_version",
    "finding_add",
    "finding_remove",
    "finding_respond",
    "finding_update",
    "inbox",
    "issued_file",
    "member_absent",
    "notice_issue",
    "opinion_correct",
    "opinion_save",
    "opinion_sign",
    "pause_decide",
    "pause_end",
    "pause_request",
    "verify",
]
