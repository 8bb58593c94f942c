"""The filters of the supervisors' lists and exports (town, organization, tier, category), from codes to
the ids ``app.sla.queries`` filters on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Query
from sqlalchemy.ext.asyncio import AsyncSession

from app.cases.schemas import CategoryCode
from app.models import Tier
from app.organizations.lookup import codes_to_ids
from app.sla.queries import SlaFilters


@dataclass(frozen=True)
class FilterParams:
    town: Annotated[str | None, Query(description="Town code, e.g. LY-LC")] = None
    organization: Annotated[str | None, Query(description="Organization code the case was routed to")] = None
    tier: Tier | None = None
    category: CategoryCode | None = None


async def sla_filters(session: AsyncSession, p: FilterParams, **rest: object) -> SlaFilters | None:
    ids = await codes_to_ids(session, [c for c in (p.town, p.organization) if c])
    if (p.town and p.town not in ids) or (p.organization and p.organization not in ids):
        return None  # an unknown code matches nothing
    return SlaFilters(
        town_id=ids.get(p.town) if p.town else None,
        organization_id=ids.get(p.organization) if p.organization else None,
        tier=p.tier,
        category=p.category,
        **rest,  # type: ignore[arg-type]
    )
