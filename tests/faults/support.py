"""Fault injection on the test's own PostgreSQL database: terminate its backends from a separate connection.

Only ``datname = current_database()`` and never the admin connection itself: the server is shared, and only
the test's database is ours to break.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url

TERMINATE = (
    "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 10000)) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


def _dsn(db_url: str) -> str:
    return make_url(db_url).set(drivername="postgresql").render_as_string(hide_password=False)


@asynccontextmanager
async def admin(db_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection of the test's own, outside the application's pools."""
    connection = await asyncpg.connect(_dsn(db_url))
    try:
        yield connection
    finally:
        await connection.close()


async def terminate_backends(db_url: str) -> int:
    """Terminate every other backend of the test database and wait until each has exited (the timeout
    argument makes pg_terminate_backend wait): when this returns, the server has closed the sockets."""
    async with admin(db_url) as connection:
        return int(await connection.fetchval(TERMINATE))


async def wait_for_lock_waiter(connection: asyncpg.Connection, attempts: int = 500) -> None:
    """Until a backend of the test database waits for a lock (the request under test, blocked)."""
    for _ in range(attempts):
        # Inside a transaction the statistics views are a snapshot taken at first use: drop it.
        await connection.execute("SELECT pg_stat_clear_snapshot()")
        waiting = await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        if waiting:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("no request blocked on the lock")


async def terminate_others(connection: asyncpg.Connection) -> int:
    """terminate_backends, from an admin connection already open (one holding a lock, say)."""
    return int(await connection.fetchval(TERMINATE))


MAX_ATTEMPTS = 20  # an offline queue retries for long; a test needs a bound


def assert_busy_problem(response: httpx.Response) -> None:
    """The only failure a lost connection may cause: 503 service_busy, problem JSON, Retry-After."""
    assert response.status_code == 503, f"{response.status_code}: {response.text}"
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "1"
    assert response.json()["code"] == "service_busy"


async def until_stored(
    client: httpx.AsyncClient, headers: dict[str, str], key: str, body: Any
) -> dict[str, Any]:
    """POST /cases like the mediators' offline queue: the same Idempotency-Key again after each 503."""
    for _ in range(MAX_ATTEMPTS):
        response = await client.post("/api/v1/cases", json=body, headers={**headers, "Idempotency-Key": key})
        if response.status_code == 201:
            created: dict[str, Any] = response.json()
            return created
        assert_busy_problem(response)
        await asyncio.sleep(0.01)
    raise AssertionError(f"{key}: not stored after {MAX_ATTEMPTS} attempts")


async def terminate_when(
    connection: asyncpg.Connection, query: str, at_least: int, attempts: int = 1000
) -> int:
    """Terminate the other backends once ``query`` counts ``at_least`` (work is under way)."""
    for _ in range(attempts):
        if await connection.fetchval(query) >= at_least:
            break
        await asyncio.sleep(0.005)
    return await terminate_others(connection)
