"""The court feed as a subscriber of the event writer (app.cases.events): each change's events give the
feed's outbox rows, written in the same transaction."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from app.cases.events import ADDRESSEE_KEY, HOLDER_KEY, subscribe
from app.feed.outbox import feed_rows
from app.feed.recipients import feed_organizations
from app.models import Case, FeedEvent

FEED_EVENTS = cast(Table, FeedEvent.__table__)
# txid is the writing transaction's id, a column default on PostgreSQL (see app.models.feed).
FEED_COLUMNS: tuple[str, ...] = tuple(c.key for c in FEED_EVENTS.columns if c.key not in ("id", "txid"))


async def outbox_rows(
    session: AsyncSession, case: Case, events: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The court feed's rows, for the same transaction as the events they announce."""
    holders = [e.get(HOLDER_KEY) for e in events]
    addressees = [e.get(ADDRESSEE_KEY) for e in events]
    feed_orgs = await feed_organizations(
        session, [*holders, *addressees, case.current_org_id, case.resolved_org_id]
    )
    if not feed_orgs:
        return []
    return feed_rows(events, holders, case.current_org_id, case.resolved_org_id, feed_orgs, addressees)


def register() -> None:
    subscribe("court_feed", FEED_EVENTS, FEED_COLUMNS, outbox_rows, json=["data"])
