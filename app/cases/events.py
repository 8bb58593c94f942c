"""Writing a case's audit events: the one call every state change goes through (intake and transitions).

Anything that must happen in the same transaction as an event — the court feed's outbox — hooks in here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Case, CaseEvent


async def write_events(session: AsyncSession, case: Case, events: list[dict[str, Any]]) -> None:
    if events:
        await session.execute(insert(CaseEvent), events)
