"""GET /organizations: the "1+1+N" tree with codes, names and tiers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import select

from app.deps import CurrentPrincipal, Session
from app.models import Organization

router = APIRouter(prefix="/organizations", tags=["organizations"])


class OrganizationOut(BaseModel):
    code: str
    name: str
    tier: str
    kind: str
    parent_code: str | None
    town_code: str | None
    region_code: str | None
    category: str | None
    channel: str | None
    active: bool
    children: list[OrganizationOut] = []


@router.get("", response_model=list[OrganizationOut])
async def list_organizations(
    session: Session,
    principal: CurrentPrincipal,
    tier: str | None = None,
    kind: str | None = None,
    town: Annotated[str | None, Query(description="Town code")] = None,
    flat: bool = False,
) -> list[OrganizationOut]:
    """The tree (roots with nested children), or a flat list with `flat=true` or any filter."""
    orgs = list((await session.execute(select(Organization).order_by(Organization.id))).scalars())
    by_id = {o.id: o for o in orgs}

    def code_of(org_id: int | None) -> str | None:
        return by_id[org_id].code if org_id in by_id else None

    nodes = {
        o.id: OrganizationOut(
            code=o.code,
            name=o.name,
            tier=o.tier,
            kind=o.kind,
            parent_code=code_of(o.parent_id),
            town_code=code_of(o.town_id),
            region_code=o.region_code,
            category=o.category,
            channel=o.channel,
            active=o.active,
            children=[],
        )
        for o in orgs
    }
    if flat or tier or kind or town:
        return [
            n
            for n in nodes.values()
            if (not tier or n.tier == tier)
            and (not kind or n.kind == kind)
            and (not town or n.town_code == town)
        ]
    roots = []
    for o in orgs:
        if o.parent_id in nodes:
            nodes[o.parent_id].children.append(nodes[o.id])
        else:
            roots.append(nodes[o.id])
    return roots
