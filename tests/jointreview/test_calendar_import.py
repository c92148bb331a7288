"""Importing a year's official schedule: validation, atomicity, recompute, missing-year warnings."""
from __future__ import annotations

import json
from datetime import date
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from jointreview.clocks import services as svc
from jointreview.clocks.calendar import get_calendar, invalidate_calendar
from jointreview.models import AuditEvent, CalendarDay, CalendarYear, Clock, DeadlineChange, Notification
from jointreview.services.errors import ServiceError
from tests.factories import AssignmentFactory, CentreAdminFactory, CentreFactory, CoordinatorFactory

pytestmark = pytest.mark.django_db

SOURCE = "国办发明电〔2026〕X号"
GOOD_2027 = """date,is_workday,name,source
2027-01-01,false,元旦,
2027-02-06,true,春节调休上班,
2027-02-07,true,春节调休上班,
2027-02-10,false,春节,
2027-02-11,false,春节,
2027-02-12,false,春节,
2027-02-15,false,春节,
2027-02-16,false,春节,
"""


@pytest.fixture(autouse=True)
def _fresh_calendar():
    invalidate_calendar()
    yield
    invalidate_calendar()


@pytest.fixture(autouse=True)
def _english():
    """The messages are asserted by their English ids (the catalogue's Chinese: the test at the end)."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _no_broker():
    """The recompute task is enqueued on commit; tests run the service themselves."""
    with mock.patch("jointreview.services.queue.enqueue") as delay:
        yield delay


def _import(text: str, fmt: str = "csv", source: str = SOURCE, actor=None):
    return svc.calendar_import(rows=svc.calendar_parse(text, fmt=fmt), source=source, actor=actor)


def test_good_csv_imports_the_year(django_capture_on_commit_callbacks, _no_broker):
    admin = CentreAdminFactory()
    assert get_calendar().is_provisional(date(2027, 1, 1))
    with django_capture_on_commit_callbacks(execute=True):
        result = _import(GOOD_2027, actor=admin)
    assert result == {"year": 2027, "rows": 8, "holidays": 6, "workdays": 2, "replaced": 0}
    assert CalendarDay.objects.filter(date__year=2027).count() == 8
    year = CalendarYear.objects.get(year=2027)
    assert year.source == SOURCE and year.imported_by == admin
    assert CalendarDay.objects.get(date=date(2027, 1, 1)).source == SOURCE  # empty source -> file's source
    cal = get_calendar()
    assert cal.has_data_for(2027) and not cal.is_provisional(date(2027, 6, 1))
    assert not cal.is_workday(date(2027, 1, 1)) and cal.day_name(date(2027, 1, 1)) == "元旦"
    assert cal.is_workday(date(2027, 2, 6))  # a Saturday worked (调休)
    assert cal.is_workday(date(2027, 5, 3))  # no package data for 2027: plain Monday
    _no_broker.assert_called_once()
    assert _no_broker.call_args.kwargs["year"] == 2027
    assert AuditEvent.objects.filter(verb="calendar.import", actor=admin).exists()


def test_json_imports_too():
    rows = [
        {"date": "2027-01-01", "is_workday": False, "name": "元旦", "source": SOURCE},
        {"date": "2027-02-06", "is_workday": True, "name": "", "source": ""},
    ]
    result = _import(json.dumps(rows, ensure_ascii=False), fmt="json")
    assert result["rows"] == 2
    assert CalendarDay.objects.get(date=date(2027, 2, 6)).is_workday


@pytest.mark.parametrize(
    "text, message",
    [
        (GOOD_2027.replace("2027-02-11,false", "2027-02-30,false"), "line 6: date 2027-02-30 is not a valid date"),
        (GOOD_2027.replace("2027-02-11,false", "2027-02-10,false"), "line 6: date 2027-02-10 appears twice (first on line 5)"),
        (GOOD_2027.replace("2027-02-16,false", "2028-02-16,false"), "line 9: date 2028-02-16 is in 2028 but line 2 is in 2027"),
        (GOOD_2027.replace("2027-02-12,false", "2027-02-12,maybe"), "line 7: is_workday 'maybe' is not true/false"),
        (GOOD_2027.replace("2027-02-12,false,春节", "2027-02-12,false,"), "line 7: a holiday needs a name"),
        (GOOD_2027.replace("date,is_workday", "day,is_workday"), "line 1: the header must be date,is_workday,name,source"),
        ("date,is_workday,name,source\n", "the file has no rows"),
        ("", "the file is empty"),
    ],
)
def test_bad_csv_names_the_line_and_imports_nothing(text, message):
    with pytest.raises(ServiceError) as err:
        _import(text)
    assert message in err.value.message
    assert "\n" not in err.value.message
    assert not CalendarDay.objects.exists()
    assert not CalendarYear.objects.exists()


def test_bad_json_entry_is_named():
    rows = [{"date": "2027-01-01", "is_workday": False, "name": "元旦"}, {"date": "2027-13-01", "is_workday": True}]
    with pytest.raises(ServiceError, match="entry 2: date 2027-13-01 is not a valid date"):
        _import(json.dumps(rows), fmt="json")
    with pytest.raises(ServiceError, match="line 1: not valid JSON"):
        _import("[{", fmt="json")


def test_failed_reimport_keeps_the_previous_schedule():
    _import(GOOD_2027)
    assert CalendarDay.objects.count() == 8
    with pytest.raises(ServiceError):
        _import(GOOD_2027.replace("2027-02-16,false", "2027-02-31,false"))
    assert CalendarDay.objects.count() == 8
    assert CalendarYear.objects.count() == 1


def test_reimport_replaces_the_year():
    _import(GOOD_2027)
    result = _import("date,is_workday,name,source\n2027-01-01,false,元旦,\n")
    assert result["replaced"] == 8
    assert list(CalendarDay.objects.values_list("date", flat=True)) == [date(2027, 1, 1)]
    assert CalendarYear.objects.count() == 1


def test_recompute_after_import_records_moved_deadlines_and_clears_provisional():
    # Mon 2026-12-21 + 10 working days: 2027 is Mon-Fri and provisional until imported
    clock = svc.clock_create(kind=Clock.Kind.ASSIGNMENT, limit_value=10)
    assignment = AssignmentFactory()
    assignment.clock = clock
    assignment.save(update_fields=["clock"])
    svc.clock_start(clock=clock, on=date(2026, 12, 21), actor=None)
    clock.refresh_from_db()
    assert clock.provisional is True
    assert clock.due_date == date(2027, 1, 4)  # Dec 22-25, 28-31, Jan 1 (provisional workday), Jan 4
    untouched = svc.clock_create(kind=Clock.Kind.APPLICATION, limit_value=5)
    svc.clock_start(clock=untouched, on=date(2025, 9, 26), actor=None)
    svc.clock_stop(clock=untouched, on=date(2025, 10, 9), actor=None)

    _import(GOOD_2027)
    stats = svc.calendar_recompute(year=2027, cause="calendar 2027 imported")
    assert stats["moved"] == 1 and stats["cleared_provisional"] == 1
    clock.refresh_from_db()
    assert clock.provisional is False
    assert clock.due_date == date(2027, 1, 5)  # Jan 1 is a holiday now
    change = DeadlineChange.objects.get()
    assert (change.clock_id, change.old_due, change.new_due, change.was_provisional) == (
        clock.pk, date(2027, 1, 4), date(2027, 1, 5), True)
    assert change.cause == "calendar 2027 imported"
    assignment.refresh_from_db()
    assert assignment.due_date == date(2027, 1, 5)
    # running it again moves nothing
    assert svc.calendar_recompute(year=2027, cause="again")["moved"] == 0
    assert DeadlineChange.objects.count() == 1


def test_recompute_task_runs_the_service():
    from tasks.clocks import calendar_recompute

    clock = svc.clock_create(kind=Clock.Kind.APPLICATION, limit_value=10)
    svc.clock_start(clock=clock, on=date(2026, 12, 21), actor=None)
    _import(GOOD_2027)
    result = calendar_recompute.run(year=2027, cause="task")
    assert result["moved"] == 1


def test_missing_year_warning_from_november(client):
    centre = CentreFactory()
    CentreAdminFactory(organization=centre)
    assert svc.calendar_missing_year_check(today=date(2026, 10, 31)) == []
    assert svc.calendar_missing_year_check(today=date(2026, 11, 1)) == [2027]
    assert svc.calendar_missing_year_check(today=date(2026, 11, 2)) == [2027]
    note = Notification.objects.get(key__startswith="calendar-missing-2027")
    assert note.organization == centre
    assert Notification.objects.count() == 1  # idempotent
    _import(GOOD_2027)
    invalidate_calendar()
    assert svc.calendar_missing_year_check(today=date(2026, 11, 2)) == []


def test_missing_year_warning_on_dashboard_and_admin_index(client):
    from django.utils import timezone

    today = timezone.localdate()
    admin = CentreAdminFactory()
    client.force_login(admin)
    expect = (today.month >= 11 and not get_calendar().has_data_for(today.year + 1))
    marker = f'id="calendar-missing-{today.year + 1}"'
    assert (marker in client.get("/clocks/").content.decode()) == expect
    assert (marker in client.get("/admin/").content.decode()) == expect
    if expect:
        _import(GOOD_2027.replace("2027", str(today.year + 1)))
        invalidate_calendar()
        assert marker not in client.get("/clocks/").content.decode()
        assert marker not in client.get("/admin/").content.decode()


def test_dashboard_warning_with_a_fixed_day(client, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2026, 11, 5))
    user = CoordinatorFactory()
    client.force_login(user)
    assert 'id="calendar-missing-2027"' in client.get("/clocks/").content.decode()
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2026, 10, 5))
    assert 'id="calendar-missing-2027"' not in client.get("/clocks/").content.decode()


def test_import_command(tmp_path, capsys):
    path = tmp_path / "2027.csv"
    path.write_text(GOOD_2027, encoding="utf-8")
    call_command("workdays", "import", str(path), "--source", SOURCE)
    assert "Imported 2027: 6 holidays, 2 working days" in capsys.readouterr().out
    assert CalendarYear.objects.get().source == SOURCE


def test_import_command_bad_file_exits_2(tmp_path):
    path = tmp_path / "2027.csv"
    path.write_text(GOOD_2027.replace("2027-02-11,false", "2027-02-30,false"), encoding="utf-8")
    with pytest.raises(CommandError) as err:
        call_command("workdays", "import", str(path))
    assert err.value.returncode == 2
    assert str(err.value).startswith("line 6: date 2027-02-30 is not a valid date")
    assert not CalendarDay.objects.exists()
    with pytest.raises(CommandError) as err:
        call_command("workdays", "import", str(tmp_path / "missing.csv"))
    assert err.value.returncode == 2


def test_import_command_recompute_now(tmp_path, capsys):
    clock = svc.clock_create(kind=Clock.Kind.APPLICATION, limit_value=10)
    svc.clock_start(clock=clock, on=date(2026, 12, 21), actor=None)
    path = tmp_path / "2027.json"
    path.write_text(json.dumps([{"date": "2027-01-01", "is_workday": False, "name": "元旦", "source": ""}]))
    call_command("workdays", "import", str(path), "--recompute-now")
    assert "1 deadlines moved" in capsys.readouterr().out
    clock.refresh_from_db()
    assert clock.due_date == date(2027, 1, 5) and not clock.provisional


def test_broker_failure_falls_back_to_recomputing_in_process(django_capture_on_commit_callbacks, _no_broker):
    _no_broker.side_effect = ConnectionError("broker down")
    clock = svc.clock_create(kind=Clock.Kind.APPLICATION, limit_value=10)
    svc.clock_start(clock=clock, on=date(2026, 12, 21), actor=None)
    with django_capture_on_commit_callbacks(execute=True):
        _import(GOOD_2027)
    clock.refresh_from_db()
    assert clock.due_date == date(2027, 1, 5) and DeadlineChange.objects.count() == 1


def test_refusals_speak_the_users_language():
    bad = GOOD_2027.replace("2027-02-16,false", "2028-02-16,false")
    with translation.override("zh-hans"), pytest.raises(ServiceError) as err:
        _import(bad)
    assert err.value.message == "第 9 行：日期 2028-02-16 属于 2028 年，而第 2 行属于 2027 年；一个文件只能包含一个年度"
    rows = [{"date": "2027-01-01", "is_workday": False, "name": "元旦"}, {"date": "2027-01-01", "is_workday": True}]
    with translation.override("zh-hans"), pytest.raises(ServiceError) as err:
        _import(json.dumps(rows), fmt="json")
    assert err.value.message.startswith("第 2 条：日期 2027-01-01 重复（首次出现在第 1 条）")
    assert not CalendarYear.objects.exists()
