"""Writing notifications: one outbox row per subscribed channel, in the caller's transaction (what caused
the message commits with it, or neither does). A ``dedupe_key`` makes a producer idempotent per channel."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
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


async def enqueue(
    session: AsyncSession,
    notice: Notice,
    organization_ids: Iterable[int | None],
    kind: str,
    now: datetime,
    dedupe_key: str | None = None,
) -> int:
    """Queue ``notice`` for every active channel of these organizations subscribed to ``kind``; returns how
    many rows were written (a row whose (channel, dedupe_key) exists already is skipped)."""
    channels = await channels_for(session, organization_ids, kind)
    if not channels:
        return 0
    rows = [delivery_row(c, notice, now, dedupe_key) for c in channels]
    stmt = dialect_insert(session, NotificationDelivery).values(rows)
    if dedupe_key is not None:
        stmt = stmt.on_conflict_do_nothing(index_elements=["channel_id", "dedupe_key"])
    result = await session.execute(stmt.returning(NotificationDelivery.id))
    return len(result.all())


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
            applicant=applicants.get(r.id, "某"),
            due_at=r.dispatch_due_at,
        )
        for r in rows
    }
