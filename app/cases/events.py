"""Writing a case's audit events: the one call every state change goes through (intake and transitions).

Anything that must happen in the same transaction as an event — the court feed's outbox — hooks in here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.cases.sql import EVENT_COLUMNS, INSERT_EVENTS
from app.feed.outbox import feed_rows
from app.feed.recipients import feed_organizations
from app.models import Case, FeedEvent
from app.prepared import executemany

# Key of an event dict naming the organization that held the case before the event (not a column).
HOLDER_KEY = "_holder"


async def write_events(session: AsyncSession, case: Case, events: list[dict[str, Any]]) -> None:
    """All of a change's events in one executemany (one round trip), through a statement built once.

    Each row is given every column, so the statement has one compiled form; a key an event leaves out is
    stored as NULL (``data`` as ``{}``, its model default), as the ORM insert did."""
    if events:
        rows = [{k: e.get(k) for k in EVENT_COLUMNS} | {"data": e.get("data") or {}} for e in events]
        await executemany(session, INSERT_EVENTS, rows)
        await _write_outbox(session, case, events)


async def _write_outbox(session: AsyncSession, case: Case, events: list[dict[str, Any]]) -> None:
    """The court feed's rows, in the same transaction as the events they announce."""
    holders = [e.get(HOLDER_KEY) for e in events]
    feed_orgs = await feed_organizations(session, [*holders, case.current_org_id, case.resolved_org_id])
    if not feed_orgs:
        return
    rows = feed_rows(events, holders, case.current_org_id, case.resolved_org_id, feed_orgs)
    if rows:
        await session.execute(insert(FeedEvent), rows)
