"""Jobs every replica runs on a timer (the SLA sweep, the purge of expired records): one asyncio task each,
started and stopped with the application. Each job is safe to run in several replicas at once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress

log = logging.getLogger("jiefen.periodic")


async def _every(name: str, interval: float, job: Callable[[], Awaitable[None]], first_after: float) -> None:
    await asyncio.sleep(first_after)
    while True:
        try:
            await job()
        except Exception:  # keep going: a failed run is retried at the next tick
            log.exception("%s failed", name)
        await asyncio.sleep(interval)


def start(
    name: str, interval: float, job: Callable[[], Awaitable[None]], *, first_after: float = 0.0
) -> asyncio.Task[None] | None:
    """Run ``job`` every ``interval`` seconds, first after ``first_after``; None when ``interval`` ≤ 0."""
    if interval <= 0:
        return None
    return asyncio.create_task(_every(name, interval, job, first_after), name=name)


async def stop(task: asyncio.Task[None] | None) -> None:
    if task is None:
        return
    task.cancel()
    with suppress(asyncio.CancelledError):
        await task
