"""Over real HTTP: a request whose database connection dies gets a 503 problem on an intact connection.

An exception escaping the app makes uvicorn close the client's connection; a handled 503 does not.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.faults.support import admin, assert_busy_problem, terminate_others, wait_for_lock_waiter
from tests.live import serve
from tests.support import case_body, login

pytestmark = [pytest.mark.pg_only, pytest.mark.fault]


@pytest.fixture
async def live_server(app: Any, world: Any) -> AsyncIterator[str]:
    """The app on 127.0.0.1 at a free port, served from the test loop, stopped within 10 s."""
    async with serve(app) as url:
        yield url


def local_port(response: httpx.Response) -> int:
    return int(response.extensions["network_stream"].get_extra_info("client_addr")[1])


async def test_a_lost_connection_is_a_503_on_a_kept_alive_http_connection(live_server, world, db_url):
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=live_server, limits=limits, timeout=30) as client:
        headers = {**await login(client, world, "lc_v01"), "Idempotency-Key": "live-1"}
        before = await client.get("/readyz")
        async with admin(db_url) as connection:
            locking = connection.transaction()
            await locking.start()
            await connection.execute("LOCK TABLE case_reference_counters IN ACCESS EXCLUSIVE MODE")
            request = asyncio.create_task(client.post("/api/v1/cases", json=case_body(), headers=headers))
            await wait_for_lock_waiter(connection)
            await terminate_others(connection)
            lost = await request
            await locking.rollback()
        assert_busy_problem(lost)
        assert lost.headers.get("connection", "").lower() != "close"
        retry = await client.post("/api/v1/cases", json=case_body(), headers=headers)
        assert retry.status_code == 201, retry.text
        # One HTTP connection throughout: the 503 did not cost the client its connection.
        assert local_port(before) == local_port(lost) == local_port(retry)
