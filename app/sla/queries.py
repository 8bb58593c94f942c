"""All SQL of the supervisors' SLA views, one set of queries for the three clock kinds: breaches, at-risk
clocks, and the on-time counts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, and_, case, cast, func, literal, select, true, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.db import UTCDateTime
from app.models import Assignment, Case, OrgKind, Party, Role, SlaClock

WITHDRAWN = "withdrawn"


def town_scope(principal: Principal | None, column: Any) -> ColumnElement[bool]:
    """Supervisors see their own town; the city bureau and admins all of it (no principal: a service call)."""
    if (
        principal is None
        or principal.role == Role.ADMIN
        or principal.organization_kind == OrgKind.JUSTICE_BUREAU
    ):
        return true()
    return column == principal.town_id


@dataclass(frozen=True)
class SlaFilters:
    kind: str = "dispatch"
    town_id: int | None = None
    organization_id: int | None = None
    tier: str | None = None
    category: str | None = None
    state: str | None = None  # open | closed (breaches)
    due_from: datetime | None = None
    due_to: datetime | None = None


def filter_conditions(principal: Principal | None, f: SlaFilters) -> list[ColumnElement[bool]]:
    """The clock kind, the caller's town scope, the town / organization / tier / category / due filters."""
    c = SlaClock
    conditions: list[ColumnElement[bool]] = [c.kind == f.kind, town_scope(principal, c.town_org_id)]
    if f.town_id is not None:
        conditions.append(c.town_org_id == f.town_id)
    if f.organization_id is not None:
        conditions.append(c.organization_id == f.organization_id)
    if f.tier:
        conditions.append(c.tier == f.tier)
    if f.category:
        conditions.append(c.category == f.category)
    if f.due_from is not None:
        conditions.append(c.due_at >= f.due_from)
    if f.due_to is not None:
        conditions.append(c.due_at < f.due_to)
    return conditions


def lateness_seconds(session: AsyncSession, now: datetime) -> ColumnElement[int]:
    """How late a breached clock is: stopped (or now) minus due, in whole seconds, in SQL."""
    until = func.coalesce(SlaClock.stopped_at, literal(now, UTCDateTime()))
    seconds: ColumnElement[Any]
    if session.get_bind().dialect.name == "postgresql":
        seconds = func.extract("epoch", until - SlaClock.due_at)
    else:
        seconds = (func.julianday(until) - func.julianday(SlaClock.due_at)) * 86400
    return cast(func.round(seconds), BigInteger)


async def breaches(
    session: AsyncSession,
    principal: Principal,
    f: SlaFilters,
    *,
    sort: str,
    now: datetime,
    after: tuple[Any, int] | None,
    limit: int,
) -> Sequence[Any]:
    """Breached clocks with their case's reference and status. ``sort=due``: newest due first, keyset on
    (due_at, id); ``sort=lateness``: latest first, keyset on (lateness at ``now``, id) — for open breaches
    alone that is earliest due first, keyset on (due_at, id), read in index order."""
    conditions = [SlaClock.breached_at.is_not(None), *filter_conditions(principal, f)]
    if f.state == "open":
        conditions.append(SlaClock.stopped_at.is_(None))
    elif f.state == "closed":
        conditions.append(SlaClock.stopped_at.is_not(None))
    late = lateness_seconds(session, now)
    if sort == "lateness" and f.state == "open":
        # Open breaches are as late as now makes them: latest first is earliest due first (index order).
        if after is not None:
            conditions.append(tuple_(SlaClock.due_at, SlaClock.id) > tuple_(*after))
        order: list[Any] = [SlaClock.due_at, SlaClock.id]
    else:
        key = (SlaClock.due_at, SlaClock.id) if sort == "due" else (late, SlaClock.id)
        if after is not None:
            conditions.append(tuple_(*key) < tuple_(*after))
        order = [key[0].desc(), SlaClock.id.desc()]
    stmt = (
        select(SlaClock, Case.reference, Case.status, late.label("late"))
        .join(Case, Case.id == SlaClock.case_id)
        .where(*conditions)
        .order_by(*order)
        .limit(limit)
    )
    return (await session.execute(stmt)).all()


async def at_risk(
    session: AsyncSession,
    principal: Principal,
    f: SlaFilters,
    *,
    now: datetime,
    horizon: datetime,
    after: tuple[datetime, int] | None,
    limit: int,
) -> Sequence[Any]:
    """Running clocks not yet breached, due between now and ``horizon``; soonest first."""
    conditions = [
        SlaClock.stopped_at.is_(None),
        SlaClock.breached_at.is_(None),
        SlaClock.due_at > now,
        SlaClock.due_at <= horizon,
        *filter_conditions(principal, f),
    ]
    if after is not None:
        conditions.append(tuple_(SlaClock.due_at, SlaClock.id) > tuple_(*after))
    stmt = (
        select(SlaClock, Case.reference, Case.status, literal(0).label("late"))
        .join(Case, Case.id == SlaClock.case_id)
        .where(*conditions)
        .order_by(SlaClock.due_at, SlaClock.id)
        .limit(limit)
    )
    return (await session.execute(stmt)).all()


@dataclass(frozen=True)
class CountsRow:
    town_org_id: int
    organization_id: int | None
    tier: str | None
    met: int
    missed: int
    ended_early: int


async def counts(
    session: AsyncSession,
    principal: Principal | None,
    f: SlaFilters,
    start: datetime,
    end: datetime,
    now: datetime,
) -> list[CountsRow]:
    """Per town, organization and tier: of the clocks of ``f.kind`` due in [start, end), how many were met
    (stopped at or before due), missed (stopped after due, or still running past due) and ended early
    (withdrawn before due: counted apart, in neither). Clocks still running and not yet due are none."""
    c = SlaClock
    withdrawn_early = and_(c.stopped_by == WITHDRAWN, c.stopped_at <= c.due_at)
    met = case((and_(c.stopped_at <= c.due_at, ~withdrawn_early), 1), else_=0)
    missed = case((c.stopped_at > c.due_at, 1), (and_(c.stopped_at.is_(None), c.due_at < now), 1), else_=0)
    early = case((withdrawn_early, 1), else_=0)
    conditions = [*filter_conditions(principal, f), c.due_at >= start, c.due_at < end]
    stmt = (
        select(c.town_org_id, c.organization_id, c.tier, func.sum(met), func.sum(missed), func.sum(early))
        .where(*conditions)
        .group_by(c.town_org_id, c.organization_id, c.tier)
    )
    rows = (await session.execute(stmt)).all()
    out = [CountsRow(t, o, tier, int(m or 0), int(x or 0), int(e or 0)) for t, o, tier, m, x, e in rows]
    return sorted(out, key=lambda r: (r.town_org_id, r.organization_id or 0, r.tier or ""))


async def csv_details(
    session: AsyncSession, case_ids: Sequence[uuid.UUID]
) -> tuple[dict[uuid.UUID, datetime | None], dict[uuid.UUID, list[Party]], dict[uuid.UUID, str]]:
    """For the CSV: each case's latest acceptance time, its parties, and its summary."""
    if not case_ids:
        return {}, {}, {}
    ids = list(set(case_ids))
    accepted = dict(
        (
            await session.execute(
                select(Assignment.case_id, func.max(Assignment.accepted_at))
                .where(Assignment.case_id.in_(ids), Assignment.accepted_at.is_not(None))
                .group_by(Assignment.case_id)
            )
        ).all()
    )
    parties: dict[uuid.UUID, list[Party]] = {cid: [] for cid in ids}
    for party in (
        await session.execute(select(Party).where(Party.case_id.in_(ids)).order_by(Party.position))
    ).scalars():
        parties[party.case_id].append(party)
    summaries = dict((await session.execute(select(Case.id, Case.summary).where(Case.id.in_(ids)))).all())
    return accepted, parties, summaries
