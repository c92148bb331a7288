"""The project budget's pure core: four counters, per stage and in total, projection and light (no database)."""
from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from jointreview.workdays import default_calendar
from jointreview.workdays.budget import AppTrack, AssignmentTrack, Event, StageRule, budget

D = date
CAL = default_calendar()
RULES = [StageRule("1", (1,), 12, 12), StageRule("2", (2,), 10, 10), StageRule("3", (3,), 18, 18, last_step=2)]


def E(kind, on, reason=""):
    return Event(kind, on, reason)


def gov(*events):
    return AssignmentTrack(list(events))


def firm(*events):
    return AssignmentTrack(list(events), intermediary=True)


def run(apps, *, today, filing, rules=RULES, target=40, margin=5):
    return budget(apps, rules=rules, filing_date=filing, target=target, calendar=CAL, today=today, margin=margin)


def counters(c):
    return (c.government, c.applicant, c.intermediary, c.suspended)


def test_holidays_are_not_counted_and_working_weekends_are():
    # 2025 National Day: 1-8 October off; Sunday 28 September and Saturday 11 October worked
    app = AppTrack(1, [E("start", D(2025, 9, 26))], [gov(E("start", D(2025, 9, 26)))])
    b = run([app], today=D(2025, 10, 11), filing=D(2025, 9, 26))
    # (26 Sep, 11 Oct]: 28, 29, 30 Sep, 9, 10, 11 Oct
    assert counters(b.total) == (6, 0, 0, 0)
    assert counters(b.stages[0].counters) == (6, 0, 0, 0)
    assert b.remaining == 34


def test_the_four_counters_share_the_days_without_counting_one_twice():
    app = AppTrack(3, [
        E("start", D(2025, 3, 3)), E("pause", D(2025, 3, 14), "revision"), E("resume", D(2025, 3, 21)),
    ], [
        gov(E("start", D(2025, 3, 3)), E("stop", D(2025, 3, 7))),  # 4-7 March: government
        firm(E("start", D(2025, 3, 3)), E("stop", D(2025, 3, 14))),  # 10-14 March: only the firm works
        gov(E("start", D(2025, 3, 21)), E("pause", D(2025, 3, 24), "expert_review")),  # 24: gov; 25-28 suspended
    ])
    b = run([app], today=D(2025, 3, 28), filing=D(2025, 3, 3))
    # government 4 + 1, owner 17-21 March (revision), intermediary 10-14, suspended 25-28 (expert review)
    assert counters(b.stages[2].counters) == (5, 5, 5, 4)
    assert counters(b.total) == (5, 5, 5, 4)
    assert b.total.elapsed == CAL.between(D(2025, 3, 3), D(2025, 3, 28))


def test_a_supplement_pause_is_owner_time_and_a_hearing_is_suspended():
    app = AppTrack(2, [
        E("start", D(2025, 3, 3)), E("pause", D(2025, 3, 5), "supplement"), E("resume", D(2025, 3, 10)),
        E("pause", D(2025, 3, 12), "hearing"),
    ])
    b = run([app], today=D(2025, 3, 14), filing=D(2025, 3, 3))
    assert counters(b.total) == (2 + 2, 3, 0, 2)  # 4-5, 11-12 gov; 6, 7, 10 owner; 13-14 hearing


def test_intermediary_time_before_the_application_clock_is_counted_apart():
    app = AppTrack(1, [E("start", D(2025, 3, 10))], [firm(E("start", D(2025, 3, 3)), E("stop", D(2025, 3, 10)))])
    b = run([app], today=D(2025, 3, 12), filing=D(2025, 3, 3))
    assert counters(b.total) == (2, 0, 5, 0)


def test_days_with_nothing_open_are_the_owners_in_the_total_only():
    app = AppTrack(1, [E("start", D(2025, 3, 10)), E("stop", D(2025, 3, 12))])
    b = run([app], today=D(2025, 3, 14), filing=D(2025, 3, 3))
    assert counters(b.stages[0].counters) == (2, 0, 0, 0)
    assert counters(b.total) == (2, 5 + 2, 0, 0)  # 4-7 and 10 March before applying; 13-14 after


def test_projection_adds_the_promised_days_of_what_remains():
    app = AppTrack(1, [E("start", D(2025, 3, 3))])
    b = run([app], today=D(2025, 3, 10), filing=D(2025, 3, 3))
    # stage 1: 5 used of 12 promised -> 7 more; stages 2 and 3 not started: 10 + 18
    assert b.stages[0].projected == 12 and not b.stages[1].started
    assert b.projected_total == 5 + 7 + 10 + 18
    assert b.projected_finish == CAL.add(D(2025, 3, 10), 35)
    assert b.light == "green"


def test_red_when_the_projection_exceeds_a_stage_cap():
    app = AppTrack(1, [E("start", D(2025, 3, 3))])
    b = run([app], today=D(2025, 3, 21), filing=D(2025, 3, 3))  # 14 used > cap 12, total still under 40
    assert b.stages[0].counters.government == 14 and b.stages[0].light == "red"
    assert b.remaining == 26 and b.light == "red"


def test_red_when_the_promised_limits_exceed_the_total_target():
    b = run([AppTrack(1, [E("start", D(2025, 3, 3))])], today=D(2025, 3, 4), filing=D(2025, 3, 3), target=30)
    assert b.projected_total == 40 and b.light == "red"


def test_yellow_within_the_margin_of_a_cap():
    app = AppTrack(1, [E("start", D(2025, 3, 3))])
    assert run([app], today=D(2025, 3, 12), filing=D(2025, 3, 3)).light == "yellow"  # 7 used: 5 left of 12
    assert run([app], today=D(2025, 3, 11), filing=D(2025, 3, 3)).light == "green"  # 6 left
    assert run([app], today=D(2025, 3, 11), filing=D(2025, 3, 3), margin=6).light == "yellow"


def test_merged_stages_share_one_cap():
    rules = [StageRule("1", (1,), 12, 12), StageRule("2+3", (2, 3), 28, 28, last_step=2)]
    two = AppTrack(2, [E("start", D(2025, 3, 3)), E("stop", D(2025, 3, 21))], approved_on=D(2025, 3, 21))
    b = run([two], today=D(2025, 3, 21), filing=D(2025, 3, 3), rules=rules)
    # 14 government days in stage 2: over a cap of 10 alone, inside the merged 28
    assert b.stages[1].counters.government == 14 and b.stages[1].light == "green"


def test_the_timeline_ends_at_the_construction_permit():
    drawings = AppTrack(3, [E("start", D(2025, 3, 3)), E("stop", D(2025, 3, 7))], approved_on=D(2025, 3, 7))
    permit = AppTrack(3, [E("start", D(2025, 3, 10)), E("stop", D(2025, 3, 12))], approved_on=D(2025, 3, 12),
                      ends_timeline=True, step=2)
    b = run([drawings], today=D(2025, 4, 30), filing=D(2025, 3, 3))
    assert not b.complete and not b.stages[2].done  # 联合审图 approved: the permit still to come
    b = run([drawings, permit], today=D(2025, 4, 30), filing=D(2025, 3, 3))
    assert b.complete and b.stages[2].done and b.projected_finish == D(2025, 3, 12)
    assert b.total.elapsed == CAL.between(D(2025, 3, 3), D(2025, 3, 12))  # nothing counted after the permit


def _clock(start, steps):
    """A valid event list from a start offset and (gap, kind, reason) steps."""
    events, on, state = [E("start", D(2025, 3, 3) + timedelta(start))], D(2025, 3, 3) + timedelta(start), "run"
    for gap, kind, reason in steps:
        on += timedelta(gap)
        if state == "run" and kind in ("pause", "stop"):
            events.append(E(kind, on, reason if kind == "pause" else ""))
            state = "pause" if kind == "pause" else "stop"
        elif state == "pause" and kind in ("resume", "stop"):
            events.append(E(kind, on))
            state = "run" if kind == "resume" else "stop"
    return events


STEPS = st.lists(st.tuples(st.integers(1, 20), st.sampled_from(["pause", "resume", "stop"]),
                           st.sampled_from(["supplement", "revision", "expert_review", "hearing"])), max_size=5)
CLOCKS = st.tuples(st.integers(0, 60), STEPS)


@hsettings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 3), CLOCKS, st.lists(st.tuples(st.booleans(), CLOCKS), max_size=3)),
                max_size=4), st.integers(0, 90))
def test_every_working_day_is_counted_once(raw, today_offset):
    apps = [AppTrack(stage, _clock(*own), [AssignmentTrack(_clock(*c), intermediary=i) for i, c in asg])
            for stage, own, asg in raw]
    filing, today = D(2025, 3, 3), D(2025, 3, 3) + timedelta(today_offset)
    b = run(apps, today=today, filing=filing)
    assert b.total.elapsed == CAL.between(filing, today)  # four counters, each day in exactly one
    for s in b.stages:  # a stage's days are a part of the whole; its government days never exceed the total's
        assert s.counters.elapsed <= b.total.elapsed and s.counters.government <= b.total.government
    assert sum(s.counters.elapsed for s in b.stages) >= b.total.elapsed - b.total.applicant
