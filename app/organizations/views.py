"""GET /organizations: the "1+1+N" tree with codes, names and tiers; admin create, update, deactivate."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from app.deps import AdminPrincipal, CurrentPrincipal, Session
from app.models import Organization, OrgKind, Tier
from app.organizations import service

router = APIRouter(prefix="/organizations", tags=["organizations"])


class OrganizationOut(BaseModel):
    code: str
    name: str
    tier: Tier
    kind: OrgKind
    parent_code: str | None
    town_code: str | None
    region_code: str | None
    category: str | None
    channel: str | None
    active: bool
    children: list[OrganizationOut] = []


class OrganizationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    code: str = Field(min_length=2, max_length=40, pattern=r"^[A-Z0-9][A-Z0-9-]*$")
    name: str = Field(min_length=2, max_length=100)
    kind: OrgKind
    parent_code: str = Field(min_length=1, max_length=40)
    region_code: str | None = Field(default=None, max_length=12)
    category: str | None = Field(default=None, max_length=30)
    channel: str | None = Field(default=None, max_length=40)


class OrganizationPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str | None = Field(default=None, min_length=2, max_length=100)
    active: StrictBool | None = Field(
        default=None, description="false: deactivated, receives no new dispatches"
    )
    region_code: str | None = Field(default=None, max_length=12)


def _nodes(orgs: list[Organization]) -> dict[int, OrganizationOut]:
    code = {o.id: o.code for o in orgs}
    return {
        o.id: OrganizationOut(
            code=o.code,
            name=o.name,
            tier=o.tier,
            kind=o.kind,
            parent_code=code.get(o.parent_id) if o.parent_id else None,
            town_code=code.get(o.town_id) if o.town_id else None,
            region_code=o.region_code,
            category=o.category,
            channel=o.channel,
            active=o.active,
            children=[],
        )
        for o in orgs
    }


@router.get("", response_model=list[OrganizationOut])
async def list_organizations(
    session: Session,
    principal: CurrentPrincipal,
    tier: Tier | None = None,
    kind: OrgKind | None = None,
    town: Annotated[str | None, Query(description="Town code")] = None,
    flat: bool = False,
) -> list[OrganizationOut]:
    """The tree (roots with nested children), or a flat list with `flat=true` or any filter.

    Needs a login, on purpose: any signed-in person or machine key may read it, anonymous callers get 401.
    The tree is not secret, but it is the map of who handles which disputes, and nobody needs it before
    signing in (the pages and the court's client both have a session or a key by then)."""
    orgs = await service.all_organizations(session)
    nodes = _nodes(orgs)
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


async def _one(session: Session, code: str) -> OrganizationOut:
    return next(n for n in _nodes(await service.all_organizations(session)).values() if n.code == code)


@router.post("", response_model=OrganizationOut, status_code=201, responses={409: {}, 422: {}})
async def create_organization(
    body: OrganizationIn, session: Session, principal: AdminPrincipal
) -> OrganizationOut:
    """Add an organization under its parent (e.g. a new village committee under its town)."""
    org = await service.create_organization(session, body.model_dump())
    return await _one(session, org.code)


@router.patch("/{code}", response_model=OrganizationOut, responses={404: {}, 422: {}})
async def update_organization(
    code: str, body: OrganizationPatch, session: Session, principal: AdminPrincipal
) -> OrganizationOut:
    """Rename, change the region code, or (de)activate. Codes are stable and never change."""
    await service.update_organization(session, code, body.model_dump(exclude_unset=True))
    return await _one(session, code)
