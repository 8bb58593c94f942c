"""An SQLite engine whose driver runs each statement at once on the event loop's thread.

aiosqlite hands every call (cursor, execute, fetch, close) to a worker thread and back: two thread
switches per call. For a request that is nothing; for the demo history, one process replaying tens of
thousands of statements with nothing else to wait for, it was most of the time (150 cases: 65 s on a
loaded 2-core machine, mostly waiting for the GIL hand-off). The statements, the ORM and the service code
are the same; only the hand-off is gone. Not for a server: it blocks the event loop while SQLite works.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Generator
from typing import Any

import aiosqlite
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool


class InlineConnection(aiosqlite.Connection):
    """aiosqlite's connection API with no worker thread."""

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if self._connection is None:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)

    async def _connect(self) -> InlineConnection:
        if self._connection is None:
            self._connection = self._connector()
        return self

    def __await__(self) -> Generator[Any, None, InlineConnection]:
        return self._connect().__await__()

    def stop(self) -> None:
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def inline_engine(url: str) -> AsyncEngine:
    """One connection, as app.db.make_engine gives SQLite, with the same pragmas."""
    path = make_url(url).database or ":memory:"

    def connect(*_args: Any, **_kwargs: Any) -> InlineConnection:
        return InlineConnection(lambda: sqlite3.connect(path, check_same_thread=False), 64)

    engine = create_async_engine(
        url,
        poolclass=AsyncAdaptedQueuePool,
        pool_size=1,
        max_overflow=0,
        connect_args={"async_creator_fn": connect},
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "busy_timeout=10000", "foreign_keys=ON", "synchronous=NORMAL"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    return engine
