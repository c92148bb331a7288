"""Where the cockpit reads what other parts of issue 10 build (the merger wires them here, nowhere else).

- ``project_budgets``: part 10a's ``jointreview.clocks.selectors.project_budgets(project_ids)`` (per-project
  counters, projected finish, light). Used as soon as that function exists; until then no budget column.
- ``supervision_unanswered``: part 10b's unanswered supervision records (督办). Until the supervision
  package exists it answers None and the cockpit shows no such count (it never shows a made-up 0).
"""
from __future__ import annotations

from collections.abc import Iterable

from jointreview.clocks import selectors as clock_selectors


def project_budgets(project_ids: Iterable[int]) -> dict:
    """project id -> budget (10a's object), or {} while budgets do not exist. One call per page."""
    budgets = getattr(clock_selectors, "project_budgets", None)
    if budgets is None or not project_ids:
        return {}
    return budgets(sorted(project_ids))


def supervision_unanswered(user) -> int | None:
    """How many supervision records (督办) wait for an answer, as ``user`` may see them; None while the
    supervision package (part 10b) does not exist. MERGER: return 10b's count of open records here."""
    return None
