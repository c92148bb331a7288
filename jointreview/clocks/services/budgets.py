"""The cached project lights (ProjectLight): refreshed in bulk, transitions returned once.

``project_budget_refresh`` evaluates every project with a started stage 1-3 clock (``clocks.budgets``) and moves
the cached rows with two set-based statements per batch: the figures for every row, and the light only where it
still holds the light read before (``UPDATE … WHERE light = old … RETURNING``). A concurrent second run finds the
light already moved and returns nothing for that project, so the escalation sweep raises each alert once.
"""
from __future__ import annotations

from datetime import date

from django.db import connection, transaction
from django.utils import timezone

from jointreview.clocks.budgets import COUNTED_APPLICATIONS, ProjectBudget, project_budgets
from jointreview.clocks.models import Light, ProjectLight
from jointreview.intake.models import Application

BATCH = 2000
_TABLE = ProjectLight._meta.db_table


def _figures_sql(n: int) -> str:
    rows = ", ".join(["(%s::bigint, %s::integer, %s::integer, %s::date, %s::boolean)"] * n)
    return (
        f"UPDATE {_TABLE} AS pl SET used_days = v.used, remaining_days = v.remaining, "  # noqa: S608 (no user input)
        "projected_finish = v.finish, complete = v.complete, evaluated_on = %s::date "
        f"FROM (VALUES {rows}) AS v(project_id, used, remaining, finish, complete) WHERE pl.project_id = v.project_id"
    )


def _light_sql(n: int) -> str:
    rows = ", ".join(["(%s::bigint, %s::varchar, %s::varchar)"] * n)
    return (
        f"UPDATE {_TABLE} AS pl SET light = v.new FROM (VALUES {rows}) AS v(project_id, old, new) "  # noqa: S608
        "WHERE pl.project_id = v.project_id AND pl.light = v.old RETURNING pl.project_id, v.old, v.new"
    )


def _refresh_batch(budgets: dict[int, ProjectBudget], today: date) -> list[tuple[int, str, str]]:
    ids = sorted(budgets)
    with transaction.atomic():
        ProjectLight.objects.bulk_create([ProjectLight(project_id=pk) for pk in ids], ignore_conflicts=True)
        # the rows locked in pk order (docs/architecture.md §3.7): a concurrent sweep waits here, then reads the
        # lights this one wrote, so it finds no transition to repeat
        old = dict(
            ProjectLight.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("project_id", "light")
        )
        figures: list = []
        for pk in ids:
            b = budgets[pk]
            figures += [pk, b.used, b.remaining, b.projected_finish, b.complete]
        moves: list = []
        for pk in ids:
            if old.get(pk) != budgets[pk].light:
                moves += [pk, old.get(pk, Light.GREEN), budgets[pk].light]
        with connection.cursor() as cur:
            cur.execute(_figures_sql(len(ids)), [today, *figures])  # evaluated_on comes first in the SQL
            if not moves:
                return []
            cur.execute(_light_sql(len(moves) // 3), moves)
            return sorted((int(pk), o, n) for pk, o, n in cur.fetchall())


def project_budget_refresh(*, today: date | None = None, batch_size: int = BATCH) -> list[tuple[int, str, str]]:
    """Re-evaluate every project with a started stage 1-3 clock; returns ``(project_id, old_light, new_light)``
    for each light that this run moved (a project evaluated for the first time starts from green)."""
    today = today or timezone.localdate()
    ids = sorted(set(
        Application.objects.filter(COUNTED_APPLICATIONS, clock__started_on__isnull=False)
        .values_list("project_id", flat=True)
    ))
    moved: list[tuple[int, str, str]] = []
    for start in range(0, len(ids), batch_size):
        budgets = project_budgets(ids[start:start + batch_size], today=today)
        if budgets:
            moved += _refresh_batch(budgets, today)
    return moved
