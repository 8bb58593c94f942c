"""The working-day calendar: a day's status, a deadline, and loading a year's official schedule."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from app.calendar.schedule_format import YearScheduleIn
from app.calendar.service import calendar_in_force, store_year
from app.cases.schemas import LocalDateTime
from app.db import utcnow
from app.deps import AdminPrincipal, CurrentPrincipal, Session
from app.errors import FieldError, ValidationFailed
from app.sla.sweep import recompute_open_deadlines
from app.validation import DATE_RANGE, ApiDate, AwareDateTime

router = APIRouter(prefix="/calendar", tags=["calendar"])


class DayOut(BaseModel):
    date: date
    working_day: bool
    kind: str
    name: str | None
    provisional: bool


class DueOut(BaseModel):
    start: LocalDateTime
    working_days: int
    due_at: LocalDateTime
    due_date: date
    provisional: bool


class YearLoaded(BaseModel):
    year: int
    calendar_version: str
    deadlines_recomputed: int


@router.get("/days/{day}", response_model=DayOut)
async def get_day(
    day: Annotated[ApiDate, Path(description=f"A day {DATE_RANGE}")],
    session: Session,
    principal: CurrentPrincipal,
) -> DayOut:
    info = (await calendar_in_force(session)).day(day)
    return DayOut(
        date=info.date,
        working_day=info.working_day,
        kind=info.kind,
        name=info.name,
        provisional=info.provisional,
    )


@router.get("/due", response_model=DueOut)
async def get_due(
    session: Session,
    principal: CurrentPrincipal,
    start: Annotated[
        AwareDateTime,
        Query(description=f"ISO 8601 with offset, e.g. 2025-09-30T10:00:00+08:00; {DATE_RANGE}"),
    ],
    working_days: Annotated[int, Query(ge=1, le=60)] = 3,
) -> DueOut:
    """24:00 Asia/Shanghai of the N-th working day after the start day (the start day is not counted)."""
    due = (await calendar_in_force(session)).due(start, working_days)
    return DueOut(
        start=start,
        working_days=working_days,
        due_at=due.due_at,
        due_date=due.due_date,
        provisional=due.provisional,
    )


@router.put("/years/{year}", response_model=YearLoaded, responses={422: {}})
async def put_year(
    year: Annotated[int, Path(ge=2000, le=2100)],
    body: YearScheduleIn,
    session: Session,
    principal: AdminPrincipal,
) -> YearLoaded:
    """Load (or correct) a year's State Council schedule. Open deadlines computed without it are recomputed
    in the same transaction."""
    if body.year != year:
        raise ValidationFailed(
            [FieldError("year", "year.mismatch", f"The body is for {body.year}, not {year}.")]
        )
    now: datetime = utcnow()
    calendar = await store_year(session, body, principal.user_id, now)
    changed = await recompute_open_deadlines(session, calendar, now)
    return YearLoaded(year=year, calendar_version=calendar.version, deadlines_recomputed=changed)
