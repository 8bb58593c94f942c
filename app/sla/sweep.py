"""The SLA sweep: record a breach for every clock past due and not dispatched — once per clock, however
often it runs and from however many replicas at once.

Once per clock is guaranteed by the unique (case, clock start) key on breaches and ``ON CONFLICT DO
NOTHING``; on PostgreSQL a transaction-scoped advisory lock also lets only one replica sweep at a time
(the others skip). SQLite has a single writer. Both statements read through partial indexes over cases
waiting for dispatch, so a sweep costs what the overdue clocks cost, not what the stored cases do.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Label, delete, literal, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app import metrics
from app.calendar.service import CACHE_SECONDS, calendar_in_force
from app.calendar.workdays import WorkCalendar
from app.db import UTCDateTime, dialect_insert
from app.models import Case, CaseStatus, SlaBreach
from app.sla.clock import DISPATCH_WORKING_DAYS

SWEEP_LOCK_ID = 7_243_002


@dataclass(frozen=True)
class SweepResult:
    ran: bool
    breaches_recorded: int
    deadlines_recomputed: int
    breach_ids: tuple[int, ...] = ()  # the breaches this sweep recorded (notifications announce them)


def _overdue(now: datetime) -> list[ColumnElement[bool]]:
    """Waiting for dispatch, past due, and no breach yet for this clock: an anti-join on the breach key.

    A waiting case's breach for its current clock is always open (dispatch or withdrawal closes it and
    leaves pending_dispatch), so the anti-join reads the small partial index of open breaches only."""
    recorded = (
        select(SlaBreach.id)
        .where(
            SlaBreach.case_id == Case.id,
            SlaBreach.clock_started_at == Case.dispatch_clock_started_at,
            SlaBreach.closed_at.is_(None),
        )
        .exists()
    )
    return [Case.status == CaseStatus.PENDING_DISPATCH, Case.dispatch_due_at < now, ~recorded]


async def _try_lock(session: AsyncSession) -> bool:
    if session.get_bind().dialect.name != "postgresql":
        return True
    locked = await session.execute(text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": SWEEP_LOCK_ID})
    return bool(locked.scalar())


async def record_breaches(session: AsyncSession, now: datetime) -> tuple[int, ...]:
    """One set-based INSERT … SELECT, returning the new breaches' ids. Cases themselves are not written:
    updating a row of ``cases`` would touch every one of its indexes, and the breach's unique key already
    says "recorded"."""
    source = select(
        Case.id,
        Case.dispatch_clock_started_at,
        Case.dispatch_due_at,
        Case.dispatch_due_provisional,
        Case.town_org_id,
        Case.routing_org_id,
        Case.routing_tier,
        Case.category,
        _literal_now(now),
    ).where(*_overdue(now))
    columns = [
        "case_id",
        "clock_started_at",
        "due_at",
        "due_provisional",
        "town_org_id",
        "organization_id",
        "tier",
        "category",
        "recorded_at",
    ]
    insert_stmt = (
        dialect_insert(session, SlaBreach)
        .from_select(columns, source)
        .on_conflict_do_nothing(index_elements=["case_id", "clock_started_at"])
        .returning(SlaBreach.id)
    )
    result = cast(CursorResult[Any], await session.execute(insert_stmt))
    return tuple(result.scalars())


def _literal_now(now: datetime) -> Label[datetime]:
    return literal(now, UTCDateTime()).label("recorded_at")


async def recompute_open_deadlines(session: AsyncSession, calendar: WorkCalendar, now: datetime) -> int:
    """Recompute the due time of every clock still waiting that was computed with another calendar version.
    A breach recorded against a due time that moved into the future is withdrawn."""
    stale = (
        await session.execute(
            # Every calendar change gives a new version, so "computed with another version" covers provisional
            # deadlines when their year is loaded, and replicas that computed with a stale cached calendar.
            # Written as two ranges so that the partial index on pending cases' versions serves it.
            select(Case)
            .where(
                Case.status == CaseStatus.PENDING_DISPATCH,
                (Case.dispatch_calendar_version < calendar.version)
                | (Case.dispatch_calendar_version > calendar.version)
                | Case.dispatch_calendar_version.is_(None),
            )
            .with_for_update()
        )
    ).scalars()
    changed = 0
    for case in stale:
        assert case.dispatch_clock_started_at is not None
        due = calendar.due(case.dispatch_clock_started_at, DISPATCH_WORKING_DAYS)
        moved = (due.due_at, due.provisional) != (case.dispatch_due_at, case.dispatch_due_provisional)
        case.dispatch_calendar_version = calendar.version
        if not moved:
            continue
        changed += 1
        if due.due_at > now:
            await session.execute(
                delete(SlaBreach).where(
                    SlaBreach.case_id == case.id,
                    SlaBreach.clock_started_at == case.dispatch_clock_started_at,
                    SlaBreach.closed_at.is_(None),
                )
            )
        case.dispatch_due_at, case.dispatch_due_provisional = due.due_at, due.provisional
    await session.flush()
    return changed


# Deadlines need recomputing only after the calendar changes. The replica that loads a schedule recomputes
# in that transaction; other replicas may still compute with their cached calendar for up to CACHE_SECONDS,
# so each process's sweep rechecks for a while after it first sees a calendar version, then stops.
_recheck_until: dict[str, float] = {}


def _recheck_due(version: str) -> bool:
    until = _recheck_until.setdefault(version, time.monotonic() + 2 * CACHE_SECONDS + 60)
    return time.monotonic() <= until


@metrics.observe_sweep
async def sweep(session: AsyncSession, now: datetime) -> SweepResult:
    if not await _try_lock(session):
        return SweepResult(ran=False, breaches_recorded=0, deadlines_recomputed=0)
    calendar = await calendar_in_force(session, fresh=True)
    recomputed = (
        await recompute_open_deadlines(session, calendar, now) if _recheck_due(calendar.version) else 0
    )
    recorded = await record_breaches(session, now)
    return SweepResult(
        ran=True, breaches_recorded=len(recorded), deadlines_recomputed=recomputed, breach_ids=recorded
    )
