"""Tests for jointreview.workdays (pure: no Django, no database, fixed dates only)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jointreview.workdays import (
    ClockError,
    ClockEvent,
    WorkCalendar,
    default_calendar,
    evaluate,
    validate,
)

D = date
CAL = default_calendar()


def ev(kind: str, on: date, days: int = 0) -> ClockEvent:
    return ClockEvent(kind, on, days)


# ---------------------------------------------------------------------------
# Official facts (package data)
# ---------------------------------------------------------------------------


def test_2025_national_day_and_mid_autumn():
    for day in range(1, 9):
        assert not CAL.is_workday(D(2025, 10, day)), f"2025-10-{day:02d} is a holiday"
    # 调休: Sunday 28 Sep and Saturday 11 Oct were working days
    assert D(2025, 9, 28).weekday() == 6 and CAL.is_workday(D(2025, 9, 28))
    assert D(2025, 10, 11).weekday() == 5 and CAL.is_workday(D(2025, 10, 11))
    assert CAL.is_workday(D(2025, 10, 9))
    assert CAL.day_name(D(2025, 10, 1)) == "National Day"
    assert CAL.day_name(D(2025, 10, 1), chinese=True) == "国庆节"
    assert CAL.day_name(D(2025, 10, 6)) == "Mid-autumn Festival"
    assert CAL.day_name(D(2025, 9, 28)) is None  # working day
    assert CAL.day_name(D(2025, 10, 12)) == "weekend"
    assert CAL.day_name(D(2025, 10, 12), chinese=True) == "周末"


@pytest.mark.parametrize(
    "d", [D(2026, 1, 4), D(2026, 2, 14), D(2026, 2, 28), D(2026, 5, 9), D(2026, 9, 20), D(2026, 10, 10)]
)
def test_2026_working_weekend_days(d):
    assert d.weekday() >= 5
    assert CAL.is_workday(d)
    assert CAL.day_name(d) is None
    assert not CAL.is_provisional(d)


def test_2025_spring_festival():
    for offset in range(8):  # 28 Jan .. 4 Feb 2025 off
        d = D(2025, 1, 28) + timedelta(offset)
        assert not CAL.is_workday(d)
        assert CAL.day_name(d) == "Spring Festival"
    assert CAL.is_workday(D(2025, 1, 26))  # Sunday worked
    assert CAL.is_workday(D(2025, 2, 8))  # Saturday worked
    # Fri 24 Jan + 5: Sun 26 (1), Mon 27 (2), [28 Jan-4 Feb off], 5 Feb (3), 6 (4), 7 (5)
    assert CAL.add(D(2025, 1, 24), 5) == D(2025, 2, 7)


def test_cli_style_facts():
    # Start Fri 2025-09-26 (not counted). Sat 27 off; Sun 28 worked (1); Mon 29 (2);
    # Tue 30 (3); 1-8 Oct National Day + Mid-Autumn off; Thu 9 Oct (4); Fri 10 Oct (5).
    assert CAL.add(D(2025, 9, 26), 5) == D(2025, 10, 10)
    # Same five days lie in (26 Sep, 10 Oct].
    assert CAL.between(D(2025, 9, 26), D(2025, 10, 10)) == 5
    assert CAL.between(D(2025, 10, 10), D(2025, 9, 26)) == 0
    assert CAL.between(D(2025, 10, 10), D(2025, 10, 10)) == 0


def test_add_zero_and_one():
    assert CAL.add(D(2025, 10, 9), 0) == D(2025, 10, 9)
    assert CAL.add(D(2025, 10, 1), 0) == D(2025, 10, 9)
    assert CAL.add(D(2025, 9, 30), 1) == D(2025, 10, 9)
    assert CAL.add(D(2025, 10, 9), 1) == D(2025, 10, 10)


def test_add_natural_rolls_forward():
    # 20 Sep 2025 + 10 = Tue 30 Sep (a working day)
    assert CAL.add_natural(D(2025, 9, 20), 10) == D(2025, 9, 30)
    # + 11 = 1 Oct (holiday) -> rolls forward to 9 Oct (民法典 §203)
    assert CAL.add_natural(D(2025, 9, 20), 11) == D(2025, 10, 9)


def test_matches_package_day_by_day():
    lo, hi = CAL.package_years
    d, end = D(lo, 1, 1), D(hi, 12, 31)
    while d <= end:
        assert CAL.is_workday(d) == chinese_calendar.is_workday(d), d
        d += timedelta(1)


def test_package_years_derived_from_package_data():
    keys = [*chinese_calendar.holidays, *chinese_calendar.workdays]
    assert CAL.package_years == (min(keys).year, max(keys).year)
    fake = WorkCalendar(package_holidays={D(2031, 1, 1): "New Year's Day"}, package_workdays={})
    assert fake.package_years == (2031, 2031)
    assert not fake.is_workday(D(2031, 1, 1))
    assert not fake.is_provisional(D(2031, 6, 2))
    assert fake.is_provisional(D(2030, 6, 3))


# ---------------------------------------------------------------------------
# Provisional behaviour and overrides
# ---------------------------------------------------------------------------


def test_uncovered_year_is_provisional_mon_fri():
    assert not CAL.has_data_for(2027)
    assert CAL.is_provisional(D(2027, 1, 1))
    assert CAL.is_workday(D(2027, 1, 1))  # a Friday; counts Mon-Fri until data arrives
    assert not CAL.is_workday(D(2027, 1, 2))
    assert CAL.span_provisional(D(2026, 12, 20), D(2027, 1, 1))
    assert not CAL.span_provisional(D(2026, 1, 1), D(2026, 12, 31))
    # Thu 24 Dec 2026 + 10: 25, 28-31 Dec (5), 1 Jan 2027 provisional workday (6), 4-7 Jan (10)
    assert CAL.add(D(2026, 12, 24), 10) == D(2027, 1, 7)


def test_far_outside_precomputed_span():
    for d in (D(1999, 3, 1), D(2100, 1, 4)):
        assert CAL.is_provisional(d)
        assert CAL.is_workday(d) == (d.weekday() < 5)
    assert CAL.add(D(2100, 1, 1), 1) == D(2100, 1, 4)  # Fri -> Mon
    assert CAL.between(D(2100, 1, 1), D(2100, 1, 11)) == 6
    assert CAL.span_provisional(D(2025, 1, 1), D(2100, 1, 1))


def test_override_makes_day_known_and_wins():
    cal = WorkCalendar(
        overrides={
            D(2027, 1, 1): (False, "元旦"),
            D(2025, 10, 8): (True, "centre working day"),
            D(2025, 10, 10): (False, "local closure"),
        }
    )
    assert not cal.is_workday(D(2027, 1, 1))
    assert cal.day_name(D(2027, 1, 1)) == "元旦"
    assert not cal.is_provisional(D(2027, 1, 1))
    assert cal.is_provisional(D(2027, 1, 4))  # rest of 2027 still unknown
    assert cal.is_workday(D(2025, 10, 8))  # beats the package
    assert not cal.is_workday(D(2025, 10, 10))
    assert cal.day_name(D(2025, 10, 10)) == "local closure"


def test_official_year_is_not_provisional():
    cal = WorkCalendar(
        overrides={D(2027, 2, 8): (False, "春节"), D(2027, 2, 6): (True, "春节调休")},
        official_years={2027},
    )
    assert cal.has_data_for(2027)
    assert not cal.is_provisional(D(2027, 6, 1))
    assert not cal.span_provisional(D(2027, 1, 1), D(2027, 12, 31))
    assert not cal.is_workday(D(2027, 2, 8))
    assert cal.is_workday(D(2027, 2, 6))  # a Saturday, swapped to a working day
    assert cal.is_workday(D(2027, 2, 9))
    assert cal.is_provisional(D(2028, 1, 3))


def test_official_year_supersedes_package_for_that_year():
    cal = WorkCalendar(official_years={2026}, overrides={D(2026, 10, 1): (False, "国庆节")})
    assert not cal.is_workday(D(2026, 10, 1))
    assert cal.is_workday(D(2026, 10, 2))  # not imported as an override -> Mon-Fri
    assert not cal.is_workday(D(2026, 10, 10))  # package swap day ignored for an official year


@pytest.mark.parametrize(
    "call",
    [
        lambda: CAL.add(D(2025, 1, 2), -1),
        lambda: CAL.add(D(2025, 1, 2), 1.5),
        lambda: CAL.add(D(2025, 1, 2), True),
        lambda: CAL.add(datetime(2025, 1, 2, 9, 0), 1),
        lambda: CAL.add("2025-01-02", 1),
        lambda: CAL.between(D(2025, 1, 2), None),
        lambda: CAL.is_workday(20250102),
        lambda: CAL.add_natural(D(2025, 1, 2), -3),
        lambda: WorkCalendar(overrides={D(2025, 1, 2): "closed"}),
    ],
)
def test_bad_arguments_raise_value_error(call):
    with pytest.raises(ValueError):
        call()


# ---------------------------------------------------------------------------
# Property tests
# ---------------------------------------------------------------------------

dates = st.dates(min_value=D(2002, 1, 1), max_value=D(2032, 12, 31))
counts = st.integers(min_value=1, max_value=400)


@settings(max_examples=400, deadline=None)
@given(dates, counts)
def test_between_inverts_add(d, n):
    assert CAL.between(d, CAL.add(d, n)) == n


@settings(max_examples=300, deadline=None)
@given(dates, st.integers(min_value=0, max_value=300), st.integers(min_value=0, max_value=300))
def test_add_monotone_in_n(d, n1, n2):
    lo, hi = sorted((n1, n2))
    assert CAL.add(d, lo) <= CAL.add(d, hi)
    if lo < hi:
        assert CAL.add(d, lo) < CAL.add(d, hi)


@settings(max_examples=300, deadline=None)
@given(dates, st.integers(min_value=0, max_value=400))
def test_add_result_is_a_workday(d, n):
    assert CAL.is_workday(CAL.add(d, n))
    assert CAL.is_workday(CAL.add_natural(d, n))
    if n >= 1 or CAL.is_workday(d):  # add(d, n + 1) is the first working day after add(d, n)
        assert_next_workday(CAL.add(d, n), CAL.add(d, n + 1))
    else:  # add(d, 0) on a rest day is already the first working day after d
        assert CAL.add(d, 1) == CAL.add(d, 0)
        assert_next_workday(d, CAL.add(d, 0))


def assert_next_workday(before: date, after: date) -> None:
    assert after > before and CAL.is_workday(after)
    assert not any(CAL.is_workday(before + timedelta(k)) for k in range(1, (after - before).days))


@settings(max_examples=150, deadline=None)
@given(dates, st.integers(min_value=0, max_value=40))
def test_add_matches_naive_walk(d, n):
    def naive(x: date) -> bool:
        try:
            return chinese_calendar.is_workday(x)
        except NotImplementedError:
            return x.weekday() < 5

    cur, left = d, n
    if n == 0:
        while not naive(cur):
            cur += timedelta(1)
    while left:
        cur += timedelta(1)
        left -= naive(cur)
    assert CAL.add(d, n) == cur


@st.composite
def clock_cases(draw):
    start = draw(dates)
    limit = draw(st.integers(min_value=0, max_value=60))
    pause_at = start + timedelta(draw(st.integers(min_value=0, max_value=90)))
    resume_at = pause_at + timedelta(draw(st.integers(min_value=0, max_value=60)))
    ext_at = start + timedelta(draw(st.integers(min_value=0, max_value=120)))
    ext_days = draw(st.integers(min_value=1, max_value=20))
    today = start + timedelta(draw(st.integers(min_value=0, max_value=400)))
    with_pause = draw(st.booleans())
    with_ext = draw(st.booleans())
    events = [ev("start", start)]
    if with_pause:
        events += [ev("pause", pause_at), ev("resume", resume_at)]
    if with_ext:
        events.append(ev("extend", ext_at, ext_days))
    events.sort(key=lambda e: (e.on, e.kind != "start"))
    unit = draw(st.sampled_from(["working", "natural"]))
    policy = draw(st.sampled_from(["resume", "restart"]))
    return start, limit, events, today, unit, policy


@settings(max_examples=400, deadline=None)
@given(clock_cases())
def test_pauses_and_extensions_never_shorten_deadline(case):
    start, limit, events, today, unit, policy = case
    kw = dict(limit=limit, unit=unit, calendar=CAL, today=today, policy=policy)
    base = evaluate([ev("start", start)], **kw)
    full = evaluate(events, **kw)
    assert full.due_date >= base.due_date
    assert CAL.is_workday(full.due_date)
    assert CAL.is_workday(base.due_date)
    assert full.used <= base.used
    assert full.limit >= limit


# ---------------------------------------------------------------------------
# Clock evaluation
# ---------------------------------------------------------------------------


def test_not_started():
    st_ = evaluate([], limit=20, calendar=CAL, today=D(2025, 3, 3))
    assert (st_.state, st_.due_date, st_.used, st_.remaining, st_.light) == (
        "not_started",
        None,
        0,
        20,
        "green",
    )


def test_running_yellow_then_red_over_national_day():
    events = [ev("start", D(2025, 9, 26))]
    s = evaluate(events, limit=5, calendar=CAL, today=D(2025, 10, 9))
    assert (s.state, s.due_date, s.used, s.remaining, s.light, s.overdue) == (
        "running",
        D(2025, 10, 10),
        4,
        1,
        "yellow",
        False,
    )
    s = evaluate(events, limit=5, calendar=CAL, today=D(2025, 10, 13))
    # counted: 28, 29, 30 Sep, 9, 10, 11 (Sat worked), 13 Oct
    assert (s.used, s.remaining, s.light, s.overdue) == (7, -2, "red", True)


def test_pause_resume_policy_resume_and_restart():
    events = [ev("start", D(2025, 3, 3)), ev("pause", D(2025, 3, 7)), ev("resume", D(2025, 3, 14))]
    s = evaluate(events, limit=20, calendar=CAL, today=D(2025, 3, 20))
    # 4 days used before the pause (4-7 Mar); add(14 Mar, 16) skips 清明 (4 Apr) -> 8 Apr
    assert s.due_date == D(2025, 4, 8)
    assert (s.used, s.paused_days, s.remaining, s.light) == (8, 5, 12, "green")
    r = evaluate(events, limit=20, calendar=CAL, today=D(2025, 3, 20), policy="restart")
    assert r.due_date == CAL.add(D(2025, 3, 14), 20) == D(2025, 4, 14)
    assert (r.used, r.remaining) == (8, 16)  # used is total government days; remaining restarted


def test_paused_state_projects_resume_today():
    events = [ev("start", D(2025, 3, 3)), ev("pause", D(2025, 3, 7))]
    s = evaluate(events, limit=20, calendar=CAL, today=D(2025, 3, 12))
    assert s.state == "paused"
    assert (s.used, s.paused_days, s.remaining) == (4, 3, 16)
    assert s.due_date == CAL.add(D(2025, 3, 12), 16)
    assert not s.overdue


def test_extension_adds_days_without_pausing():
    events = [ev("start", D(2025, 3, 3)), ev("extend", D(2025, 3, 20), 10)]
    s = evaluate(events, limit=20, calendar=CAL, today=D(2025, 3, 24))
    assert s.limit == 30
    assert s.due_date == CAL.add(D(2025, 3, 3), 30)
    assert s.used == CAL.between(D(2025, 3, 3), D(2025, 3, 24)) == 15
    assert s.remaining == 15


def test_stop_in_time_and_late():
    start = ev("start", D(2025, 3, 3))
    s = evaluate([start, ev("stop", D(2025, 3, 5))], limit=3, calendar=CAL, today=D(2025, 6, 1))
    assert (s.state, s.used, s.remaining, s.light, s.overdue) == ("stopped", 2, 1, "green", False)
    s = evaluate([start, ev("stop", D(2025, 3, 10))], limit=3, calendar=CAL, today=D(2025, 6, 1))
    assert (s.state, s.due_date, s.used, s.light, s.overdue) == ("stopped", D(2025, 3, 6), 5, "red", True)


def test_resume_after_being_overdue_keeps_past_due_date():
    events = [ev("start", D(2025, 3, 3)), ev("pause", D(2025, 3, 10)), ev("resume", D(2025, 3, 17))]
    s = evaluate(events, limit=3, calendar=CAL, today=D(2025, 3, 18))
    assert (s.due_date, s.used, s.remaining, s.light, s.overdue) == (D(2025, 3, 6), 6, -3, "red", True)


def test_events_after_today_are_ignored():
    events = [ev("start", D(2025, 3, 3)), ev("pause", D(2025, 3, 20))]
    s = evaluate(events, limit=20, calendar=CAL, today=D(2025, 3, 10))
    assert s.state == "running" and s.used == 5


def test_warn_percent_threshold():
    events = [ev("start", D(2025, 3, 3))]
    # limit 30: remaining 6 -> 6*100 <= 20*30 -> yellow; remaining 7 -> green
    assert evaluate(events, limit=30, calendar=CAL, today=CAL.add(D(2025, 3, 3), 24)).light == "yellow"
    assert evaluate(events, limit=30, calendar=CAL, today=CAL.add(D(2025, 3, 3), 23)).light == "green"


def test_natural_unit_clock():
    s = evaluate([ev("start", D(2025, 9, 20))], limit=11, unit="natural", calendar=CAL, today=D(2025, 9, 25))
    assert s.due_date == D(2025, 10, 9)
    assert s.used == 5 and s.remaining == 6


def test_clock_provisional_when_due_reaches_uncovered_year():
    s = evaluate([ev("start", D(2026, 12, 10))], limit=20, calendar=CAL, today=D(2026, 12, 11))
    assert s.due_date.year == 2027 and s.provisional
    assert not evaluate([ev("start", D(2026, 3, 2))], limit=20, calendar=CAL, today=D(2026, 3, 3)).provisional


@pytest.mark.parametrize(
    ("events", "needle"),
    [
        ([ev("start", D(2025, 3, 3)), ev("resume", D(2025, 3, 4))], "without a preceding pause"),
        ([ev("pause", D(2025, 3, 3))], "before the clock was started"),
        (
            [ev("start", D(2025, 3, 3)), ev("stop", D(2025, 3, 4)), ev("pause", D(2025, 3, 5))],
            "after the clock was stopped",
        ),
        ([ev("start", D(2025, 3, 3)), ev("extend", D(2025, 3, 4), 0)], "positive number of days"),
        ([ev("start", D(2025, 3, 3)), ev("extend", D(2025, 3, 4), -5)], "positive number of days"),
        ([ev("start", D(2025, 3, 3)), ev("start", D(2025, 3, 4))], "second start"),
        ([ev("start", D(2025, 3, 3)), ev("pause", D(2025, 3, 1))], "dated before the previous event"),
        (
            [ev("start", D(2025, 3, 3)), ev("pause", D(2025, 3, 4)), ev("pause", D(2025, 3, 5))],
            "already paused",
        ),
        ([ev("start", D(2025, 3, 3)), ev("hold", D(2025, 3, 4))], "unknown kind"),
        ([ev("start", datetime(2025, 3, 3, 8, 0))], "datetime"),
    ],
)
def test_invalid_sequences(events, needle):
    with pytest.raises(ClockError, match=needle) as info:
        validate(events)
    assert "\n" not in str(info.value)
    with pytest.raises(ClockError, match=needle):
        evaluate(events, limit=5, calendar=CAL, today=D(2025, 4, 1))
    assert issubclass(ClockError, ValueError)


def test_evaluate_rejects_bad_parameters():
    events = [ev("start", D(2025, 3, 3))]
    with pytest.raises(ValueError, match="unit"):
        evaluate(events, limit=5, unit="hours", calendar=CAL, today=D(2025, 3, 4))
    with pytest.raises(ValueError, match="policy"):
        evaluate(events, limit=5, policy="reset", calendar=CAL, today=D(2025, 3, 4))
    with pytest.raises(ValueError, match="limit"):
        evaluate(events, limit=-1, calendar=CAL, today=D(2025, 3, 4))
