"""What the pages show, read through the same scope filter, repository and presenter as the JSON API."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.cases import repository as repo
from app.models import Organization, OrgKind


@dataclass
class IntakeDefaults:
    """The place a mediator's committee covers, to pre-fill the form (the server falls back to it too)."""

    towns: list[tuple[str, str]] = field(default_factory=list)
    town_code: str = ""
    villages: list[tuple[str, str]] = field(default_factory=list)
    village_code: str = ""


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
