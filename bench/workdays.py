"""Benchmark jointreview.workdays (no Django needed).

Run from the repo root: ``python bench/workdays.py``.  Times 100,000 due dates
(``WorkCalendar.add``), 100,000 clock evaluations and a naive day-by-day loop over
``chinese_calendar.is_workday`` for the same due dates; each figure is the median of
5 runs.  ``--quick`` times the naive loop on 10,000 due dates and scales by 10
(the full loop takes about a minute per run).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import chinese_calendar  # noqa: E402

from jointreview.workdays import ClockEvent, WorkCalendar, default_calendar, evaluate  # noqa: E402

N = 100_000
REPEATS = 5
SEED = 20251104
FIRST, LAST = date(2024, 1, 1), date(2027, 12, 31)


def make_due_inputs(rng: random.Random) -> list[tuple[date, int]]:
    days = (LAST - FIRST).days
    return [(FIRST + timedelta(rng.randrange(days + 1)), rng.randint(1, 30)) for _ in range(N)]


def make_clock_inputs(rng: random.Random) -> list[tuple[list[ClockEvent], date, int, str]]:
    days = (LAST - FIRST).days
    cases = []
    for _ in range(N):
        start = FIRST + timedelta(rng.randrange(days + 1))
        events = [ClockEvent("start", start)]
        cursor = start
        if rng.random() < 0.5:
            cursor += timedelta(rng.randint(0, 20))
            events.append(ClockEvent("pause", cursor, reason="补正"))
            if rng.random() < 0.8:
                cursor += timedelta(rng.randint(0, 30))
                events.append(ClockEvent("resume", cursor))
        if rng.random() < 0.3:
            cursor += timedelta(rng.randint(0, 10))
            events.append(ClockEvent("extend", cursor, rng.choice((10, 15)), "延长审批"))
        today = cursor + timedelta(rng.randint(0, 60))
        cases.append((events, today, rng.randint(1, 30), rng.choice(("resume", "restart"))))
    return cases


def naive_is_workday(d: date) -> bool:
    try:
        return chinese_calendar.is_workday(d)
    except NotImplementedError:
        return d.weekday() < 5


def naive_add(start: date, n: int) -> date:
    d = start
    one = timedelta(days=1)
    while n:
        d += one
        if naive_is_workday(d):
            n -= 1
    return d


def time_due(cal: WorkCalendar, inputs: list[tuple[date, int]]) -> float:
    add = cal.add
    t0 = time.perf_counter()
    for start, n in inputs:
        add(start, n)
    return time.perf_counter() - t0


def time_clock(cal: WorkCalendar, cases: list[tuple[list[ClockEvent], date, int, str]]) -> float:
    t0 = time.perf_counter()
    for events, today, limit, policy in cases:
        evaluate(events, limit=limit, calendar=cal, today=today, policy=policy)  # type: ignore[arg-type]
    return time.perf_counter() - t0


def time_loop(inputs: list[tuple[date, int]]) -> float:
    t0 = time.perf_counter()
    for start, n in inputs:
        naive_add(start, n)
    return time.perf_counter() - t0


def median_of(fn, *args) -> float:  # noqa: ANN001
    return statistics.median(fn(*args) for _ in range(REPEATS))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="time the naive loop on 10k inputs, scaled x10")
    args = parser.parse_args()

    t0 = time.perf_counter()
    cal = default_calendar()
    build = time.perf_counter() - t0
    rng = random.Random(SEED)
    due_inputs = make_due_inputs(rng)
    clock_inputs = make_clock_inputs(rng)

    # sanity: the fast path agrees with the naive walk on a sample
    for start, n in due_inputs[:2000]:
        assert cal.add(start, n) == naive_add(start, n), (start, n)

    due = median_of(time_due, cal, due_inputs)
    clock = median_of(time_clock, cal, clock_inputs)
    if args.quick:
        loop = median_of(time_loop, due_inputs[: N // 10]) * 10
        loop_label = "naive loop (10k sample x10)"
    else:
        loop = median_of(time_loop, due_inputs)
        loop_label = "naive loop"

    print(f"calendar build: {build:.3f} s (span {cal.span[0]}..{cal.span[1]})")
    print(f"due dates x{N}: median {due:.3f} s over {REPEATS} runs ({due / N * 1e6:.2f} us/call)")
    print(f"clock evaluations x{N}: median {clock:.3f} s over {REPEATS} runs ({clock / N * 1e6:.2f} us/call)")
    print(f"{loop_label} x{N}: median {loop:.3f} s over {REPEATS} runs")
    print(f"BENCH workdays due_100k_s={due:.3f} clock_100k_s={clock:.3f} loop_ratio={loop / due:.3f}")


if __name__ == "__main__":
    main()
