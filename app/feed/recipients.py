"""Which organizations receive a feed: the court sub-center(s).

An organization's kind never changes once created, so the id → "is a feed organization" answer is cached per
engine; an id not seen before costs one query. (Correct across replicas for the same reason.)
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import PerEngine
from app.models import Organization, OrgKind

FEED_KINDS = frozenset({OrgKind.COURT_SUBCENTER})

_orgs = Organization.__table__.c
_KINDS = select(_orgs.id, _orgs.kind).where(_orgs.id.in_(bindparam("ids", expanding=True)))
_known: PerEngine[int, bool] = PerEngine()


async def feed_organizations(session: AsyncSession, ids: Iterable[int | None]) -> set[int]:
    known = _known.of(session)
    wanted = {i for i in ids if i is not None}
    missing = [i for i in wanted if i not in known]
    if missing:
        for org_id, kind in await session.execute(_KINDS, {"ids": missing}):
            known[org_id] = kind in FEED_KINDS
    return {i for i in wanted if known.get(i)}
