"""Helpers for the notification tests: channels, pending cases with a chosen due time, the sender."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from app.db import session_scope
from app.models import Case, NotificationDelivery, Organization, SlaClock
from app.notifications.service import add_channel
from tests.support import case_body, login


async def channel(
    app: Any, org: str, kind: str, url: str, secret: str | None = None, events: str | None = None
) -> int:
    ctx = app.state.ctx
    async with session_scope(ctx.sessionmaker) as s:
        new = await add_channel(s, ctx, org, kind, url, secret, events, datetime.now().astimezone())
        return new.channel.id


async def pending_case(client: Any, world: Any, app: Any, **overrides: Any) -> dict[str, Any]:
    """A case waiting for dispatch (its village committee is deactivated), routed to LY-LC-V01."""
    async with session_scope(app.state.ctx.sessionmaker) as s:
        await s.execute(update(Organization).where(Organization.code == "LY-LC-V01").values(active=False))
    r = await client.post(
        "/api/v1/cases", json=case_body(**overrides), headers=await login(client, world, "lc_v01")
    )
    assert r.status_code == 201 and r.json()["status"] == "pending_dispatch", r.text
    return dict(r.json())


async def set_due(app: Any, case_id: str, started: datetime, due: datetime) -> None:
    async with session_scope(app.state.ctx.sessionmaker) as s:
        await s.execute(
            update(Case)
            .where(Case.id == uuid.UUID(case_id))
            .values(dispatch_clock_started_at=started, dispatch_due_at=due)
        )
        # The running clock itself (app.sla.clock): what the sweep and the digest read.
        await s.execute(
            update(SlaClock)
            .where(SlaClock.case_id == uuid.UUID(case_id), SlaClock.stopped_at.is_(None))
            .values(started_at=started, due_at=due)
        )


async def deliveries(app: Any) -> list[NotificationDelivery]:
    async with session_scope(app.state.ctx.sessionmaker) as s:
        return list(
            (await s.execute(select(NotificationDelivery).order_by(NotificationDelivery.id))).scalars()
        )
