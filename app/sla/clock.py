"""The three clocks of a case, one idea: a clock starts, has a due time from its rule, may be extended once,
breaches when it runs past due, and stops with its lateness.

- dispatch (分派): starts on entering pending_dispatch (intake, decline, escalation), stops on dispatch;
- acceptance (受理): starts on dispatch, stops on accept or decline;
- mediation (调解期限): starts on accept, stops on an outcome, an escalation or a withdrawal.

They follow one another, so a case has at most one running clock (a unique partial index says so); a
withdrawal stops whichever runs. ``open_clock`` and ``close_clock`` are pure; ``start`` and ``stop_running``
apply them in the request's transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.calendar.service import calendar_in_force
from app.calendar.workdays import SHANGHAI, WorkCalendar
from app.models import Case, ClockKind, ClockUnit, Organization, SlaClock
from app.sla.rule_store import rules_in_force
from app.sla.rules import ClockRules, due_after


def open_clock(
    kind: ClockKind,
    case: Case,
    now: datetime,
    calendar: WorkCalendar,
    rules: ClockRules,
    holder: Organization | None = None,
) -> SlaClock:
    """A new running clock. The dispatch clock belongs to the routing decision (tier, channel, the
    organization it names); the acceptance and mediation clocks to the holder."""
    if kind == ClockKind.DISPATCH:
        org_id, tier, channel = case.routing_org_id, case.routing_tier, case.routing_channel
    else:
        assert holder is not None
        org_id, tier, channel = holder.id, holder.tier, holder.channel
    rule = rules.rule_for(kind, tier, channel)
    due = due_after(now, rule.length, rule.unit, calendar)
    clock = SlaClock(
        case_id=case.id,
        kind=kind,
        started_at=now,
        due_at=due.due_at,
        due_provisional=due.provisional,
        rule_version=rules.version,
        unit=rule.unit,
        length_days=rule.length,
        extension_max_days=rule.extension_max_days if rule.extension_allowed else 0,
        extended_days=0,
        calendar_version=calendar.version if rule.unit == ClockUnit.WORKING_DAYS else None,
        town_org_id=case.town_org_id,
        organization_id=org_id,
        tier=tier,
        channel=channel,
        category=case.category,
        stopped_at=None,
        stopped_by=None,
        breached_at=None,
        lateness_seconds=None,
        lateness_working_days=None,
    )
    if kind == ClockKind.DISPATCH:
        # The case shows its running dispatch deadline in every list (CaseOut.dispatch_due_at).
        case.dispatch_clock_started_at = now
        case.dispatch_due_at = due.due_at
        case.dispatch_due_provisional = due.provisional
        case.dispatch_calendar_version = calendar.version
    return clock


def lateness(due_at: datetime, stopped_at: datetime, calendar: WorkCalendar) -> tuple[int, int]:
    """(seconds, working days) by which a clock stopped after its due time."""
    seconds = int((stopped_at - due_at).total_seconds())
    # due_at is 00:00 of the day after the due day: count the working days from then up to and including
    # the day of the stop (a dispatch on the next working day is one working day late).
    due_day = (due_at - timedelta(seconds=1)).astimezone(SHANGHAI).date()
    days = calendar.working_days_between(due_day, stopped_at.astimezone(SHANGHAI).date())
    return seconds, days


def close_clock(clock: SlaClock, now: datetime, by: str, calendar: WorkCalendar) -> None:
    """Stop the clock. Past due, its breach is recorded now if no sweep has yet, with the lateness."""
    clock.stopped_at, clock.stopped_by = now, by
    if now > clock.due_at:
        clock.breached_at = clock.breached_at or now
        clock.lateness_seconds, clock.lateness_working_days = lateness(clock.due_at, now, calendar)


def extended_due(clock: SlaClock, days: int, calendar: WorkCalendar) -> tuple[datetime, bool]:
    """The due time after an extension of ``days``, counted in the clock's own unit from its start."""
    due = due_after(clock.started_at, clock.length_days + days, clock.unit, calendar)
    return due.due_at, due.provisional


async def running_clock(session: AsyncSession, case_id: object) -> SlaClock | None:
    stmt = (
        select(SlaClock)
        .where(SlaClock.case_id == case_id, SlaClock.stopped_at.is_(None))
        .with_for_update()
        .execution_options(populate_existing=True)  # a concurrent sweep may have just recorded its breach
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def start(
    session: AsyncSession, case: Case, kind: ClockKind, now: datetime, holder: Organization | None = None
) -> SlaClock:
    clock = open_clock(
        kind, case, now, await calendar_in_force(session), await rules_in_force(session), holder
    )
    session.add(clock)
    return clock


async def stop_running(session: AsyncSession, case: Case, now: datetime, by: str) -> SlaClock | None:
    """Stop whichever clock of the case runs (flushed, so a clock started next may take its place)."""
    clock = await running_clock(session, case.id)
    if clock is not None:
        close_clock(clock, now, by, await calendar_in_force(session))
        await session.flush()
    return clock
