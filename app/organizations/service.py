"""The organization registry: listing the tree, and the administrators' changes to it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, FieldError, NotFound, ValidationFailed
from app.models import Organization, OrgKind, Tier
from app.routing.categories import TOP_CATEGORIES
from app.routing.engine import CITY_CHANNELS

# The tier each kind sits at in the "1+1+N" ladder, and the kind of parent it hangs under.
KIND_TIER: dict[str, Tier] = {
    OrgKind.JUSTICE_BUREAU: Tier.SUPERVISION,
    OrgKind.JUSTICE_OFFICE: Tier.SUPERVISION,
    OrgKind.TOWN: Tier.TOWN,
    OrgKind.TOWN_STATION: Tier.TOWN,
    OrgKind.VILLAGE_COMMITTEE: Tier.VILLAGE,
    OrgKind.SPECIALISED_COMMITTEE: Tier.SPECIALISED,
    OrgKind.CITY_CENTER: Tier.CITY_CENTER,
    OrgKind.CITY_CHANNEL: Tier.CITY_CENTER,
    OrgKind.COURT_SUBCENTER: Tier.COURT,
}
PARENT_KIND: dict[str, set[str]] = {
    OrgKind.TOWN: {OrgKind.JUSTICE_BUREAU},
    OrgKind.TOWN_STATION: {OrgKind.TOWN},
    OrgKind.JUSTICE_OFFICE: {OrgKind.TOWN},
    OrgKind.VILLAGE_COMMITTEE: {OrgKind.TOWN},
    OrgKind.SPECIALISED_COMMITTEE: {OrgKind.JUSTICE_BUREAU},
    OrgKind.CITY_CENTER: {OrgKind.JUSTICE_BUREAU},
    OrgKind.CITY_CHANNEL: {OrgKind.CITY_CENTER},
    OrgKind.COURT_SUBCENTER: {OrgKind.JUSTICE_BUREAU},
}


async def all_organizations(session: AsyncSession) -> list[Organization]:
    return list((await session.execute(select(Organization).order_by(Organization.id))).scalars())


async def _by_code(session: AsyncSession, code: str) -> Organization | None:
    return (await session.execute(select(Organization).where(Organization.code == code))).scalar_one_or_none()


async def create_organization(session: AsyncSession, data: dict[str, Any]) -> Organization:
    kind = data["kind"]
    errors: list[FieldError] = []
    parent = await _by_code(session, data["parent_code"])
    if kind not in PARENT_KIND:
        errors.append(
            FieldError("kind", "kind.not_creatable", "The city bureau is the root and exists once.")
        )
    elif parent is None or parent.kind not in PARENT_KIND[kind]:
        errors.append(
            FieldError(
                "parent_code", "parent.wrong_kind", f"A {kind} belongs under a {'/'.join(PARENT_KIND[kind])}."
            )
        )
    # A specialised committee serves a top-level category (and so its sub-categories).
    if kind == OrgKind.SPECIALISED_COMMITTEE and data.get("category") not in TOP_CATEGORIES:
        errors.append(
            FieldError(
                "category", "category.unknown", "A specialised committee needs its (top-level) case category."
            )
        )
    if kind == OrgKind.CITY_CHANNEL and data.get("channel") not in CITY_CHANNELS:
        errors.append(
            FieldError("channel", "channel.unknown", "A city-center channel needs a known channel.")
        )
    if errors:
        raise ValidationFailed(errors)
    if await _by_code(session, data["code"]) is not None:
        raise Conflict(f"An organization with code {data['code']} exists.", code="organization.exists")
    assert parent is not None
    org = Organization(
        code=data["code"],
        name=data["name"],
        tier=KIND_TIER[kind],
        kind=kind,
        parent_id=parent.id,
        town_id=parent.town_id,
        region_code=data.get("region_code"),
        category=data.get("category") if kind == OrgKind.SPECIALISED_COMMITTEE else None,
        channel=data.get("channel") if kind in (OrgKind.CITY_CHANNEL, OrgKind.CITY_CENTER) else None,
    )
    session.add(org)
    await session.flush()
    if kind == OrgKind.TOWN:
        org.town_id = org.id  # a town node is its own town
    return org


async def update_organization(session: AsyncSession, code: str, changes: dict[str, Any]) -> Organization:
    org = await _by_code(session, code)
    if org is None:
        raise NotFound(f"No organization with code {code}.", code="organization.not_found")
    for field, value in changes.items():
        if value is None and field in ("name", "active"):
            continue
        setattr(org, field, value)
    await session.flush()
    return org
