"""Where the cockpit reads what other parts of issue 10 build (the merger wires them here, nowhere else).

- ``project_budgets``: part 10a's ``jointreview.clocks.selectors.project_budgets(project_ids)`` (per-project
  counters, projected finish, light). Used as soon as that function exists; until then no budget column.
- ``supervision_unanswered``: the supervision records (督办, jointreview/supervision) awaiting an answer.
"""
from __future__ import annotations

from collections.abc import Iterable

from jointreview.clocks import selectors as clock_selectors
from jointreview.models import SupervisionStatus
from jointreview.policy.supervision import supervision_records_for


def project_budgets(project_ids: Iterable[int]) -> dict:
    """project id -> budget (10a's object), or {} while budgets do not exist. One call per page."""
    budgets = getattr(clock_selectors, "project_budgets", None)
    if budgets is None or not project_ids:
        return {}
    return budgets(sorted(project_ids))


def supervision_unanswered(user) -> int:
    """How many supervision records (督办) wait for an answer, of those ``user`` may read (the centre:
    every record; jointreview/policy/supervision.py)."""
    return supervision_records_for(user).filter(status=SupervisionStatus.OPEN).count()
