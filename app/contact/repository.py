"""SQL of the contact reveals: the log rows, the per-user count for the rate limit, the log's pages."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import ContactReveal, Organization, User


async def reveals_since(session: AsyncSession, user_id: int, since: datetime) -> tuple[int, datetime | None]:
    """How many reveals ``user_id`` made since ``since``, and the oldest of them (when the window frees)."""
    count, oldest = (
        await session.execute(
            select(func.count(), func.min(ContactReveal.revealed_at)).where(
                ContactReveal.user_id == user_id, ContactReveal.revealed_at >= since
            )
        )
    ).one()
    return int(count), oldest


async def log_page(
    session: AsyncSession, case_id: uuid.UUID, before_id: int | None, limit: int
) -> Sequence[tuple[ContactReveal, str, Organization]]:
    """Newest first."""
    query = (
        select(ContactReveal, User.username, Organization)
        .join(User, User.id == ContactReveal.user_id)
        .join(Organization, Organization.id == ContactReveal.organization_id)
        .where(ContactReveal.case_id == case_id)
        .order_by(ContactReveal.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(ContactReveal.id < before_id)
    return [(r, u, o) for r, u, o in (await session.execute(query)).all()]
