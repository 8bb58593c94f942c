"""Organization code → id lookups for filters (codes are stable, ids are internal)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Organization


async def codes_to_ids(session: AsyncSession, codes: Iterable[str]) -> dict[str, int]:
    wanted = [c for c in codes if c]
    if not wanted:
        return {}
    rows = await session.execute(
        select(Organization.code, Organization.id).where(Organization.code.in_(wanted))
    )
    return {code: oid for code, oid in rows}
