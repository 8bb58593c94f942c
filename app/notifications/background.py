"""The notification jobs every replica runs (app.periodic): the sender, and the morning digest's schedule.
Both are safe in several replicas at once: rows are claimed with SKIP LOCKED, a day's digest has a
dedupe key per channel."""

from __future__ import annotations

import asyncio
import logging
from datetime import date

from app import periodic
from app.context import AppContext
from app.db import session_scope, utcnow
from app.notifications.digest import digest_due, run_digest
from app.notifications.producers import notify_overdue_urges
from app.notifications.sender import deliver_once

log = logging.getLogger("jiefen.notifications")


class DigestSchedule:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.done_for: date | None = None

    async def tick(self) -> None:
        now = utcnow()
        if not digest_due(now, self.ctx.settings.notify_digest_time, self.done_for):
            return
        async with session_scope(self.ctx.sessionmaker) as session:
            run = await run_digest(session, now, self.ctx.settings.public_base_url)
            # 督办 past their report-back day, announced to the holder with the morning's news (once each).
            await notify_overdue_urges(session, now, self.ctx.settings.public_base_url)
        self.done_for = run.day
        if run.sent:
            log.info("morning digest", extra={"fields": {"day": run.day.isoformat(), "queued": run.sent}})


def start(ctx: AppContext) -> list[asyncio.Task[None]]:
    settings = ctx.settings
    tasks = [
        periodic.start(
            "notification sender", settings.notify_deliver_interval_seconds, lambda: _deliver(ctx)
        ),
        periodic.start(
            "morning digest", 30 if settings.notify_digest_enabled else 0, DigestSchedule(ctx).tick
        ),
    ]
    return [t for t in tasks if t is not None]


async def _deliver(ctx: AppContext) -> None:
    await deliver_once(ctx)


async def stop(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        await periodic.stop(task)
