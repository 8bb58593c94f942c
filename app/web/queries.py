"""What the pages show, read through the same scope filter, repository and presenter as the JSON API."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.auth.scope import case_scope
from app.cases import repository as repo
from app.cases.presenter import masked_text, present_cases
from app.models import Organization, OrgKind

MY_CASES_LIMIT = 50


@dataclass
class IntakeDefaults:
    """The place a mediator's committee covers, to pre-fill the form (the server falls back to it too)."""

    towns: list[tuple[str, str]] = field(default_factory=list)
    town_code: str = ""
    villages: list[tuple[str, str]] = field(default_factory=list)
    village_code: str = ""


async def my_cases(session: AsyncSession, principal: Principal) -> list[dict[str, Any]]:
    """Newest first: the committee's own submissions and the cases assigned to it (the API's scope)."""
    cases = await repo.list_cases(session, case_scope(principal), repo.CaseFilters(), None, MY_CASES_LIMIT)
    return [c.model_dump() for c in await present_cases(session, cases)]


async def case_detail(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID
) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    case = await repo.get_case(session, case_id, case_scope(principal))
    if case is None:
        return None
    (out,) = await present_cases(session, [case])
    events = await repo.events_of(session, case_id, None, 500)
    orgs = await repo.orgs_by_ids(session, [e.actor_org_id for e in events])
    timeline = [
        {
            "type": e.type,
            "from_status": e.from_status,
            "to_status": e.to_status,
            "organization": orgs[e.actor_org_id].name if e.actor_org_id in orgs else None,
            "reason": masked_text(e.reason),
            "occurred_at": e.occurred_at,
        }
        for e in events
    ]
    return out.model_dump(), timeline


async def villages_of(session: AsyncSession, town_id: int) -> list[tuple[str, str]]:
    stmt = (
        select(Organization.code, Organization.name)
        .where(
            Organization.kind == OrgKind.VILLAGE_COMMITTEE,
            Organization.town_id == town_id,
            Organization.active.is_(True),
        )
        .order_by(Organization.code)
    )
    return [(code, name.removesuffix("人民调解委员会")) for code, name in await session.execute(stmt)]


async def intake_defaults(session: AsyncSession, principal: Principal) -> IntakeDefaults:
    towns = list(
        await session.execute(
            select(Organization.id, Organization.code, Organization.name)
            .where(Organization.kind == OrgKind.TOWN, Organization.active.is_(True))
            .order_by(Organization.id)
        )
    )
    result = IntakeDefaults(towns=[(code, name) for _, code, name in towns])
    own = (await repo.orgs_by_ids(session, [principal.organization_id])).get(principal.organization_id)
    town_id = principal.town_id
    if town_id is None:
        return result
    result.town_code = next((code for oid, code, _ in towns if oid == town_id), "")
    result.villages = await villages_of(session, town_id)
    if own is not None and own.kind == OrgKind.VILLAGE_COMMITTEE:
        result.village_code = own.code
    return result
