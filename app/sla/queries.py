"""Supervisors' SLA queries. All SQL for breaches, at-risk cases and the on-time summary lives here."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select, true, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.models import Assignment, Case, CaseStatus, OrgKind, Role, SlaBreach


def town_scope(principal: Principal, column: Any) -> ColumnElement[bool]:
    """Supervisors see their own town; the city bureau and admins all of it."""
    if principal.role == Role.ADMIN or principal.organization_kind == OrgKind.JUSTICE_BUREAU:
        return true()
    return column == principal.town_id


@dataclass(frozen=True)
class SlaFilters:
    town_id: int | None = None
    organization_id: int | None = None
    tier: str | None = None
    category: str | None = None
    state: str | None = None  # open | closed
    due_from: datetime | None = None
    due_to: datetime | None = None


@dataclass(frozen=True)
class FilterColumns:
    """Which columns the common filters apply to, in a given query."""

    town: Any
    organization: Any
    tier: Any
    category: Any


BREACH_COLUMNS = FilterColumns(
    SlaBreach.town_org_id, SlaBreach.organization_id, SlaBreach.tier, SlaBreach.category
)
PENDING_COLUMNS = FilterColumns(Case.town_org_id, Case.routing_org_id, Case.routing_tier, Case.category)
DISPATCH_COLUMNS = FilterColumns(
    Assignment.town_org_id, Assignment.organization_id, Assignment.tier, Case.category
)


def filter_conditions(principal: Principal, f: SlaFilters, cols: FilterColumns) -> list[ColumnElement[bool]]:
    """The caller's town scope and the town / organization / tier / category filters."""
    conditions: list[ColumnElement[bool]] = [town_scope(principal, cols.town)]
    if f.town_id is not None:
        conditions.append(cols.town == f.town_id)
    if f.organization_id is not None:
        conditions.append(cols.organization == f.organization_id)
    if f.tier:
        conditions.append(cols.tier == f.tier)
    if f.category:
        conditions.append(cols.category == f.category)
    return conditions


async def breaches(
    session: AsyncSession,
    principal: Principal,
    f: SlaFilters,
    after: tuple[datetime, int] | None,
    limit: int,
) -> Sequence[Any]:
    """Newest due first, keyset on (due_at, id)."""
    conditions = filter_conditions(principal, f, BREACH_COLUMNS)
    if f.state == "open":
        conditions.append(SlaBreach.closed_at.is_(None))
    elif f.state == "closed":
        conditions.append(SlaBreach.closed_at.is_not(None))
    if f.due_from:
        conditions.append(SlaBreach.due_at >= f.due_from)
    if f.due_to:
        conditions.append(SlaBreach.due_at < f.due_to)
    if after is not None:
        due, last_id = after
        conditions.append(tuple_(SlaBreach.due_at, SlaBreach.id) < tuple_(due, last_id))
    stmt = (
        select(SlaBreach, Case.reference, Case.status)
        .join(Case, Case.id == SlaBreach.case_id)
        .where(*conditions)
        .order_by(SlaBreach.due_at.desc(), SlaBreach.id.desc())
        .limit(limit)
    )
    return (await session.execute(stmt)).all()


async def at_risk(
    session: AsyncSession,
    principal: Principal,
    now: datetime,
    horizon: datetime,
    f: SlaFilters,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Case]:
    """Pending and due between now and ``horizon`` (end of the next working day); soonest first."""
    conditions = [
        Case.status == CaseStatus.PENDING_DISPATCH,
        Case.dispatch_due_at > now,
        Case.dispatch_due_at <= horizon,
        *filter_conditions(principal, f, PENDING_COLUMNS),
    ]
    if after is not None:
        due, last_id = after
        conditions.append(
            or_(Case.dispatch_due_at > due, and_(Case.dispatch_due_at == due, Case.id > last_id))
        )
    stmt = select(Case).where(*conditions).order_by(Case.dispatch_due_at, Case.id).limit(limit)
    return list((await session.execute(stmt)).scalars())


@dataclass(frozen=True)
class SummaryRow:
    town_org_id: int
    organization_id: int | None
    dispatched: int
    on_time: int
    late: int
    open_breaches: int


async def summary(
    session: AsyncSession, principal: Principal, start: datetime, end: datetime, f: SlaFilters
) -> list[SummaryRow]:
    """Per town and organization: dispatches in [start, end), how many on time, and breaches still open."""
    on_time = case((Assignment.dispatched_at <= Assignment.dispatch_due_at, 1), else_=0)
    conditions = [
        Assignment.dispatched_at >= start,
        Assignment.dispatched_at < end,
        *filter_conditions(principal, f, DISPATCH_COLUMNS),
    ]
    # Assignments carry their case's town: a year's summary reads the covering index on dispatched_at alone,
    # joining cases only to filter by category.
    stmt = select(Assignment.town_org_id, Assignment.organization_id, func.count(), func.sum(on_time))
    if f.category:
        stmt = stmt.join(Case, Case.id == Assignment.case_id)
    dispatched = (
        await session.execute(
            stmt.where(*conditions).group_by(Assignment.town_org_id, Assignment.organization_id)
        )
    ).all()
    open_conditions = [SlaBreach.closed_at.is_(None), *filter_conditions(principal, f, BREACH_COLUMNS)]
    open_rows = (
        await session.execute(
            select(SlaBreach.town_org_id, SlaBreach.organization_id, func.count())
            .where(*open_conditions)
            .group_by(SlaBreach.town_org_id, SlaBreach.organization_id)
        )
    ).all()
    table: dict[tuple[int, int | None], list[int]] = {}
    for town, org, count, ontime in dispatched:
        table[(town, org)] = [int(count), int(ontime or 0), 0]
    for town, org, count in open_rows:
        table.setdefault((town, org), [0, 0, 0])[2] = int(count)
    return [
        SummaryRow(town, org, d, o, d - o, b)
        for (town, org), (d, o, b) in sorted(table.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0))
    ]
