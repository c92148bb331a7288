"""Review by the agencies: who works on an assignment, opinions and findings, clock pauses, the
consolidated joint notice of a round, answers and resubmission, and the approval certificate.

Decisions (also in the README's review section):

- **Who writes an opinion**: the acting reviewer of the assignment (A, or B while A is marked
  absent) or the lead of the assignment's agency; only on a draft; only while the assignment is
  open. A correction after signing is a new draft version (``supersedes`` + a reason) which may be
  edited while the round's joint notice is not yet issued.
- **Signing** refuses a revise/reject outcome without findings ("signing an empty return") and a
  passing outcome that leaves a mandatory finding open. Signing stops the assignment clock and,
  under a lock on the round row, decides whether this was the last open assignment of the round;
  if so the round is completed and the consolidation task is enqueued on commit.
- **Application status when the centre issues a joint notice**: any 不予通过 (reject) outcome ->
  REJECTED (final: 不予许可 ends the case; the application clock stops); else any 修改后复审
  (revise) -> REVISION (the application clock pauses for the revision, docs/domain.md §4.2.3); else it stays
  ACCEPTED and is ready for a certificate. APPROVED is never automatic.
- **Next round**: only agencies whose latest outcome was *revise*; a new Assignment with
  ``previous`` set, the same A/B reviewers, a clock per the items' resubmission policy (resume:
  the remaining days of the previous clock; restart: the full promised limit). Carried findings:
  the previous opinion's OPEN findings are copied (``carried_from``, with the owner's answer) into
  the new draft when the reviewer opens it (first ``opinion_save_draft``/``finding_add``); the
  reviewer closes or keeps each. Passed agencies carry over without a new assignment.
- **Certificate**: every agency's latest assignment has a passing signed opinion and every 容缺
  deferral is fulfilled; kind CERTIFICATE, or ACCEPTANCE_OPINION for joint acceptance workflows.
- **Attachments** (意见附件): added/removed only on a draft, by the same writers as findings;
  checked with intake's validators (pdf, jpg, png, dwg, zip by content); stored under
  ``opinions/<sha256[:2]>/<sha256>``; a correction copies the rows (same stored files); the joint
  notice lists their names per opinion. The owner downloads them only once the notice is issued.
"""
from jointreview.review.services.assignments import assignment_assign, user_mark_absent
from jointreview.review.services.attachments import (
    ATTACHMENT_TYPES,
    opinion_attach,
    opinion_attachment_remove,
)
from jointreview.review.services.certificate import (
    certificate_issue,
    certificate_outstanding,
    certificate_outstanding_many,
)
from jointreview.review.services.common import CONSOLIDATE_TASK, latest_signed
from jointreview.review.services.consolidation import consolidation_sweep, notice_issue, round_consolidate
from jointreview.review.services.findings import finding_add, finding_remove, finding_respond, finding_update
from jointreview.review.services.opinions import opinion_correct, opinion_save_draft, opinion_sign
from jointreview.review.services.pauses import pause_decide, pause_end, pause_request
from jointreview.review.services.resubmission import application_resubmit

__all__ = [
    "ATTACHMENT_TYPES",
    "CONSOLIDATE_TASK",
    "application_resubmit",
    "assignment_assign",
    "certificate_issue",
    "certificate_outstanding",
    "certificate_outstanding_many",
    "consolidation_sweep",
    "finding_add",
    "finding_remove",
    "finding_respond",
    "finding_update",
    "latest_signed",
    "notice_issue",
    "opinion_attach",
    "opinion_attachment_remove",
    "opinion_correct",
    "opinion_save_draft",
    "opinion_sign",
    "pause_decide",
    "pause_end",
    "pause_request",
    "round_consolidate",
    "user_mark_absent",
]
