"""Upload format for one year's official holiday schedule.

Used by ``PUT /api/v1/calendar/years/{year}`` and ``jiefen calendar load FILE`` (JSON or YAML)::

    {"year": 2027,
     "notice": "国务院办公厅关于2027年部分节假日安排的通知 (国办发明电〔2026〕N号)",
     "holidays": [{"date": "2027-01-01", "name": "元旦"}, ...],
     "makeup_workdays": [{"date": "2027-02-07", "name": "春节调休"}, ...]}

``holidays`` lists every day off of each holiday period (weekend days inside a period may be listed
too); ``makeup_workdays`` lists the Saturdays/Sundays that become working days (调休).
"""

from __future__ import annotations

import datetime as dt
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.calendar.workdays import YearSchedule


class ScheduleEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    date: dt.date
    name: str = Field(min_length=1, max_length=100)


class YearScheduleIn(BaseModel):
    """One year's schedule as published by the State Council; see the module docstring."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    year: int = Field(ge=2000, le=2100)
    notice: str = Field(default="", max_length=500)
    holidays: list[ScheduleEntry] = Field(default_factory=list)
    makeup_workdays: list[ScheduleEntry] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check_dates(self) -> Self:
        problems: list[str] = []
        seen: set[dt.date] = set()
        for field_name, entries in (("holidays", self.holidays), ("makeup_workdays", self.makeup_workdays)):
            for entry in entries:
                d = entry.date
                if d.year != self.year:
                    problems.append(f"{field_name}: {d} is not in {self.year}")
                if d in seen:
                    problems.append(f"{field_name}: {d} appears more than once")
                seen.add(d)
                if field_name == "makeup_workdays" and d.weekday() < 5:
                    problems.append(f"makeup_workdays: {d} is a weekday, not a Saturday or Sunday")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def to_year_schedule(self) -> YearSchedule:
        return YearSchedule(
            year=self.year,
            holidays={e.date: e.name for e in self.holidays},
            makeup_workdays={e.date: e.name for e in self.makeup_workdays},
            notice=self.notice,
        )

    @classmethod
    def from_year_schedule(cls, schedule: YearSchedule) -> YearScheduleIn:
        """The upload format of a stored schedule (e.g. for GET/export), dates sorted."""
        return cls(
            year=schedule.year,
            notice=schedule.notice,
            holidays=[ScheduleEntry(date=d, name=n) for d, n in sorted(schedule.holidays.items())],
            makeup_workdays=[
                ScheduleEntry(date=d, name=n) for d, n in sorted(schedule.makeup_workdays.items())
            ],
        )
