"""The in-process periodic SLA sweep. Every replica may run it: the sweep itself makes that safe."""

from __future__ import annotations

import asyncio
import logging

from app import periodic
from app.context import AppContext
from app.db import session_scope, utcnow
from app.sla.sweep import sweep

log = logging.getLogger("jiefen.sla")


async def sweep_once(ctx: AppContext) -> None:
    async with session_scope(ctx.sessionmaker) as session:
        # The notifications listen to the sweep (app.subscribers): a breach and its messages commit together.
        result = await sweep(session, utcnow())
    if result.breaches_recorded or result.deadlines_recomputed:
        log.info(
            "sla sweep",
            extra={
                "fields": {
                    "breaches_recorded": result.breaches_recorded,
                    "deadlines_recomputed": result.deadlines_recomputed,
                }
            },
        )


def start(ctx: AppContext) -> asyncio.Task[None] | None:
    interval = ctx.settings.sla_sweep_interval_seconds if ctx.settings.sla_sweep_enabled else 0
    return periodic.start("sla sweep", interval, lambda: sweep_once(ctx))
