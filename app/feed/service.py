"""Reading the outbox in commit-safe order, acknowledging, and the per-client lag.

PostgreSQL: events are delivered in (txid, id) order and only for transactions older than the oldest one
still running (``pg_snapshot_xmin``). Every transaction below that fence has finished, and every future
event gets a larger txid, so nothing can ever appear behind a cursor: a row whose transaction commits late
is delivered after the rows of transactions that committed before it, never skipped. SQLite has a single
writer, so id order is commit order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, func, literal_column, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import PerEngine, dialect_insert
from app.feed.cursor import Position
from app.models import ApiClient, FeedConsumer, FeedEvent, Organization

_XMIN: ColumnElement[int] = literal_column("pg_snapshot_xmin(pg_current_snapshot())::text::bigint")


def _is_pg(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _after(session: AsyncSession, position: Position) -> list[ColumnElement[bool]]:
    if _is_pg(session):
        return [
            tuple_(FeedEvent.txid, FeedEvent.id) > tuple_(position.txid, position.id),
            FeedEvent.txid < _XMIN,
        ]
    return [FeedEvent.id > position.id]


def _order(session: AsyncSession) -> list[object]:
    return [FeedEvent.txid, FeedEvent.id] if _is_pg(session) else [FeedEvent.id]


# Only what a page shows, as rows: no entities to build for a read-only page.
_EVENTS = select(
    FeedEvent.id,
    FeedEvent.txid,
    FeedEvent.case_id,
    FeedEvent.type,
    FeedEvent.case_version,
    FeedEvent.data,
    FeedEvent.occurred_at,
)


async def read(session: AsyncSession, org_id: int, position: Position, limit: int) -> Sequence[Row[Any]]:
    stmt = (
        _EVENTS.where(FeedEvent.organization_id == org_id, *_after(session, position))
        .order_by(*_order(session))  # type: ignore[arg-type]
        .limit(limit)
    )
    return (await session.execute(stmt)).all()


def position_of(event: Row[Any]) -> Position:
    return Position(event.txid or 0, event.id)


# A pull is recorded at most this often per client and process: /feed/status shows when a client was last
# seen, and a write and a commit on every pull would cost more than the page's reads.
PULL_RECORD_INTERVAL = timedelta(seconds=5)
_pull_recorded: PerEngine[int, datetime] = PerEngine()


async def record_pull(session: AsyncSession, client_id: int, now: datetime) -> None:
    recorded = _pull_recorded.of(session)
    last = recorded.get(client_id)
    if last is not None and timedelta(0) <= now - last < PULL_RECORD_INTERVAL:
        return
    await touch(session, client_id, now)
    recorded[client_id] = now


async def touch(session: AsyncSession, client_id: int, now: datetime, acked: Position | None = None) -> None:
    """Record a pull (and an acknowledgement): the lag report reads these."""
    values: dict[str, object] = {"client_id": client_id, "last_pull_at": now, "acked_txid": 0, "acked_id": 0}
    update: dict[str, object] = {"last_pull_at": now}
    if acked is not None:
        values |= {"acked_txid": acked.txid, "acked_id": acked.id, "acked_at": now}
        update = {"acked_txid": acked.txid, "acked_id": acked.id, "acked_at": now}
    stmt = dialect_insert(session, FeedConsumer).values(**values)
    await session.execute(stmt.on_conflict_do_update(index_elements=["client_id"], set_=update))


@dataclass(frozen=True)
class Lag:
    client: str
    organization: str
    last_pull_at: datetime | None
    acked_at: datetime | None
    unacknowledged: int
    oldest_unacknowledged_at: datetime | None


async def lag(session: AsyncSession) -> Sequence[Lag]:
    rows = (
        await session.execute(
            select(ApiClient, Organization, FeedConsumer)
            .join(Organization, Organization.id == ApiClient.organization_id)
            .outerjoin(FeedConsumer, FeedConsumer.client_id == ApiClient.id)
            .where(ApiClient.revoked_at.is_(None))
            .order_by(ApiClient.name)
        )
    ).all()
    result = []
    for client, org, consumer in rows:
        acked = Position(consumer.acked_txid, consumer.acked_id) if consumer else Position.start()
        pending = and_(FeedEvent.organization_id == org.id, *_after_acked(session, acked))
        count, oldest = (
            await session.execute(select(func.count(), func.min(FeedEvent.occurred_at)).where(pending))
        ).one()
        result.append(
            Lag(
                client=client.name,
                organization=org.code,
                last_pull_at=consumer.last_pull_at if consumer else None,
                acked_at=consumer.acked_at if consumer else None,
                unacknowledged=int(count),
                oldest_unacknowledged_at=oldest,
            )
        )
    return result


def _after_acked(session: AsyncSession, acked: Position) -> list[ColumnElement[bool]]:
    # Lag counts everything written after the acknowledgement, visible or not yet fenced.
    if _is_pg(session):
        return [or_(FeedEvent.txid > acked.txid, and_(FeedEvent.txid == acked.txid, FeedEvent.id > acked.id))]
    return [FeedEvent.id > acked.id]
