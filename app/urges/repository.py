"""All SQL of the 督办: the facts the rule reads, the holder, the scoped lists."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.models import Case, Organization, OrgKind, Role, SlaClock, Urge
from app.sla.queries import town_scope
from app.urges.rules import RunningClock


async def running_clocks(session: AsyncSession, case_id: uuid.UUID) -> list[RunningClock]:
    rows = await session.execute(
        select(SlaClock.kind, SlaClock.due_at, SlaClock.breached_at).where(
            SlaClock.case_id == case_id, SlaClock.stopped_at.is_(None)
        )
    )
    return [RunningClock(kind, due, breached is not None) for kind, due, breached in rows]


async def justice_office_of(session: AsyncSession, town_org_id: int) -> int | None:
    """The town's 司法所: it holds a case while the case waits for dispatch."""
    stmt = select(Organization.id).where(
        Organization.kind == OrgKind.JUSTICE_OFFICE, Organization.town_id == town_org_id
    )
    return (await session.execute(stmt.order_by(Organization.id).limit(1))).scalar_one_or_none()


def urge_scope(principal: Principal) -> ColumnElement[bool]:
    """Supervisors see the 督办 of their town (the bureau all); every organization those it must answer."""
    own = Urge.holder_org_id == principal.organization_id
    if principal.role in (Role.SUPERVISOR, Role.ADMIN):
        return or_(town_scope(principal, Urge.town_org_id), own)
    return own


def status_condition(status: str | None, today: date) -> ColumnElement[bool] | None:
    match status:
        case "open":
            return Urge.answered_at.is_(None)
        case "answered":
            return Urge.answered_at.is_not(None)
        case "overdue":
            return and_(Urge.answered_at.is_(None), Urge.report_back_by < today)
    return None


async def list_urges(
    session: AsyncSession,
    principal: Principal,
    status: str | None,
    today: date,
    *,
    case_id: uuid.UUID | None = None,
    after_id: int | None = None,
    limit: int = 50,
) -> Sequence[Any]:
    """Newest first: (Urge, case reference, case status)."""
    conditions = [urge_scope(principal)]
    by_status = status_condition(status, today)
    if by_status is not None:
        conditions.append(by_status)
    if case_id is not None:
        conditions.append(Urge.case_id == case_id)
    if after_id is not None:
        conditions.append(Urge.id < after_id)
    stmt = (
        select(Urge, Case.reference, Case.status)
        .join(Case, Case.id == Urge.case_id)
        .where(*conditions)
        .order_by(Urge.id.desc())
        .limit(limit)
    )
    return (await session.execute(stmt)).all()


async def open_urges_for(
    session: AsyncSession, holder_org_id: int | None, case_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Urge]:
    """The newest open 督办 per case that ``holder_org_id`` must answer (the inbox badge)."""
    if holder_org_id is None or not case_ids:
        return {}
    rows = await session.execute(
        select(Urge)
        .where(Urge.holder_org_id == holder_org_id, Urge.answered_at.is_(None), Urge.case_id.in_(case_ids))
        .order_by(Urge.id)
    )
    return {u.case_id: u for u in rows.scalars()}


async def get_for_update(session: AsyncSession, urge_id: int, principal: Principal) -> Urge | None:
    stmt = select(Urge).where(Urge.id == urge_id, urge_scope(principal)).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def case_urges(session: AsyncSession, case_id: uuid.UUID) -> Sequence[Any]:
    """A case's whole 督办 history, newest first (the caller has checked the case is in its scope)."""
    stmt = (
        select(Urge, Case.reference, Case.status)
        .join(Case, Case.id == Urge.case_id)
        .where(Urge.case_id == case_id)
        .order_by(Urge.id.desc())
    )
    return (await session.execute(stmt)).all()


async def case_reference(session: AsyncSession, case_id: uuid.UUID) -> tuple[str, str]:
    """(reference, status) of a case, to present a 督办 just recorded or answered."""
    row = (await session.execute(select(Case.reference, Case.status).where(Case.id == case_id))).one()
    return row[0], row[1]
