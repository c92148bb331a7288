"""The single window (一窗受理): projects, applications, documents, completeness, 一次告知, 容缺, 受理.

One module per family of actions (docs/architecture.md §2.3), all re-exported here:

- ``projects``: ``project_register``;
- ``applications``: ``derive_items``, ``application_open``, ``application_choose_intermediary``,
  ``missing_for_submit``, ``application_submit``, ``application_withdraw``;
- ``uploads``: ``document_upload`` and the file checks (``validate_file_name``, ``validate_upload``);
- ``window``: ``completeness_check``, ``application_return`` (一次告知), the 容缺 validation;
- ``acceptance``: ``acceptance_date``, ``assignment_clock_params``, ``application_accept``;
- ``survey``: ``survey_report_deliver`` (多测合一);
- ``common``: the application lock, numbering and the window's guards.

Every function is a service (docs/architecture.md §3.2): keyword-only, ``actor`` first, one transaction, state
transitions by conditional update, one audit event per state change, side effects on commit.

Rules decided here (documented in the README's intake section):

- **Required items**: every active item of the workflow is evaluated with its applicability rule
  (``jointreview.rules``); then a regional evaluation (区域评估, docs/domain.md §5.2) applies when the
  project is in the evaluation's zone, the evaluation is valid today, covers the item, the project's
  flow type is not on its negative list and the project is within its floor-area/investment limits.
  ``exempt`` -> the item is not required; ``simplified``/``commitment`` -> still required, flagged, and
  the evaluation named in the reason.
- **Submit** needs every material of the required items, except non-essential materials of items that
  allow 容缺 (they may be deferred at acceptance), and a firm for every competitive item.
- **一次告知**: the window must have checked every submitted material before returning, so that the ONE
  notice lists every defect (missing materials are marked missing automatically).
- **Acceptance date** (docs/domain.md §4.1): today, unless the completeness check took longer than
  ``workflow.check_limit_days`` working days after the receipt (the latest submission): then the
  application is deemed accepted on the receipt date and the clocks start from it.
- **Assignments**: required items grouped by agency, ONE assignment per agency (round 1). Each
  assignment clock takes the longest promised limit of its items (that item's unit, resubmission
  policy and warning thresholds; the centre's defaults when the item has none).
- **多测合一** (workflow kind ``joint_survey``): the survey items (competitive or kind 中介服务) go to the
  ONE surveying firm as the single assignment; every other required item of the workflow names a
  receiving department, which gets its own SurveyReport (分编报告) to be delivered by the firm.
- **一次收费** (``workflow.single_fee``): one FeeOrder = the sum of the required items' fees, one FeeSplit
  per recipient agency with a non-zero share.
"""
from jointreview.intake.services.acceptance import (
    acceptance_date,
    application_accept,
    assignment_clock_params,
)
from jointreview.intake.services.applications import (
    ItemDecision,
    application_choose_intermediary,
    application_open,
    application_submit,
    application_withdraw,
    derive_items,
    missing_for_submit,
)
from jointreview.intake.services.projects import PROJECT_FIELDS, project_register
from jointreview.intake.services.survey import survey_report_deliver
from jointreview.intake.services.uploads import (
    FILE_TYPES,
    MAX_NAME_LEN,
    allowed_extensions,
    document_upload,
    validate_file_name,
    validate_upload,
)
from jointreview.intake.services.uploads import (
    _read_upload as _read_upload,  # review's attachment upload reads a file the same way
)
from jointreview.intake.services.window import application_return, completeness_check

__all__ = [
    "FILE_TYPES",
    "MAX_NAME_LEN",
    "PROJECT_FIELDS",
    "ItemDecision",
    "acceptance_date",
    "allowed_extensions",
    "application_accept",
    "application_choose_intermediary",
    "application_open",
    "application_return",
    "application_submit",
    "application_withdraw",
    "assignment_clock_params",
    "completeness_check",
    "derive_items",
    "document_upload",
    "missing_for_submit",
    "project_register",
    "survey_report_deliver",
    "validate_file_name",
    "validate_upload",
]
