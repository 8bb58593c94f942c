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
from app.models import Assignment, Case, CaseStatus, SlaBreach
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


async def open_breaches(session: AsyncSession, principal: Principal) -> int:
    stmt = select(func.count()).where(
        SlaBreach.closed_at.is_(None), town_scope(principal, SlaBreach.town_org_id)
    )
    return int((await session.execute(stmt)).scalar_one())


def _on_time() -> Any:
    return func.sum(case((Assignment.dispatched_at <= Assignment.dispatch_due_at, 1), else_=0))


async def dispatch_on_time(
    session: AsyncSession, principal: Principal, start: datetime, end: datetime
) -> tuple[int, int]:
    """(dispatched on time, dispatched) in [start, end): the dispatch clock's on-time rate."""
    row = (
        await session.execute(
            select(_on_time(), func.count()).where(
                Assignment.dispatched_at >= start,
                Assignment.dispatched_at < end,
                town_scope(principal, Assignment.town_org_id),
            )
        )
    ).one()
    return int(row[0] or 0), int(row[1] or 0)


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


async def dispatches_per_day(
    session: AsyncSession, principal: Principal, start: datetime
) -> dict[date, tuple[int, int]]:
    """Per Shanghai day: (on time, dispatched)."""
    day = local_day(Assignment.dispatched_at, _dialect(session))
    rows = await session.execute(
        select(day, _on_time(), func.count())
        .where(Assignment.dispatched_at >= start, town_scope(principal, Assignment.town_org_id))
        .group_by(day)
    )
    return {as_date(d): (int(o or 0), int(n)) for d, o, n in rows}


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
