"""Writing notifications: one outbox row per subscribed channel, in the caller's transaction (what caused
the message commits with it, or neither does). A ``dedupe_key`` makes a producer idempotent per channel."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import dialect_insert
from app.models import Case, DeliveryStatus, NotificationChannel, NotificationDelivery, Organization, Party
from app.notifications.formats import Notice, render
from app.notifications.messages import CaseFacts, surname_only

DELIVERIES = cast(Table, NotificationDelivery.__table__)
DELIVERY_COLUMNS: tuple[str, ...] = tuple(c.key for c in DELIVERIES.columns if c.key != "id")


def new_message_id() -> str:
    """Standard Webhooks' ``webhook-id``: the same for every try of one message."""
    return f"msg_{uuid.uuid4().hex}"


async def channels_for(
    session: AsyncSession, organization_ids: Iterable[int | None], kind: str
) -> list[NotificationChannel]:
    wanted = {o for o in organization_ids if o is not None}
    if not wanted:
        return []
    rows = await session.execute(
        select(NotificationChannel)
        .where(NotificationChannel.organization_id.in_(wanted), NotificationChannel.active.is_(True))
        .order_by(NotificationChannel.id)
    )
    return [c for c in rows.scalars() if kind in c.events]


def delivery_row(
    channel: NotificationChannel, notice: Notice, now: datetime, dedupe_key: str | None
) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(DELIVERY_COLUMNS)
    row |= {
        "message_id": new_message_id(),
        "channel_id": channel.id,
        "event": notice.event,
        "dedupe_key": dedupe_key,
        "payload": render(channel.kind, notice, now),
        "status": DeliveryStatus.PENDING,
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": now,
    }
    return row


@dataclass(frozen=True)
class Queued:
    """A message for the channels of these organizations, idempotent per channel by ``dedupe_key``."""

    notice: Notice
    organization_ids: Collection[int | None]
    dedupe_key: str | None = None


INSERT_CHUNK = 1000  # rows per INSERT: far below PostgreSQL's 32,767 parameters


async def enqueue_all(session: AsyncSession, items: Sequence[Queued], kind: str, now: datetime) -> int:
    """Queue each message for every active channel of its organizations subscribed to ``kind``, with one
    query for the channels and one INSERT per thousand rows (a sweep after a long outage records many
    breaches at once). Returns how many rows were written: a (channel, dedupe_key) already queued is
    skipped."""
    channels = await channels_for(session, {o for item in items for o in item.organization_ids}, kind)
    if not channels:
        return 0
    by_org: dict[int, list[NotificationChannel]] = {}
    for channel in channels:
        by_org.setdefault(channel.organization_id, []).append(channel)
    rows = []
    for item in items:
        wanted = {c.id: c for o in item.organization_ids if o is not None for c in by_org.get(o, [])}
        rows += [delivery_row(c, item.notice, now, item.dedupe_key) for c in wanted.values()]
    written = 0
    for start in range(0, len(rows), INSERT_CHUNK):
        stmt = (
            dialect_insert(session, NotificationDelivery)
            .values(rows[start : start + INSERT_CHUNK])
            .on_conflict_do_nothing(index_elements=["channel_id", "dedupe_key"])
            .returning(NotificationDelivery.id)
        )
        written += len((await session.execute(stmt)).all())
    return written


async def enqueue(
    session: AsyncSession,
    notice: Notice,
    organization_ids: Collection[int | None],
    kind: str,
    now: datetime,
    dedupe_key: str | None = None,
) -> int:
    """One message (see :func:`enqueue_all`)."""
    return await enqueue_all(session, [Queued(notice, organization_ids, dedupe_key)], kind, now)


async def case_facts(session: AsyncSession, case_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, CaseFacts]:
    """Cases as messages name them: the holder (or the organization it is routed to while it waits), and
    the first applicant in 王某 form."""
    if not case_ids:
        return {}
    rows = (
        await session.execute(
            select(
                Case.id,
                Case.reference,
                Case.category,
                Case.dispatch_due_at,
                Case.current_org_id,
                Case.routing_org_id,
            ).where(Case.id.in_(case_ids))
        )
    ).all()
    org_ids = {r.current_org_id or r.routing_org_id for r in rows} - {None}
    names = (
        dict(
            (
                await session.execute(
                    select(Organization.id, Organization.name).where(Organization.id.in_(org_ids))
                )
            ).all()
        )
        if org_ids
        else {}
    )
    applicants: dict[uuid.UUID, str] = {}
    parties = await session.execute(
        select(Party.case_id, Party.kind, Party.name)
        .where(Party.case_id.in_(case_ids), Party.role == "applicant")
        .order_by(Party.case_id, Party.position)
    )
    for case_id, kind, name in parties:
        if case_id not in applicants:
            applicants[case_id] = name if kind == "organization" else surname_only(name)
    return {
        r.id: CaseFacts(
            case_id=r.id,
            reference=r.reference,
            category=r.category,
            holder=names.get(r.current_org_id or r.routing_org_id, "待分派"),
            holder_id=r.current_org_id,
            applicant=applicants.get(r.id, "某"),
            due_at=r.dispatch_due_at,
        )
        for r in rows
    }
