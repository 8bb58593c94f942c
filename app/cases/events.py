"""Writing a case's audit events: the one place every state change's events become rows (intake and
transitions).

Anything that must happen in the same transaction as an event — the court feed's outbox — hooks in here:
:func:`rows_of` gives both sets of rows, which :func:`write_events` inserts (the intake inserts them in its
own single statement, see app.cases.repository.insert_new_case).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.cases.sql import EVENT_COLUMNS, FEED_COLUMNS, INSERT_EVENTS, INSERT_FEED_EVENTS
from app.feed.outbox import feed_rows
from app.feed.recipients import feed_organizations
from app.models import Case
from app.prepared import executemany

# Key of an event dict naming the organization that held the case before the event (not a column).
HOLDER_KEY = "_holder"
# Key naming an organization the event is addressed to without holding the case (not a column).
ADDRESSEE_KEY = "_addressee"


@dataclass(frozen=True)
class EventRows:
    audit: list[dict[str, Any]]  # case_events, every column given (one compiled statement)
    outbox: list[dict[str, Any]]  # feed_events, likewise


async def rows_of(session: AsyncSession, case: Case, events: list[dict[str, Any]]) -> EventRows:
    """Each row is given every column, so a statement has one compiled form; a key an event leaves out is
    stored as NULL (``data`` as ``{}``, its model default), as the ORM insert did."""
    audit = [{k: e.get(k) for k in EVENT_COLUMNS} | {"data": e.get("data") or {}} for e in events]
    return EventRows(audit, await _outbox_rows(session, case, events))


async def write_events(session: AsyncSession, case: Case, events: list[dict[str, Any]]) -> None:
    """All of a change's events in one executemany (one round trip), and their feed rows in another."""
    rows = await rows_of(session, case, events)
    if rows.audit:
        await executemany(session, INSERT_EVENTS, rows.audit)
    if rows.outbox:
        await executemany(session, INSERT_FEED_EVENTS, rows.outbox)


async def _outbox_rows(
    session: AsyncSession, case: Case, events: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The court feed's rows, for the same transaction as the events they announce."""
    if not events:
        return []
    holders = [e.get(HOLDER_KEY) for e in events]
    addressees = [e.get(ADDRESSEE_KEY) for e in events]
    feed_orgs = await feed_organizations(
        session, [*holders, *addressees, case.current_org_id, case.resolved_org_id]
    )
    if not feed_orgs:
        return []
    rows = feed_rows(events, holders, case.current_org_id, case.resolved_org_id, feed_orgs, addressees)
    return [{k: r.get(k) for k in FEED_COLUMNS} for r in rows]
