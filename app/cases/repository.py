"""All SQL for cases: lookups, inserts, scoped reads, keyset lists."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app import prepared
from app.cases import sql
from app.cases.events import EventRows
from app.models import (
    Assignment,
    Case,
    CaseEvent,
    CaseStatus,
    ClockKind,
    ConfirmationRequest,
    Organization,
    Party,
    SlaClock,
)


async def orgs_by_codes(session: AsyncSession, codes: Iterable[str]) -> dict[str, Organization]:
    wanted = {c for c in codes if c}
    if not wanted:
        return {}
    rows = await session.execute(select(Organization).where(Organization.code.in_(wanted)))
    return {o.code: o for o in rows.scalars()}


async def orgs_by_ids(session: AsyncSession, ids: Iterable[int | None]) -> dict[int, Organization]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await session.execute(select(Organization).where(Organization.id.in_(wanted)))
    return {o.id: o for o in rows.scalars()}


async def take_reference(
    session: AsyncSession, autocommit_engine: AsyncEngine | None, prefix: str, year: int
) -> str:
    """The next case number of the year.

    On PostgreSQL the counter's upsert commits on its own, at once: the row is locked for that one
    statement, never until the intake's commit (held across the intake's remaining round trips, it queued
    every concurrent intake behind it: p99 272–338 ms against 89 ms without it, 16 connections). The price
    is that a number whose intake then fails on a database error is not reused: numbers are unique and
    increasing, not gap-free. The idempotency claim and every validation come before, so a retry or a
    rejected request never takes one. SQLite has a single writer anyway: there the counter is updated in
    the intake's own transaction (a second connection would wait for the write lock that transaction holds).
    """
    params = {"prefix": prefix, "year": year, "last_value": 1}
    if autocommit_engine is not None and await prepared.driver_of(session) is not None:
        value = await prepared.fetchval_committed(autocommit_engine, sql.NEXT_REFERENCE, params)
    else:
        value = await prepared.fetchval(session, sql.NEXT_REFERENCE, params)
    return f"{prefix}-{year}-{value:06d}"


async def insert_new_case(
    session: AsyncSession,
    case: dict[str, Any],
    parties: list[dict[str, Any]],
    assignment: dict[str, Any] | None,
    events: EventRows,
    clocks: list[dict[str, Any]] | None = None,
) -> int | None:
    """A new case with its parties, assignment, events, feed rows and clocks (app.sla.clock); returns the
    assignment's id. One statement on PostgreSQL (app.cases.sql.NewCaseStatement), one per table on SQLite."""
    assignments = [assignment] if assignment is not None else []
    driver = await prepared.driver_of(session)
    if driver is not None:
        args = sql.NEW_CASE.args(case, parties, assignments, events.audit, events.outbox, clocks or [])
        assignment_id: int | None = await driver.fetchval(sql.NEW_CASE.sql, *args)
        return assignment_id
    await prepared.execute(session, sql.INSERT_CASE, case)
    if parties:  # an imported case may have none (app.reporting.history)
        await prepared.executemany(session, sql.INSERT_PARTIES, parties)
    assignment_id = None
    if assignment is not None:
        assignment_id = int(await prepared.fetchval(session, sql.INSERT_ASSIGNMENT, assignment))
    if events.audit:
        await prepared.executemany(session, sql.INSERT_EVENTS, events.audit)
    if events.outbox:
        await prepared.executemany(session, sql.INSERT_FEED_EVENTS, events.outbox)
    if clocks:
        await prepared.executemany(session, sql.INSERT_CLOCKS, clocks)
    return assignment_id


async def get_case(session: AsyncSession, case_id: uuid.UUID, scope: ColumnElement[bool]) -> Case | None:
    stmt = select(Case).where(Case.id == case_id, scope)
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_case_for_update(
    session: AsyncSession, case_id: uuid.UUID, scope: ColumnElement[bool]
) -> Case | None:
    """Row-locked on PostgreSQL; SQLite's single writer already serializes."""
    stmt = select(Case).where(Case.id == case_id, scope).with_for_update(of=Case)
    return (await session.execute(stmt)).scalar_one_or_none()


async def parties_of(session: AsyncSession, case_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Party]]:
    result: dict[uuid.UUID, list[Party]] = {cid: [] for cid in case_ids}
    if not case_ids:
        return result
    rows = await session.execute(select(Party).where(Party.case_id.in_(case_ids)).order_by(Party.position))
    for party in rows.scalars():
        result[party.case_id].append(party)
    return result


async def open_assignments_of(
    session: AsyncSession, case_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Assignment]:
    if not case_ids:
        return {}
    rows = await session.execute(
        select(Assignment).where(Assignment.case_id.in_(case_ids), Assignment.ended_at.is_(None))
    )
    return {a.case_id: a for a in rows.scalars()}


@dataclass(frozen=True)
class CaseFilters:
    status: str | None = None
    tier: str | None = None
    organization_id: int | None = None
    town_id: int | None = None
    category: str | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None


async def list_cases(
    session: AsyncSession,
    scope: ColumnElement[bool],
    filters: CaseFilters,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Case]:
    """Newest first, keyset-paginated on (received_at, id)."""
    conditions: list[ColumnElement[bool]] = [scope]
    if filters.status:
        conditions.append(Case.status == filters.status)
    if filters.tier:
        conditions.append(Case.current_tier == filters.tier)
    if filters.organization_id is not None:
        conditions.append(Case.current_org_id == filters.organization_id)
    if filters.town_id is not None:
        conditions.append(Case.town_org_id == filters.town_id)
    if filters.category:
        conditions.append(Case.category == filters.category)
    if filters.received_from:
        conditions.append(Case.received_at >= filters.received_from)
    if filters.received_to:
        conditions.append(Case.received_at < filters.received_to)
    if after is not None:
        at, last_id = after
        conditions.append(or_(Case.received_at < at, and_(Case.received_at == at, Case.id < last_id)))
    stmt = select(Case).where(*conditions).order_by(Case.received_at.desc(), Case.id.desc()).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def events_of(
    session: AsyncSession, case_id: uuid.UUID, after_id: int | None, limit: int
) -> list[CaseEvent]:
    stmt = select(CaseEvent).where(CaseEvent.case_id == case_id)
    if after_id is not None:
        stmt = stmt.where(CaseEvent.id > after_id)
    return list((await session.execute(stmt.order_by(CaseEvent.id).limit(limit))).scalars())


async def latest_breaches_of(
    session: AsyncSession, case_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, SlaClock]:
    """Each case's most recent breached dispatch clock."""
    if not case_ids:
        return {}
    rows = await session.execute(
        select(SlaClock)
        .where(
            SlaClock.case_id.in_(case_ids),
            SlaClock.kind == ClockKind.DISPATCH,
            SlaClock.breached_at.is_not(None),
        )
        .order_by(SlaClock.started_at)
    )
    return {b.case_id: b for b in rows.scalars()}


async def cases_asking_confirmation(
    session: AsyncSession, court_org_id: int, case_ids: Collection[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of ``case_ids`` ask ``court_org_id`` for judicial confirmation (any request, answered or not)."""
    if not case_ids:
        return set()
    found = await session.execute(
        select(ConfirmationRequest.case_id).where(
            ConfirmationRequest.court_org_id == court_org_id, ConfirmationRequest.case_id.in_(list(case_ids))
        )
    )
    return set(found.scalars())


OPEN_STATUSES = (CaseStatus.PENDING_DISPATCH, CaseStatus.DISPATCHED, CaseStatus.IN_MEDIATION)


async def open_cases_naming(
    session: AsyncSession, id_number_bidxs: Collection[str], received_since: datetime, limit: int = 10
) -> list[tuple[str, str]]:
    """(reference, status) of the open cases received since ``received_since`` that name a party with one
    of these ID numbers, found by their blind index (never by decrypting)."""
    if not id_number_bidxs:
        return []
    rows = await session.execute(
        select(Case.reference, Case.status)
        .join(Party, Party.case_id == Case.id)
        .where(
            Party.id_number_bidx.in_(list(id_number_bidxs)),
            Case.status.in_(OPEN_STATUSES),
            Case.received_at >= received_since,
        )
        .distinct()
        .order_by(Case.reference)
        .limit(limit)
    )
    return [(reference, status) for reference, status in rows]
