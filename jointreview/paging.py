"""Pages of a long sorted list read in two steps: the ids of one page from a narrow query (the filters,
the sort and the limit on one table), then that page's rows with everything they show, fetched by id.

A list query that joins every related table before sorting and limiting makes PostgreSQL plan a many-table
join and build every row of the user's whole list to keep 50; the two steps plan two small queries and
build 50 rows. ``RowsById`` is what ``django.core.paginator.Paginator`` (and so DRF's page-number
pagination) pages: it counts and slices the id query and returns each slice's rows in the id order.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import QuerySet


class RowsById:
    def __init__(self, ids: QuerySet, fetch: Callable[[list[int]], Iterable[Any]]):
        self.ids = ids.values_list("pk", flat=True)
        self.fetch = fetch
        self.ordered = ids.ordered  # Paginator warns about an unordered list

    def count(self) -> int:
        return self.ids.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key):
        if not isinstance(key, slice):
            return self[key:key + 1][0]
        page_ids = list(self.ids[key])
        by_id = {row.pk: row for row in self.fetch(page_ids)}
        return [by_id[pk] for pk in page_ids if pk in by_id]
