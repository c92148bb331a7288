"""Where the cockpit reads what other parts of issue 10 build (the merger wires them here, nowhere else).

- ``project_budgets``: ``jointreview.clocks.budgets.project_budgets(project_ids)`` (per-project counters,
  projected finish, light).
- ``supervision_unanswered``: the supervision records (督办, jointreview/supervision) awaiting an answer.
"""
from __future__ import annotations

from collections.abc import Iterable

from jointreview.clocks import budgets
from jointreview.models import SupervisionStatus
from jointreview.policy.supervision import supervision_records_for


def project_budgets(project_ids: Iterable[int]) -> dict:
    """project id -> ``clocks.budgets.ProjectBudget`` (the cockpit is the centre's: every project), in a
    constant number of queries. One call per page."""
    if not project_ids:
        return {}
    return budgets.project_budgets(sorted(project_ids))


def supervision_unanswered(user) -> int:
    """How many supervision records (督办) wait for an answer, of those ``user`` may read (the centre:
    every record; jointreview/policy/supervision.py)."""
    return supervision_records_for(user).filter(status=SupervisionStatus.OPEN).count()
