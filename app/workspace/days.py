"""Days and weeks in Asia/Shanghai, and a UTC instant's Shanghai day in SQL. China keeps no daylight saving
time, so the day of an instant is its UTC value plus eight hours on every database."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func

from app.calendar.workdays import SHANGHAI


def day_start(d: date) -> datetime:
    return datetime.combine(d, time(0), SHANGHAI)


def today(now: datetime) -> date:
    return now.astimezone(SHANGHAI).date()


def week_start(d: date) -> date:
    return d - timedelta(days=d.weekday())  # Monday


def month_start(d: date) -> date:
    return d.replace(day=1)


def local_day(column: Any, dialect: str) -> Any:
    """SQL for the Shanghai calendar day of a UTC instant column, as 'YYYY-MM-DD' text or a date."""
    if dialect == "postgresql":
        return func.date(func.timezone("Asia/Shanghai", column))
    return func.date(column, "+8 hours")


def as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
