"""The SLA sweep: record a breach for every running clock past due — once per clock, however often it runs
and from however many replicas at once — for the three kinds alike.

It reads the partial index ``ix_sla_clocks_watch`` (running clocks not yet breached, by due time) from its
start up to ``now``: a sweep with nothing new reads one index entry, and clocks already breached are not in
the index at all, so a backlog of months-old breaches costs nothing. It works in batches of
``BATCH_SIZE`` clocks (``UPDATE … WHERE id IN (SELECT … ORDER BY due_at LIMIT n)``), so its memory is
bounded whatever the backlog.

Once per clock: the UPDATE sets ``breached_at`` only where it is still NULL, and on PostgreSQL a
transaction-scoped advisory lock lets one replica sweep at a time (the others skip) and the batch's rows are
locked ``SKIP LOCKED`` (a case action stopping a clock holds its row). SQLite has a single writer.

Whoever must hear of a breach (the notifications) registers a listener: it gets each batch of newly
breached clocks in the sweep's transaction, so a message is queued exactly when the breach is recorded.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from app import metrics
from app.calendar.service import CACHE_SECONDS, calendar_in_force
from app.calendar.workdays import WorkCalendar
from app.models import Case, ClockUnit, SlaClock

SWEEP_LOCK_ID = 7_243_002
BATCH_SIZE = 5_000


@dataclass(frozen=True)
class BreachedClock:
    """A clock the sweep just found past due (the notifications' input)."""

    id: int
    case_id: uuid.UUID
    kind: str
    due_at: datetime
    town_org_id: int
    organization_id: int | None


BreachListener = Callable[[AsyncSession, Sequence[BreachedClock]], Awaitable[None]]
_listeners: list[BreachListener] = []


def on_breaches(listener: BreachListener) -> BreachListener:
    """Register ``listener`` (usable as a decorator): called with each batch the sweep records."""
    _listeners.append(listener)
    return listener


@dataclass(frozen=True)
class SweepResult:
    ran: bool
    breaches_recorded: int
    deadlines_recomputed: int
    by_kind: dict[str, int]


async def _try_lock(session: AsyncSession) -> bool:
    if session.get_bind().dialect.name != "postgresql":
        return True
    locked = await session.execute(text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": SWEEP_LOCK_ID})
    return bool(locked.scalar())


def _watched() -> list[object]:
    # Exactly the predicate of ix_sla_clocks_watch, so the planner uses it.
    return [SlaClock.stopped_at.is_(None), SlaClock.breached_at.is_(None)]


async def record_batch(
    session: AsyncSession, now: datetime, after: tuple[datetime, int] | None = None, limit: int = BATCH_SIZE
) -> tuple[list[BreachedClock], tuple[datetime, int] | None]:
    """Mark up to ``limit`` running clocks past due as breached, soonest due first, after the position
    ``after`` in the watch index; returns them and the position to go on from.

    Two statements, so that the UPDATE finds its rows by primary key (as one UPDATE … IN (SELECT …) the
    planner may hash-join the batch against the whole table). Each batch starts where the last one ended:
    the entries of the clocks it just breached stay in the index until vacuumed, and re-reading them from
    the start in every batch would make a large backlog quadratic."""
    conditions = [*_watched(), SlaClock.due_at < now]
    if after is not None:
        conditions.append(tuple_(SlaClock.due_at, SlaClock.id) > tuple_(*after))
    due = (
        select(SlaClock.id, SlaClock.due_at)
        .where(*conditions)  # type: ignore[arg-type]
        .order_by(SlaClock.due_at, SlaClock.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    found = (await session.execute(due)).all()
    if not found:
        return [], None
    ids = [row.id for row in found]
    last = (found[-1].due_at, found[-1].id)
    stmt = (
        update(SlaClock)
        .where(SlaClock.id.in_(ids), SlaClock.breached_at.is_(None))
        .values(breached_at=now)
        .returning(
            SlaClock.id,
            SlaClock.case_id,
            SlaClock.kind,
            SlaClock.due_at,
            SlaClock.town_org_id,
            SlaClock.organization_id,
        )
        .execution_options(synchronize_session=False)
    )
    return [BreachedClock(*row) for row in (await session.execute(stmt)).all()], last


async def record_breaches(session: AsyncSession, now: datetime) -> dict[str, int]:
    """Batches until one finds nothing more; per kind, how many breaches were recorded."""
    counts: dict[str, int] = {}
    after: tuple[datetime, int] | None = None
    while True:
        batch, after = await record_batch(session, now, after)
        for clock in batch:
            counts[clock.kind] = counts.get(clock.kind, 0) + 1
        for listener in _listeners:
            if batch:
                await listener(session, batch)
        if after is None:
            return counts


async def recompute_open_deadlines(session: AsyncSession, calendar: WorkCalendar, now: datetime) -> int:
    """Recompute the due time of every running working-day clock computed with another calendar version
    (a provisional year now loaded, or a replica's stale cache). A breach recorded against a due time that
    moved into the future is withdrawn: the clock is watched again."""
    changed = 0
    # Two ranges and NULL, not "<>": each is a range scan of the partial index on running clocks' versions
    # (one condition with OR would read every running clock).
    version = SlaClock.calendar_version
    for other in (version < calendar.version, version > calendar.version, version.is_(None)):
        changed += await _recompute(session, calendar, now, other)
    return changed


async def _recompute(session: AsyncSession, calendar: WorkCalendar, now: datetime, other: Any) -> int:
    changed = 0
    while True:
        stale = list(
            (
                await session.execute(
                    select(SlaClock)
                    .where(SlaClock.stopped_at.is_(None), SlaClock.unit == ClockUnit.WORKING_DAYS, other)
                    .limit(BATCH_SIZE)
                    .with_for_update(skip_locked=True)
                )
            ).scalars()
        )
        for clock in stale:
            due = calendar.due(clock.started_at, clock.length_days + clock.extended_days)
            clock.calendar_version = calendar.version
            if (due.due_at, due.provisional) == (clock.due_at, clock.due_provisional):
                continue
            changed += 1
            clock.due_at, clock.due_provisional = due.due_at, due.provisional
            if clock.breached_at is not None and due.due_at > now:
                clock.breached_at = None
            if clock.kind == "dispatch":
                await _mirror_on_case(session, clock)
        await session.flush()
        if len(stale) < BATCH_SIZE:
            return changed


async def _mirror_on_case(session: AsyncSession, clock: SlaClock) -> None:
    """The case shows its running dispatch deadline (CaseOut.dispatch_due_at)."""
    await session.execute(
        update(Case)
        .where(Case.id == clock.case_id)
        .values(
            dispatch_due_at=clock.due_at,
            dispatch_due_provisional=clock.due_provisional,
            dispatch_calendar_version=clock.calendar_version,
        )
        .execution_options(synchronize_session=False)
    )


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
        return SweepResult(ran=False, breaches_recorded=0, deadlines_recomputed=0, by_kind={})
    calendar = await calendar_in_force(session, fresh=True)
    recomputed = (
        await recompute_open_deadlines(session, calendar, now) if _recheck_due(calendar.version) else 0
    )
    by_kind = await record_breaches(session, now)
    return SweepResult(
        ran=True,
        breaches_recorded=sum(by_kind.values()),
        deadlines_recomputed=recomputed,
        by_kind=by_kind,
    )
