"""`manage.py workdays due|between|is`: one line each, exit status 2 on bad input."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import translation

from jointreview.clocks import services as svc
from jointreview.clocks.calendar import invalidate_calendar

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _fresh_calendar():
    invalidate_calendar()
    yield
    invalidate_calendar()


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("workdays", *args, stdout=out)
    return out.getvalue()


def test_due_over_national_day_2025():
    assert run("due", "2025-09-26", "5") == "2025-10-10\n"
    assert run("due", "2025-09-30", "1") == "2025-10-09\n"
    assert run("due", "2025-10-04", "0") == "2025-10-09\n"


def test_due_into_an_uncovered_year_is_provisional():
    assert run("due", "2026-12-21", "10") == "2027-01-04 provisional\n"


def test_due_after_import_is_no_longer_provisional():
    rows = [{"date": "2027-01-01", "is_workday": False, "name": "元旦", "source": "", "line": 2}]
    svc.calendar_import(rows=rows, source="test", actor=None)
    invalidate_calendar()
    assert run("due", "2026-12-21", "10") == "2027-01-05\n"


def test_between():
    assert run("between", "2025-09-26", "2025-10-10") == "5\n"
    assert run("between", "2025-10-10", "2025-09-26") == "0\n"


def test_is_workday_and_holiday():
    assert run("is", "2025-10-11") == "workday\n"  # Saturday worked (调休)
    assert run("is", "2025-09-28") == "workday\n"
    # the fixed words for scripts, the holiday's name in the active language (the default: Chinese)
    assert run("is", "2025-10-01").startswith("holiday ") and "国庆节" in run("is", "2025-10-01")
    assert run("is", "2025-10-18") == "holiday 周末\n"
    with translation.override("en"):
        assert run("is", "2025-10-18") == "holiday weekend\n"
        assert "National Day" in run("is", "2025-10-01")


@pytest.mark.parametrize(
    "args, message",
    [
        (("due", "2025-02-30", "5"), "「2025-02-30」不是有效的日期"),
        (("due", "2025-09-26", "-1"), "不能小于0"),
        (("due", "2025-09-26", "five"), "不是整数个工作日"),
        (("between", "yesterday", "2025-10-10"), "不是有效的日期"),
        (("is", "2025/10/11"), "不是有效的日期"),
    ],
)
def test_bad_input_raises_with_exit_status_2(args, message):
    with pytest.raises(CommandError) as err:
        run(*args)
    assert err.value.returncode == 2
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def _manage(*args):
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "jointreview.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }
    return subprocess.run(
        [sys.executable, "manage.py", "workdays", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )


def test_real_process_prints_one_line_and_exits_2_on_bad_input():
    ok = _manage("due", "2025-09-26", "5")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout == "2025-10-10\n"
    bad = _manage("due", "2025-09-26", "-3")
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert len(bad.stderr.strip().splitlines()) == 1
    assert "不能小于0" in bad.stderr  # the default language
    bad_date = _manage("is", "2025-13-01")
    assert bad_date.returncode == 2 and "不是有效的日期" in bad_date.stderr


def test_start_day_not_counted_and_result_is_a_workday():
    from jointreview.clocks.calendar import get_calendar

    cal = get_calendar()
    for n in range(0, 30):
        due = date.fromisoformat(run("due", "2025-09-26", str(n)).split()[0])
        assert cal.is_workday(due)
        assert cal.between(date(2025, 9, 26), due) == n
