"""The working-day calendar (``WorkCalendar``): package data + official years + centre overrides.

Precedence and counting rules: see the package docstring (``jointreview/workdays/__init__.py``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from functools import lru_cache

import chinese_calendar

from jointreview.workdays.common import _check_count, _check_date, _from_ordinal, _kth_weekday, _weekdays_upto

WEEKEND = "weekend"
_WEEKEND_ZH = "周末"


def _package_chinese_name(name: str) -> str:
    try:
        return chinese_calendar.Holiday(name).chinese
    except ValueError:
        return name


def _checked_overrides(overrides: Mapping[date, tuple[bool, str]] | None) -> dict[date, tuple[bool, str]]:
    out = dict(overrides or {})
    for d, value in out.items():
        _check_date(d, "override date")
        if not (isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], bool)):
            raise ValueError(f"override for {d} must be (is_workday: bool, name: str), got {value!r}")
    return out


def _cumulative(
    is_work: bytearray, provisional: bytearray, lo: int
) -> tuple[list[int], list[int], list[int]]:
    """Cumulative working-day and provisional-day counts (index i: days of the span before index i),
    and the ordinals of the working days in order."""
    size = len(is_work)
    cum = [0] * (size + 1)
    cum_prov = [0] * (size + 1)
    work_ords: list[int] = []
    c = p = 0
    for i in range(size):
        if is_work[i]:
            c += 1
            work_ords.append(lo + i)
        p += provisional[i]
        cum[i + 1] = c
        cum_prov[i + 1] = p
    return cum, cum_prov, work_ords


def _ordinal_lookups(
    lo: int, hi: int, is_work: bytes, cum: list[int], work_ords: list[int]
) -> tuple[Callable[[int], bool], Callable[[int], int], Callable[[int], int]]:
    """work_ord(o), count(o) = W(o) and nth(k): the span's arrays inside it, Mon-Fri arithmetic outside."""
    base, total = lo - 1, cum[-1]  # cum is indexed by ordinal - base
    n_work, n_cum = len(is_work), len(cum)
    before = _weekdays_upto(lo - 1)  # Mon-Fri count up to the span start
    after = _weekdays_upto(hi)

    def work_ord(o: int) -> bool:
        i = o - lo
        if 0 <= i < n_work:
            return is_work[i] == 1
        return (o - 1) % 7 < 5

    def count(o: int) -> int:
        """W(o): working days with ordinal <= o, relative to the span start (may be negative)."""
        i = o - base
        if 0 <= i < n_cum:
            return cum[i]
        if i < 0:
            return _weekdays_upto(o) - before
        return total + _weekdays_upto(o) - after

    def nth(k: int) -> int:
        """Smallest ordinal o with W(o) >= k (always a working day)."""
        if 0 < k <= total:
            return work_ords[k - 1]
        if k <= 0:
            return _kth_weekday(k + before)
        return _kth_weekday(k - total + after)

    return work_ord, count, nth


def _ordinal_steps(
    work_ord: Callable[[int], bool], count: Callable[[int], int], nth: Callable[[int], int]
) -> tuple[Callable[[int, int], int], Callable[[int, int], int]]:
    """add_ord(o, n): n working days after o; add_natural_ord(o, n): o + n rolled to a working day."""

    def add_ord(o: int, n: int) -> int:
        if n:
            return nth(count(o) + n)
        return o if work_ord(o) else nth(count(o) + 1)

    def add_natural_ord(o: int, n: int) -> int:
        o += n
        return o if work_ord(o) else nth(count(o) + 1)

    return add_ord, add_natural_ord


def _span_provisional_check(lo: int, hi: int, cum_prov: list[int]) -> Callable[[int, int], bool]:
    """span_provisional_ord(a, b): is any day in [a, b] (either order) provisional."""
    base = lo - 1

    def span_provisional_ord(oa: int, ob: int) -> bool:
        if ob < oa:
            oa, ob = ob, oa
        if oa < lo or ob > hi:
            return True
        return cum_prov[ob - base] != cum_prov[oa - base - 1]

    return span_provisional_ord


class WorkCalendar:
    """Working-day calendar: package data + official years + centre overrides."""

    def __init__(
        self,
        overrides: Mapping[date, tuple[bool, str]] | None = None,
        official_years: Iterable[int] = (),
        *,
        margin_years: int = 3,
        package_holidays: Mapping[date, str] | None = None,
        package_workdays: Mapping[date, str] | None = None,
    ) -> None:
        """``package_*`` default to the installed ``chinese_calendar`` data (injectable for tests)."""
        holidays = chinese_calendar.holidays if package_holidays is None else package_holidays
        workdays = chinese_calendar.workdays if package_workdays is None else package_workdays
        _check_count(margin_years, "margin_years")
        self.official_years: frozenset[int] = frozenset(int(y) for y in official_years)
        overrides = _checked_overrides(overrides)
        package_dates = [*holidays.keys(), *workdays.keys()]
        self.package_years: tuple[int, int] | None = (
            (min(package_dates).year, max(package_dates).year) if package_dates else None
        )
        first_year, last_year = self._span_years(overrides, margin_years)
        lo = date(first_year, 1, 1).toordinal()
        hi = date(last_year, 12, 31).toordinal()
        self._lo, self._hi = lo, hi
        is_work, provisional, self._names = self._classify(lo, hi, overrides, holidays, workdays)
        self._is_work = bytes(is_work)
        self._prov = bytes(provisional)
        self._cum, self._cum_prov, self._work_ords = _cumulative(is_work, provisional, lo)
        self._bind_fast_paths()

    def _span_years(self, overrides: Mapping[date, tuple[bool, str]], margin_years: int) -> tuple[int, int]:
        """First and last year of the precomputed span: every year with data, plus ``margin_years``."""
        known_years = [d.year for d in overrides] + list(self.official_years)
        if self.package_years:
            known_years += list(self.package_years)
        if not known_years:
            known_years = [date.today().year]  # no data at all: everything is provisional
        return min(known_years), min(max(known_years) + margin_years, date.max.year - 1)

    def _classify(
        self,
        lo: int,
        hi: int,
        overrides: Mapping[date, tuple[bool, str]],
        holidays: Mapping[date, str],
        workdays: Mapping[date, str],
    ) -> tuple[bytearray, bytearray, dict[int, tuple[str, str]]]:
        """Each day of the span: working or not, provisional or not, and the name of a named rest day
        (English, Chinese), by the precedence of the package docstring."""
        size = hi - lo + 1
        is_work = bytearray(size)
        provisional = bytearray(size)
        names: dict[int, tuple[str, str]] = {}
        pkg_lo, pkg_hi = self.package_years or (1, 0)
        for i in range(size):
            o = lo + i
            d = date.fromordinal(o)
            weekday_work = d.weekday() < 5
            y = d.year
            if d in overrides:
                work, name = overrides[d]
                if not work:
                    names[o] = (name, name)
            elif y in self.official_years:
                work = weekday_work
            elif pkg_lo <= y <= pkg_hi:
                if d in workdays:
                    work = True
                elif d in holidays:
                    work = False
                    pkg_name = holidays[d]
                    names[o] = (pkg_name, _package_chinese_name(pkg_name))
                else:
                    work = weekday_work
            else:
                work = weekday_work
                provisional[i] = 1
            is_work[i] = work
        return is_work, provisional, names

    # -- internals (ordinals) -------------------------------------------------
    def _bind_fast_paths(self) -> None:
        """Build the ordinal helpers as closures over local arrays (hot paths of evaluate/add)."""
        work_ord, count, nth = _ordinal_lookups(self._lo, self._hi, self._is_work, self._cum, self._work_ords)
        add_ord, add_natural_ord = _ordinal_steps(work_ord, count, nth)
        self._work_ord: Callable[[int], bool] = work_ord
        self._count: Callable[[int], int] = count
        self._nth: Callable[[int], int] = nth
        self._add_ord: Callable[[int, int], int] = add_ord
        self._add_natural_ord: Callable[[int, int], int] = add_natural_ord
        self._span_provisional_ord: Callable[[int, int], bool] = _span_provisional_check(
            self._lo, self._hi, self._cum_prov
        )

    # -- public API -----------------------------------------------------------
    @property
    def span(self) -> tuple[date, date]:
        """First and last day of the precomputed span."""
        return date.fromordinal(self._lo), date.fromordinal(self._hi)

    def has_data_for(self, year: int) -> bool:
        """True if the year is covered by the package or imported as official."""
        if year in self.official_years:
            return True
        return self.package_years is not None and self.package_years[0] <= year <= self.package_years[1]

    def is_workday(self, d: date) -> bool:
        return self._work_ord(_check_date(d))

    def day_name(self, d: date, *, chinese: bool = False) -> str | None:
        """Holiday/override name, ``"weekend"`` for other rest days, None for working days."""
        o = _check_date(d)
        if self._work_ord(o):
            return None
        pair = self._names.get(o)
        if pair is None:
            return _WEEKEND_ZH if chinese else WEEKEND
        return pair[1] if chinese else pair[0]

    def add(self, start: date, n: int) -> date:
        """The n-th working day after ``start`` (start not counted); n=0 -> start or next workday."""
        o = _check_date(start, "start")
        return _from_ordinal(self._add_ord(o, _check_count(n)))

    # No caller in the product: evaluate(unit="natural") runs the same arithmetic (_add_natural_ord);
    # this is its public face, documented (docs/domain.md §4), and the tests check the roll-forward here.
    def add_natural(self, start: date, n: int) -> date:
        """``start + n`` natural days, rolled forward to a working day (民法典 §203)."""
        return _from_ordinal(self._add_natural_ord(_check_date(start, "start"), _check_count(n)))

    def between(self, a: date, b: date) -> int:
        """Working days in (a, b]; 0 if b <= a."""
        oa, ob = _check_date(a, "a"), _check_date(b, "b")
        if ob <= oa:
            return 0
        return self._count(ob) - self._count(oa)

    def is_provisional(self, d: date) -> bool:
        o = _check_date(d)
        i = o - self._lo
        if 0 <= i < len(self._prov):
            return bool(self._prov[i])
        return True

    def span_provisional(self, a: date, b: date) -> bool:
        """True if any date in [a, b] (either order) is provisional."""
        return self._span_provisional_ord(_check_date(a, "a"), _check_date(b, "b"))


@lru_cache(maxsize=1)
def default_calendar() -> WorkCalendar:
    """Package-only calendar (no overrides, no official years), built once."""
    return WorkCalendar()
