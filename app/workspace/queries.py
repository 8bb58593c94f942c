"""All SQL of the workspace's tiles and charts. Each query is filtered by the caller's scope and reads
through an index on (town, time) or (status, time)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.auth.scope import case_scope
from app.models import Case, CaseStatus, SlaClock
from app.sla.queries import town_scope
from app.workspace.days import as_date, local_day

OPEN_STATES = (CaseStatus.PENDING_DISPATCH, CaseStatus.DISPATCHED, CaseStatus.IN_MEDIATION)


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


@dataclass(frozen=True)
class PendingCounts:
    pending: int
    due_today: int  # due before the end of today, including those already late
    at_risk: int  # not yet late, due before the end of the next working day
    late: int


async def pending_counts(
    session: AsyncSession, principal: Principal, now: datetime, end_of_today: datetime, horizon: datetime
) -> PendingCounts:
    due = Case.dispatch_due_at
    row = (
        await session.execute(
            select(
                func.count(),
                func.sum(case((due < end_of_today, 1), else_=0)),
                func.sum(case(((due > now) & (due <= horizon), 1), else_=0)),
                func.sum(case((due <= now, 1), else_=0)),
            ).where(Case.status == CaseStatus.PENDING_DISPATCH, case_scope(principal))
        )
    ).one()
    return PendingCounts(*(int(v or 0) for v in row))


@dataclass(frozen=True)
class ClockCounts:
    at_risk: int  # running, not yet due, due before its kind's horizon
    late: int  # running past its due time (超期未处理), whether or not the sweep has recorded it yet


async def running_clock_counts(
    session: AsyncSession, principal: Principal, now: datetime, horizons: dict[str, datetime]
) -> dict[str, ClockCounts]:
    """Per clock kind, of the running clocks in the caller's town scope: at risk, and late."""
    c = SlaClock
    horizon = case(*((c.kind == kind, h) for kind, h in horizons.items()), else_=now)
    rows = await session.execute(
        select(
            c.kind,
            func.sum(case(((c.due_at > now) & (c.due_at <= horizon), 1), else_=0)),
            func.sum(case((c.due_at <= now, 1), else_=0)),
        )
        .where(c.stopped_at.is_(None), town_scope(principal, c.town_org_id))
        .group_by(c.kind)
    )
    found = {kind: ClockCounts(int(r or 0), int(x or 0)) for kind, r, x in rows}
    return {kind: found.get(kind, ClockCounts(0, 0)) for kind in horizons}


async def _per_day(session: AsyncSession, column: Any, *where: ColumnElement[bool]) -> dict[date, int]:
    day = local_day(column, _dialect(session))
    rows = await session.execute(select(day, func.count()).where(*where).group_by(day))
    return {as_date(d): int(n) for d, n in rows}


async def registrations_per_day(
    session: AsyncSession, principal: Principal, start: datetime
) -> dict[date, int]:
    return await _per_day(session, Case.received_at, Case.received_at >= start, case_scope(principal))


async def resolutions_per_day(
    session: AsyncSession, principal: Principal, start: datetime
) -> dict[date, int]:
    return await _per_day(session, Case.resolved_at, Case.resolved_at >= start, case_scope(principal))


async def open_cases_by(session: AsyncSession, principal: Principal, column: Any) -> Sequence[Any]:
    """Open cases grouped by ``column`` (the town for the city; the holding organization within a town)."""
    stmt = (
        select(column, func.count())
        .where(Case.status.in_(OPEN_STATES), case_scope(principal))
        .group_by(column)
        .order_by(func.count().desc())
    )
    return (await session.execute(stmt)).all()


async def cases_by_category(session: AsyncSession, principal: Principal, start: datetime) -> Sequence[Any]:
    stmt = (
        select(Case.category, func.count())
        .where(Case.received_at >= start, case_scope(principal))
        .group_by(Case.category)
        .order_by(func.count().desc())
    )
    return (await session.execute(stmt)).all()
