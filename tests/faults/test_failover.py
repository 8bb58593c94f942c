"""The service survives the loss of its database connections (a failover, a restart, terminated backends).

What is guaranteed, and asserted here:
- a request that starts after the server closed the service's connections succeeds at once, on every pool
  (the request's and the case-number pool, SQLAlchemy's and the raw-driver path);
- a request in flight when its connection is lost gets ``503 service_busy`` with ``Retry-After`` (problem
  JSON), nothing of it is stored, and its retry with the same Idempotency-Key makes the case;
- never a 500.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.faults.support import admin, terminate_backends, terminate_others, wait_for_lock_waiter
from tests.support import case_body, login

pytestmark = [pytest.mark.pg_only, pytest.mark.fault]


async def test_intake_after_the_backends_were_terminated_succeeds_at_once(client, world, db_url):
    headers = await login(client, world, "lc_v01")
    first = await client.post("/api/v1/cases", json=case_body(), headers=headers)
    assert first.status_code == 201, first.text
    assert await terminate_backends(db_url) >= 2  # the request pool's and the case-number pool's
    second = await client.post(
        "/api/v1/cases", json=case_body(), headers={**headers, "Idempotency-Key": "k2"}
    )
    assert second.status_code == 201, second.text
    assert second.json()["reference"] != first.json()["reference"]
    court = await client.get("/api/v1/feed", headers=world.headers("court"))
    assert court.status_code == 200, court.text


def is_busy_problem(response: httpx.Response) -> bool:
    return (
        response.status_code == 503
        and response.headers["content-type"] == "application/problem+json"
        and response.headers["retry-after"] == "1"
        and response.json()["code"] == "service_busy"
    )


@pytest.mark.parametrize(
    "table",
    [
        "case_reference_counters",  # the case-number pool, on the raw driver
        "idempotency_keys",  # the request's own connection, on the raw driver (the claim)
        "auth_tokens",  # the request's own connection, through SQLAlchemy (authentication)
    ],
)
async def test_a_request_whose_connection_is_lost_gets_a_503_and_its_retry_makes_the_case(
    client, world, db_url, table
):
    """The request blocks on a lock held by the test, its backends are terminated under it: 503, no key
    left claimed, and the retry with the same key makes one case."""
    headers = {**await login(client, world, "lc_v01"), "Idempotency-Key": f"lost-{table}"}
    async with admin(db_url) as connection:
        locking = connection.transaction()
        await locking.start()
        await connection.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        request = asyncio.create_task(client.post("/api/v1/cases", json=case_body(), headers=headers))
        await wait_for_lock_waiter(connection)
        assert await terminate_others(connection) >= 1
        lost = await request
        await locking.rollback()
        assert is_busy_problem(lost), lost.text
        assert await connection.fetchval("SELECT count(*) FROM idempotency_keys") == 0
        assert await connection.fetchval("SELECT count(*) FROM cases") == 0
    retry = await client.post("/api/v1/cases", json=case_body(), headers=headers)
    assert retry.status_code == 201, retry.text
    assert "idempotent-replayed" not in retry.headers
    again = await client.post("/api/v1/cases", json=case_body(), headers=headers)
    assert again.status_code == 201 and again.json()["id"] == retry.json()["id"]
