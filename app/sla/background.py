"""The in-process periodic SLA sweep. Every replica may run it: the sweep itself makes that safe."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

from app.context import AppContext
from app.db import session_scope, utcnow
from app.sla.sweep import sweep

log = logging.getLogger("jiefen.sla")


async def sweep_once(ctx: AppContext) -> None:
    async with session_scope(ctx.sessionmaker) as session:
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


async def run_periodically(ctx: AppContext, interval: float) -> None:
    while True:
        try:
            await sweep_once(ctx)
        except Exception:  # keep sweeping: a failed run is retried at the next tick
            log.exception("sla sweep failed")
        await asyncio.sleep(interval)


def start(ctx: AppContext) -> asyncio.Task[None] | None:
    if not ctx.settings.sla_sweep_enabled:
        return None
    return asyncio.create_task(run_periodically(ctx, ctx.settings.sla_sweep_interval_seconds))


async def stop(task: asyncio.Task[None] | None) -> None:
    if task is None:
        return
    task.cancel()
    with suppress(asyncio.CancelledError):
        await task
