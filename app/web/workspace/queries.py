"""What the workspace pages read besides the JSON endpoints' services: the filter choices, a case's clocks."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.auth.scope import case_scope
from app.cases import repository as case_repo
from app.cases.presenter import masked_text, present_cases
from app.models import Organization, OrgKind, SlaClock
from app.routing import service as routing
from app.sla.queries import town_scope


@dataclass(frozen=True)
class FilterChoices:
    towns: list[tuple[str, str]]
    organizations: list[tuple[str, str]]


async def filter_choices(session: AsyncSession, principal: Principal) -> FilterChoices:
    """The towns and the mediating organizations a supervisor's lists may be filtered by (its own town's
    and the city-wide ones for a town's office)."""
    towns = await session.execute(
        select(Organization.code, Organization.name)
        .where(Organization.kind == OrgKind.TOWN, town_scope(principal, Organization.id))
        .order_by(Organization.id)
    )
    orgs = await session.execute(
        select(Organization.code, Organization.name)
        .where(
            Organization.kind.in_(routing.MEDIATING_KINDS),
            town_scope(principal, Organization.town_id) | Organization.town_id.is_(None),
        )
        .order_by(Organization.town_id.is_not(None), Organization.town_id, Organization.id)
    )
    return FilterChoices([tuple(r) for r in towns], [tuple(r) for r in orgs])  # type: ignore[misc]


async def case_clocks(session: AsyncSession, case_id: uuid.UUID) -> list[SlaClock]:
    """Every clock of a case, oldest first: dispatch, acceptance and mediation, each hand-off's own."""
    rows = await session.execute(
        select(SlaClock).where(SlaClock.case_id == case_id).order_by(SlaClock.started_at, SlaClock.id)
    )
    return list(rows.scalars())


async def case_detail(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID
) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """The case as the API presents it, and its whole audit timeline (out of scope: None, a 404)."""
    case = await case_repo.get_case(session, case_id, case_scope(principal))
    if case is None:
        return None
    (out,) = await present_cases(session, [case])
    events = await case_repo.events_of(session, case_id, None, 500)
    orgs = await case_repo.orgs_by_ids(session, [e.actor_org_id for e in events])
    timeline = [
        {
            "type": e.type,
            "organization": orgs[e.actor_org_id].name if e.actor_org_id in orgs else None,
            "reason": masked_text(e.reason),
            "occurred_at": e.occurred_at,
        }
        for e in events
    ]
    return out.model_dump(), timeline
