"""Removing what has served its time: ``Idempotency-Key`` records past their retention (each holds a stored
response, ~2.4 KB for an intake) and login tokens past their expiry (they authenticate nothing any more).

Deleted in batches, each its own short transaction found through the ``expires_at`` indexes, so a large
backlog never holds locks for long. Every replica may run it: two purges at once delete what is still
there. Login attempts are kept (the throttle reads only its window; older ones are the security record).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import periodic
from app.context import AppContext
from app.db import session_scope, utcnow
from app.models import AuthToken, IdempotencyKey

log = logging.getLogger("jiefen.housekeeping")

BATCH = 5_000


@dataclass(frozen=True)
class Purged:
    idempotency_keys: int
    auth_tokens: int


async def purge_expired(
    sessionmaker: async_sessionmaker[AsyncSession], now: datetime, batch: int = BATCH
) -> Purged:
    return Purged(
        idempotency_keys=await _purge(sessionmaker, IdempotencyKey, now, batch),
        auth_tokens=await _purge(sessionmaker, AuthToken, now, batch),
    )


async def _purge(
    sessionmaker: async_sessionmaker[AsyncSession], model: Any, now: datetime, batch: int
) -> int:
    expired = select(model.id).where(model.expires_at < now).limit(batch)
    total = 0
    while True:
        async with session_scope(sessionmaker) as session:
            result: Any = await session.execute(delete(model).where(model.id.in_(expired)))
            deleted = int(result.rowcount)
        total += deleted
        if deleted < batch:
            return total


async def purge_once(ctx: AppContext) -> None:
    purged = await purge_expired(ctx.sessionmaker, utcnow())
    if purged.idempotency_keys or purged.auth_tokens:
        log.info("purged expired records", extra={"fields": purged.__dict__})


def start(ctx: AppContext) -> asyncio.Task[None] | None:
    interval = ctx.settings.purge_interval_seconds
    # The first run after one interval: a replica restarting in a loop never purges in a burst.
    return periodic.start("purge", interval, lambda: purge_once(ctx), first_after=interval)
