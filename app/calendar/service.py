"""The working-day calendar in force: built-in official data plus the schedules an admin loaded.

Loaded schedules are few (one row a year) and change about once a year, so each process keeps the
calendar for ``CACHE_SECONDS``. A replica that computed a deadline with an older calendar leaves a trace
(``dispatch_calendar_version``); the SLA sweep recomputes such open deadlines, so every replica converges
within one sweep interval. The replica that loads a schedule recomputes at once, in the same transaction.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.calendar.schedule_format import YearScheduleIn
from app.calendar.workdays import WorkCalendar, YearSchedule
from app.db import dialect_insert
from app.models import CalendarYear

CACHE_SECONDS = 30.0


@dataclass
class _Cached:
    calendar: WorkCalendar
    loaded_at: float


_cache: _Cached | None = None


def _schedule(row: CalendarYear) -> YearSchedule:
    return YearSchedule(
        year=row.year,
        holidays={date.fromisoformat(d): n for d, n in row.holidays.items()},
        makeup_workdays={date.fromisoformat(d): n for d, n in row.makeup_workdays.items()},
        notice=row.notice,
    )


async def load_calendar(session: AsyncSession) -> WorkCalendar:
    rows = (await session.execute(select(CalendarYear))).scalars()
    return WorkCalendar({row.year: _schedule(row) for row in rows})


async def calendar_in_force(session: AsyncSession, *, fresh: bool = False) -> WorkCalendar:
    global _cache
    if fresh or _cache is None or time.monotonic() - _cache.loaded_at > CACHE_SECONDS:
        _cache = _Cached(await load_calendar(session), time.monotonic())
    return _cache.calendar


def forget_cached_calendar() -> None:
    global _cache
    _cache = None


async def store_year(
    session: AsyncSession, schedule: YearScheduleIn, user_id: int | None, now: datetime
) -> WorkCalendar:
    """Insert or replace a year's schedule; returns the calendar including it."""
    year = schedule.to_year_schedule()
    values = {
        "year": year.year,
        "notice": year.notice,
        "holidays": {d.isoformat(): n for d, n in sorted(year.holidays.items())},
        "makeup_workdays": {d.isoformat(): n for d, n in sorted(year.makeup_workdays.items())},
        "digest": year.digest(),
        "loaded_at": now,
        "loaded_by_user_id": user_id,
    }
    stmt = dialect_insert(session, CalendarYear).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["year"], set_={k: v for k, v in values.items() if k != "year"}
    )
    await session.execute(stmt)
    forget_cached_calendar()
    return await calendar_in_force(session, fresh=True)
