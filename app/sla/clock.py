"""The dispatch clock: started whenever a case enters pending_dispatch (intake, decline, escalation), stopped
by the dispatch (or a withdrawal). Due = 24:00 Asia/Shanghai of the 3rd working day after the start day
(the start day is not counted); breaches are recorded once per clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.calendar.workdays import SHANGHAI, WorkCalendar
from app.db import dialect_insert
from app.models import Case, SlaBreach

DISPATCH_WORKING_DAYS = 3


def start_clock(case: Case, now: datetime, calendar: WorkCalendar) -> None:
    due = calendar.due(now, DISPATCH_WORKING_DAYS)
    case.dispatch_clock_started_at = now
    case.dispatch_due_at = due.due_at
    case.dispatch_due_provisional = due.provisional
    case.dispatch_calendar_version = calendar.version


def lateness(due_at: datetime, stopped_at: datetime, calendar: WorkCalendar) -> tuple[int, int]:
    """(seconds, working days) by which a clock stopped after its due time."""
    seconds = int((stopped_at - due_at).total_seconds())
    # due_at is 00:00 of the day after the due day: count the working days from then up to and including
    # the day of the dispatch (a dispatch on the next working day is one working day late).
    due_day = (due_at - timedelta(seconds=1)).astimezone(SHANGHAI).date()
    days = calendar.working_days_between(due_day, stopped_at.astimezone(SHANGHAI).date())
    return seconds, days


def breach_row(case: Case, now: datetime) -> dict[str, object]:
    assert case.dispatch_clock_started_at is not None and case.dispatch_due_at is not None
    return {
        "case_id": case.id,
        "clock_started_at": case.dispatch_clock_started_at,
        "due_at": case.dispatch_due_at,
        "due_provisional": case.dispatch_due_provisional,
        "recorded_at": now,
        "town_org_id": case.town_org_id,
        "organization_id": case.routing_org_id,
        "tier": case.routing_tier,
        "category": case.category,
    }


async def stop_clock(
    session: AsyncSession, case: Case, now: datetime, calendar: WorkCalendar, *, by: str
) -> None:
    """The clock stops (dispatch or withdrawal). Past due, the breach is closed with its lateness — and
    recorded first if no sweep has yet (the unique (case, clock) key keeps it to one row either way)."""
    if case.dispatch_due_at is None or now <= case.dispatch_due_at:
        return
    seconds, days = lateness(case.dispatch_due_at, now, calendar)
    closing = {"closed_at": now, "closed_by": by, "lateness_seconds": seconds, "lateness_working_days": days}
    stmt = dialect_insert(session, SlaBreach).values(**breach_row(case, now), **closing)
    stmt = stmt.on_conflict_do_update(index_elements=["case_id", "clock_started_at"], set_=closing)
    await session.execute(stmt)
