"""Organization codes → (id, kind, town), cached in the process.

Why this cache is correct with several replicas: an organization's code, id, kind and town never change
once it is created (codes are stable identifiers printed on paper forms), so an entry can never go stale.
New organizations are found on a miss (one query for the missing codes); unknown codes are never cached,
so an organization created by another replica is visible at once. Nothing mutable is kept here: names,
tiers and ``active`` are always read from the database in the request's transaction
(``app.routing.service.route``).

One directory per engine, so that a process talking to several databases (the tests) never mixes them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import PerEngine
from app.models import Organization


@dataclass(frozen=True, slots=True)
class OrgKey:
    """The immutable part of an organization."""

    id: int
    code: str
    kind: str
    town_id: int | None


_orgs = Organization.__table__.c
_BY_CODES = select(_orgs.id, _orgs.code, _orgs.kind, _orgs.town_id).where(
    _orgs.code.in_(bindparam("codes", expanding=True))
)

_directories: PerEngine[str, OrgKey] = PerEngine()


async def org_keys_by_codes(session: AsyncSession, codes: Iterable[str | None]) -> dict[str, OrgKey]:
    """The organizations with these codes (unknown codes are absent); queries only codes not seen before."""
    directory = _directories.of(session)
    wanted = {c for c in codes if c}
    missing = [c for c in wanted if c not in directory]
    if missing:
        rows = await session.execute(_BY_CODES, {"codes": missing})
        for org_id, code, kind, town_id in rows:
            directory[code] = OrgKey(org_id, code, kind, town_id)
    return {c: directory[c] for c in wanted if c in directory}
