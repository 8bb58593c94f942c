"""The working-day calendar in force: built-in official data plus the schedules an admin loaded."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.calendar.workdays import WorkCalendar

_BUILTIN = WorkCalendar()


async def calendar_in_force(session: AsyncSession) -> WorkCalendar:
    return _BUILTIN
