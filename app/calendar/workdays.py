"""Working-day calendar for the 3-working-day dispatch deadline (pure: no I/O).

Rules (DESIGN.md, "The dispatch deadline"):

* A period counted in days starts on the day AFTER the start day: "期间开始的日不计算在期间内"
  (民法典 第二百零一条). The deadline is 24:00 Asia/Shanghai of the last day of the period
  (民法典 第二百零三条), represented here as 00:00 of the following day.
* Working days follow the State Council schedule (国务院办公厅关于 YYYY 年部分节假日安排的通知):
  weekends are off, statutory holidays (全国年节及纪念日放假办法) are off, and make-up working
  days (调休) turn some Saturdays/Sundays into working days.

Data sources, in order of precedence for a date in year Y:

1. an admin-loaded :class:`YearSchedule` for Y (official);
2. the built-in official data of ``chinese_calendar`` (package ``chinesecalendar``), which
   transcribes the State Council notices for every year it covers (official);
3. otherwise the year is *provisional*: weekends plus the statutory holiday dates estimated by
   ``holidays.China`` (python-holidays), see :func:`_statutory_holidays`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import cache, lru_cache
from types import MappingProxyType

import chinese_calendar
import holidays as pyholidays

from app.instants import SHANGHAI

# chinese_calendar's holiday names (Holiday enum values) -> official Chinese names.
_CN_NAMES: dict[str, str] = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


class DayKind(StrEnum):
    WORKDAY = "workday"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"
    MAKEUP_WORKDAY = "makeup_workday"


@dataclass(frozen=True)
class YearSchedule:
    """One year's official schedule as published by the State Council and loaded by an admin.

    ``holidays`` are days off (including weekend days inside a holiday period), ``makeup_workdays``
    are Saturdays/Sundays that are working days (调休). Any other day is a workday Mon-Fri and a
    weekend day Sat/Sun. ``notice`` cites the source document; it does not affect computations.
    """

    year: int
    holidays: Mapping[date, str]
    makeup_workdays: Mapping[date, str]
    notice: str = ""

    def __post_init__(self) -> None:
        for name in ("holidays", "makeup_workdays"):
            days: Mapping[date, str] = getattr(self, name)
            if any(d.year != self.year for d in days):
                raise ValueError(f"{name}: every date must lie in {self.year}")
            object.__setattr__(self, name, MappingProxyType(dict(days)))
        if set(self.holidays) & set(self.makeup_workdays):
            raise ValueError("a date cannot be both a holiday and a make-up workday")

    def digest(self) -> str:
        """Short stable hash of the computation-relevant content (dates and names, not the notice)."""
        payload = {
            "year": self.year,
            "holidays": sorted((d.isoformat(), n) for d, n in self.holidays.items()),
            "makeup_workdays": sorted((d.isoformat(), n) for d, n in self.makeup_workdays.items()),
        }
        raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        return hashlib.sha256(raw.encode()).hexdigest()[:10]


@dataclass(frozen=True)
class DayInfo:
    date: date
    working_day: bool
    kind: DayKind
    name: str | None
    provisional: bool


@dataclass(frozen=True)
class Due:
    """``due_at`` is 24:00 Asia/Shanghai of ``due_date``, i.e. 00:00 of the next day (tz-aware)."""

    due_at: datetime
    due_date: date
    provisional: bool


def _is_weekend(d: date) -> bool:
    return d.weekday() >= 5


@cache
def builtin_covers(year: int) -> bool:
    """True if chinese_calendar has official data for ``year``.

    The library exposes no public range; it raises NotImplementedError outside its data
    (2004..last published year), so we probe once per year.
    """
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


@lru_cache(maxsize=64)
def _statutory_holidays(year: int) -> Mapping[date, str]:
    """Statutory holiday dates python-holidays estimates for a year without an official schedule.

    python-holidays computes the statutory days themselves (元旦, 除夕 and 春节 初一-初三, 清明, 劳动节
    May 1-2, 端午, 中秋, 国庆 Oct 1-3: 13 days since 2025) from the lunar calendar, but for an
    unpublished year it also *guesses* in-lieu days ("（补假）", e.g. 2027-02-09/10 and 2027-05-03/04)
    by moving weekend holidays to the next weekday. The State Council does not follow that rule (it
    rearranges days with 调休 make-up workdays), so those guesses are dropped (``observed=False``);
    the weekend days themselves are off anyway. For years it knows officially it also lists
    substituted days off ("休息日（由 … 调休）") whose matching make-up workdays we cannot use, so
    those are dropped too: a provisional year is weekends + statutory days, nothing else.
    """
    days = pyholidays.China(years=year, observed=False, language="zh_CN")
    return MappingProxyType({d: n for d, n in days.items() if "调休" not in n and "补假" not in n})


def _from_schedule(d: date, schedule: YearSchedule) -> DayInfo:
    if d in schedule.holidays:
        return DayInfo(d, False, DayKind.HOLIDAY, schedule.holidays[d], False)
    if d in schedule.makeup_workdays:
        return DayInfo(d, True, DayKind.MAKEUP_WORKDAY, schedule.makeup_workdays[d], False)
    if _is_weekend(d):
        return DayInfo(d, False, DayKind.WEEKEND, None, False)
    return DayInfo(d, True, DayKind.WORKDAY, None, False)


def _from_builtin(d: date) -> DayInfo:
    off, raw_name = chinese_calendar.get_holiday_detail(d)
    name = _CN_NAMES.get(raw_name, raw_name) if raw_name else None
    if off:
        kind = DayKind.HOLIDAY if name else DayKind.WEEKEND
        return DayInfo(d, False, kind, name, False)
    if _is_weekend(d):
        return DayInfo(d, True, DayKind.MAKEUP_WORKDAY, f"{name or ''}调休", False)
    return DayInfo(d, True, DayKind.WORKDAY, None, False)


def _provisional(d: date) -> DayInfo:
    name = _statutory_holidays(d.year).get(d)
    if name is not None:
        return DayInfo(d, False, DayKind.HOLIDAY, name, True)
    if _is_weekend(d):
        return DayInfo(d, False, DayKind.WEEKEND, None, True)
    return DayInfo(d, True, DayKind.WORKDAY, None, True)


class WorkCalendar:
    """Official working days with admin overrides; see the module docstring for precedence.

    ``version`` identifies the data used: ``"builtin"`` without overrides, else e.g.
    ``"builtin+2027@1a2b3c4d5e"`` (one ``year@hash`` per override, sorted by year), so two
    calendars built from the same overrides have the same version.
    """

    def __init__(self, overrides: Mapping[int, YearSchedule] | None = None, version: str = "builtin") -> None:
        overrides = dict(overrides or {})
        for year, schedule in overrides.items():
            if schedule.year != year:
                raise ValueError(f"override for {year} holds the schedule of {schedule.year}")
        if overrides:
            version += "+" + "+".join(f"{y}@{overrides[y].digest()}" for y in sorted(overrides))
        self.version: str = version
        self._overrides: Mapping[int, YearSchedule] = MappingProxyType(overrides)
        # A calendar never changes once built (a new schedule makes a new calendar), so a day's answer is
        # kept: every intake asks about the same few days.
        self._days: dict[date, DayInfo] = {}

    def __repr__(self) -> str:
        return f"WorkCalendar(version={self.version!r})"

    def year_is_official(self, year: int) -> bool:
        """True if the year's schedule is loaded as an override or built into chinese_calendar."""
        return year in self._overrides or builtin_covers(year)

    def day(self, d: date) -> DayInfo:
        info = self._days.get(d)
        if info is None:
            info = self._days[d] = self._look_up(d)
        return info

    def _look_up(self, d: date) -> DayInfo:
        schedule = self._overrides.get(d.year)
        if schedule is not None:
            return _from_schedule(d, schedule)
        if builtin_covers(d.year):
            return _from_builtin(d)
        return _provisional(d)

    def is_working_day(self, d: date) -> bool:
        return self.day(d).working_day

    def add_working_days(self, start_day: date, n: int) -> tuple[date, bool]:
        """The n-th working day after ``start_day`` (期间开始的日不计算在期间内: start not counted).

        Returns ``(day, provisional)``; provisional is True if any day examined lies in a year
        without an official schedule.
        """
        if n < 1:
            raise ValueError("n must be at least 1")
        d, found, provisional = start_day, 0, False
        limit = start_day + timedelta(days=7 * n + 366)  # guard against a schedule with no workdays
        while found < n:
            d += timedelta(days=1)
            if d > limit:
                raise ValueError(f"no {n} working days found after {start_day}")
            info = self.day(d)
            provisional = provisional or info.provisional
            found += info.working_day
        return d, provisional

    def due(self, start: datetime, working_days: int = 3) -> Due:
        """Deadline for a clock started at ``start`` (tz-aware): 24:00 Asia/Shanghai of the
        ``working_days``-th working day after the Shanghai calendar day of ``start``."""
        if start.tzinfo is None or start.utcoffset() is None:
            raise ValueError("start must be timezone-aware")
        start_day = start.astimezone(SHANGHAI).date()
        due_date, provisional = self.add_working_days(start_day, working_days)
        due_at = datetime.combine(due_date + timedelta(days=1), time(0), tzinfo=SHANGHAI)
        return Due(due_at=due_at, due_date=due_date, provisional=provisional)

    def working_days_between(self, after_day: date, up_to_day: date) -> int:
        """Number of working days d with ``after_day < d <= up_to_day`` (0 if none)."""
        days = (up_to_day - after_day).days
        return sum(self.is_working_day(after_day + timedelta(days=i)) for i in range(1, days + 1))
