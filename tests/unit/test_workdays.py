"""Working-day calendar and dispatch deadline (DESIGN.md "The dispatch deadline (the SLA)").

Expected dates are taken from the State Council notices (国办发明电〔2024〕12号 for 2025,
国办发明电〔2025〕7号 for 2026) and cross-checked against chinese_calendar.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from app.calendar.schedule_format import YearScheduleIn
from app.calendar.workdays import SHANGHAI, DayInfo, DayKind, Due, WorkCalendar, YearSchedule

CAL = WorkCalendar()
LAST_OFFICIAL = max(y for y in range(2004, 2100) if CAL.year_is_official(y))
NEXT_YEAR = LAST_OFFICIAL + 1


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def midnight_after(d: date) -> datetime:
    return datetime.combine(d + timedelta(days=1), time(0), tzinfo=SHANGHAI)


def test_official_2025_national_day_schedule() -> None:
    off = [date(2025, 10, d) for d in range(1, 9)]
    assert all(not CAL.is_working_day(d) for d in off)
    assert CAL.day(date(2025, 9, 28)).kind is DayKind.MAKEUP_WORKDAY  # Sunday
    assert CAL.day(date(2025, 10, 11)).kind is DayKind.MAKEUP_WORKDAY  # Saturday


def test_official_2026_spring_festival_schedule() -> None:
    off = [date(2026, 2, 15) + timedelta(days=i) for i in range(9)]  # Sun Feb 15 .. Mon Feb 23
    assert all(not CAL.is_working_day(d) for d in off)
    assert CAL.is_working_day(date(2026, 2, 24))
    for makeup in (date(2026, 2, 14), date(2026, 2, 28)):  # both Saturdays
        assert makeup.weekday() == 5
        assert CAL.day(makeup) == DayInfo(makeup, True, DayKind.MAKEUP_WORKDAY, "春节调休", False)


@pytest.mark.parametrize(
    ("start", "due_date"),
    [
        # DESIGN.md example: Oct 1-8 off; Oct 9, Oct 10, make-up Saturday Oct 11.
        (sh(2025, 9, 30, 10), date(2025, 10, 11)),
        # 2025-09-29T17:30Z is Sep 30 01:30 in Shanghai: the start day is Sep 30, not Sep 29.
        (datetime(2025, 9, 29, 17, 30, tzinfo=UTC), date(2025, 10, 11)),
        (datetime(2025, 9, 29, 15, 59, tzinfo=UTC), date(2025, 10, 10)),  # still Sep 29 in Shanghai
        # Spring Festival 2026: just before (make-up Sat Feb 14 counts), inside, last day, after.
        (sh(2026, 2, 12, 9), date(2026, 2, 24)),  # Feb 13, Sat Feb 14, Feb 24
        (sh(2026, 2, 13, 16), date(2026, 2, 25)),  # Sat Feb 14, Feb 24, Feb 25
        (sh(2026, 2, 14, 11), date(2026, 2, 26)),  # start on the make-up Saturday: not counted
        (sh(2026, 2, 18, 8), date(2026, 2, 26)),  # inside the holiday: Feb 24, 25, 26
        (sh(2026, 2, 23, 23, 59), date(2026, 2, 26)),
        (sh(2026, 2, 25, 12), date(2026, 2, 28)),  # Feb 26, 27, make-up Sat Feb 28
        # Weekend starts.
        (sh(2025, 9, 27, 10), date(2025, 9, 30)),  # Sat; make-up Sun Sep 28, Sep 29, Sep 30
        (sh(2025, 3, 9, 10), date(2025, 3, 12)),  # ordinary Sunday
        # Starts on make-up days: the start day is not counted even though it is a working day.
        (sh(2025, 10, 11, 9), date(2025, 10, 15)),  # Sat -> Oct 13, 14, 15
        (sh(2025, 9, 28, 9), date(2025, 10, 9)),  # Sun -> Sep 29, Sep 30, Oct 9
        # Ordinary week.
        (sh(2025, 3, 12, 0, 0), date(2025, 3, 17)),  # Wed -> Thu, Fri, Mon
    ],
)
def test_due_official(start: datetime, due_date: date) -> None:
    assert CAL.due(start) == Due(due_at=midnight_after(due_date), due_date=due_date, provisional=False)


def test_due_example_is_24_00_of_due_day() -> None:
    due = CAL.due(sh(2025, 9, 30, 10))
    assert due.due_at.isoformat() == "2025-10-12T00:00:00+08:00"
    assert due.due_at.astimezone(UTC) == datetime(2025, 10, 11, 16, tzinfo=UTC)


def test_due_rejects_naive_datetime() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL.due(datetime(2025, 9, 30, 10))


def test_add_working_days_requires_positive_n() -> None:
    with pytest.raises(ValueError):
        CAL.add_working_days(date(2025, 9, 30), 0)


def _weekday_after(d: date, n: int) -> date:
    while n:
        d += timedelta(days=1)
        n -= d.weekday() < 5
    return d


def _next_year_override() -> YearSchedule:
    days = {date(NEXT_YEAR, 1, d): "元旦" for d in range(1, 6)}  # Jan 1-5 off
    return YearSchedule(NEXT_YEAR, holidays=days, makeup_workdays={}, notice="test notice")


def test_deadline_into_unpublished_year_is_provisional_until_loaded() -> None:
    start = sh(LAST_OFFICIAL, 12, 31, 10)
    assert not CAL.year_is_official(NEXT_YEAR)
    provisional = CAL.due(start)
    assert provisional.provisional
    assert provisional.due_date.year == NEXT_YEAR

    loaded = WorkCalendar({NEXT_YEAR: _next_year_override()})
    assert loaded.year_is_official(NEXT_YEAR)
    official = loaded.due(start)
    assert not official.provisional
    assert official.due_date == _weekday_after(date(NEXT_YEAR, 1, 5), 3)
    assert official.due_date >= provisional.due_date
    assert not CAL.due(sh(LAST_OFFICIAL, 12, 1, 10)).provisional  # only official days examined


@pytest.mark.skipif(LAST_OFFICIAL != 2026, reason="concrete dates for chinese_calendar data up to 2026")
def test_due_2026_into_2027_concrete() -> None:
    start = sh(2026, 12, 31, 10)  # Thu; 2027-01-01 Fri (元旦), Sat, Sun
    assert CAL.due(start) == Due(midnight_after(date(2027, 1, 6)), date(2027, 1, 6), True)
    loaded = WorkCalendar({2027: _next_year_override()})  # Jan 4, 5 become days off
    assert loaded.due(start) == Due(midnight_after(date(2027, 1, 8)), date(2027, 1, 8), False)


def test_override_takes_precedence_over_builtin() -> None:
    empty_2025 = WorkCalendar({2025: YearSchedule(2025, holidays={}, makeup_workdays={})})
    assert empty_2025.day(date(2025, 10, 1)) == DayInfo(date(2025, 10, 1), True, DayKind.WORKDAY, None, False)
    assert empty_2025.day(date(2025, 10, 11)).kind is DayKind.WEEKEND


def test_version_is_stable_hash_of_overrides() -> None:
    assert CAL.version == "builtin"
    a = WorkCalendar({NEXT_YEAR: _next_year_override()})
    b = WorkCalendar({NEXT_YEAR: _next_year_override()})
    assert a.version == b.version
    assert a.version.startswith(f"builtin+{NEXT_YEAR}@")
    other = YearSchedule(NEXT_YEAR, holidays={date(NEXT_YEAR, 1, 1): "元旦"}, makeup_workdays={})
    assert WorkCalendar({NEXT_YEAR: other}).version != a.version
    with pytest.raises(ValueError, match="holds the schedule"):
        WorkCalendar({NEXT_YEAR + 1: _next_year_override()})


@pytest.mark.parametrize(
    "info",
    [
        DayInfo(date(2025, 9, 30), True, DayKind.WORKDAY, None, False),
        DayInfo(date(2025, 9, 27), False, DayKind.WEEKEND, None, False),
        DayInfo(date(2025, 10, 1), False, DayKind.HOLIDAY, "国庆节", False),
        DayInfo(date(2025, 10, 4), False, DayKind.HOLIDAY, "国庆节", False),  # Saturday inside the period
        DayInfo(date(2025, 10, 6), False, DayKind.HOLIDAY, "中秋节", False),
        DayInfo(date(2025, 10, 11), True, DayKind.MAKEUP_WORKDAY, "国庆节调休", False),
        DayInfo(date(2015, 9, 3), False, DayKind.HOLIDAY, "抗战胜利纪念日", False),
        # 2030 has no official schedule: weekends + statutory days, all provisional.
        DayInfo(date(2030, 10, 1), False, DayKind.HOLIDAY, "国庆节", True),
        DayInfo(date(2030, 2, 4), False, DayKind.HOLIDAY, "春节", True),
        DayInfo(date(2030, 2, 9), False, DayKind.WEEKEND, None, True),
        DayInfo(date(2030, 3, 5), True, DayKind.WORKDAY, None, True),
        # python-holidays guesses in-lieu days for 2030-02-06/07 (observed); they are not used.
        DayInfo(date(2030, 2, 6), True, DayKind.WORKDAY, None, True),
    ],
    ids=lambda i: f"{i.date}-{i.kind}",
)
def test_day_info(info: DayInfo) -> None:
    assert CAL.day(info.date) == info


ZONES = st.sampled_from([UTC, SHANGHAI, ZoneInfo("America/New_York"), timezone(timedelta(hours=-12))])
STARTS = st.datetimes(min_value=datetime(2005, 1, 1), max_value=datetime(2030, 12, 31), timezones=ZONES)


@settings(max_examples=300, deadline=None)
@given(start=STARTS, n=st.integers(min_value=1, max_value=10))
def test_due_properties(start: datetime, n: int) -> None:
    due = CAL.due(start, n)
    start_day = start.astimezone(SHANGHAI).date()
    assert CAL.is_working_day(due.due_date)
    assert CAL.working_days_between(start_day, due.due_date) == n
    assert CAL.working_days_between(start_day, due.due_date - timedelta(days=1)) == n - 1
    assert due.due_date >= start_day + timedelta(days=n)
    assert due.due_at == midnight_after(due.due_date)
    assert due.due_at.utcoffset() == timedelta(hours=8)
    examined_years = range((start_day + timedelta(days=1)).year, due.due_date.year + 1)
    assert due.provisional == any(not CAL.year_is_official(y) for y in examined_years)


@settings(max_examples=300, deadline=None)
@given(d=st.dates(min_value=date(2004, 1, 1), max_value=date(LAST_OFFICIAL, 12, 31)))
def test_builtin_matches_chinese_calendar(d: date) -> None:
    info = CAL.day(d)
    assert info.working_day == chinese_calendar.is_workday(d)
    assert not info.provisional
    assert (info.kind is DayKind.MAKEUP_WORKDAY) == (info.working_day and d.weekday() >= 5)


def _body(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "year": 2027,
        "notice": "国务院办公厅关于2027年部分节假日安排的通知",
        "holidays": [{"date": "2027-01-01", "name": "元旦"}, {"date": "2027-02-08", "name": "春节"}],
        "makeup_workdays": [{"date": "2027-02-20", "name": "春节调休"}],
    }
    body.update(changes)
    return body


def test_schedule_format_round_trip() -> None:
    schedule = YearScheduleIn.model_validate(_body()).to_year_schedule()
    assert schedule.year == 2027
    assert schedule.holidays == {date(2027, 1, 1): "元旦", date(2027, 2, 8): "春节"}
    assert schedule.makeup_workdays == {date(2027, 2, 20): "春节调休"}
    assert YearScheduleIn.from_year_schedule(schedule).to_year_schedule() == schedule
    cal = WorkCalendar({2027: schedule})
    assert cal.day(date(2027, 2, 20)) == DayInfo(
        date(2027, 2, 20), True, DayKind.MAKEUP_WORKDAY, "春节调休", False
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"holidays": [{"date": "2026-12-31", "name": "元旦"}]}, "not in 2027"),
        ({"makeup_workdays": [{"date": "2028-01-08", "name": "调休"}]}, "not in 2027"),
        (
            {"holidays": [{"date": "2027-01-01", "name": "元旦"}, {"date": "2027-01-01", "name": "元旦"}]},
            "more than once",
        ),
        ({"makeup_workdays": [{"date": "2027-01-01", "name": "调休"}]}, "more than once"),  # also a holiday
        ({"makeup_workdays": [{"date": "2027-02-18", "name": "春节调休"}]}, "is a weekday"),  # Thursday
        ({"extra": 1}, "Extra inputs"),
        ({"holidays": [{"date": "2027-01-01", "name": "元旦", "x": 1}]}, "Extra inputs"),
        ({"holidays": [{"date": "2027-01-01", "name": " "}]}, "at least 1 character"),
    ],
)
def test_schedule_format_rejects(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        YearScheduleIn.model_validate(_body(**changes))


def test_year_schedule_dataclass_rejects_foreign_dates() -> None:
    with pytest.raises(ValueError):
        YearSchedule(2027, holidays={date(2026, 12, 31): "x"}, makeup_workdays={})
