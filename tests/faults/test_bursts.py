"""Backends terminated in the middle of concurrent work: intakes, court-feed pulls, SLA sweeps.

Asserted: every failure is a 503 service_busy (never a 500, never an exception escaping the app); every
Idempotency-Key retried by an offline-queue-like client ends in exactly one case; no case is lost; the court
gets every event in commit order; each breach is recorded once.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import update

from app.db import retryable, session_scope, utcnow
from app.models import Organization
from app.sla.sweep import sweep
from tests.faults.support import (
    MAX_ATTEMPTS,
    admin,
    assert_busy_problem,
    terminate_others,
    terminate_when,
    until_stored,
)
from tests.support import case_body, login

pytestmark = [pytest.mark.pg_only, pytest.mark.fault]

CLIENTS = 12
CASES_EACH = 3
TOTAL = CLIENTS * CASES_EACH
COUNT_CASES = "SELECT count(*) FROM cases"


async def burst(client, headers, terminated: asyncio.Event, **body_fields) -> list[dict]:
    """CLIENTS queues of CASES_EACH intakes each; each queue's last intake waits for the termination, so
    intakes both in flight during it and after it are certain."""

    async def queue(n: int) -> list[dict]:
        made = []
        for i in range(CASES_EACH):
            if i == CASES_EACH - 1:
                await terminated.wait()
            made.append(await until_stored(client, headers, f"q{n}-{i}", case_body(**body_fields)))
        return made

    return [case for made in await asyncio.gather(*(queue(n) for n in range(CLIENTS))) for case in made]


async def terminate_during(db_url: str, terminated: asyncio.Event, query: str, at_least: int) -> int:
    async with admin(db_url) as connection:
        killed = await terminate_when(connection, query, at_least)
        terminated.set()
        return killed


async def test_every_key_ends_in_exactly_one_case_when_backends_die_during_a_burst(client, world, db_url):
    headers = await login(client, world, "lc_v01")
    terminated = asyncio.Event()
    cases, _ = await asyncio.gather(
        burst(client, headers, terminated), terminate_during(db_url, terminated, COUNT_CASES, CLIENTS // 2)
    )
    assert len({c["id"] for c in cases}) == TOTAL
    assert len({c["reference"] for c in cases}) == TOTAL
    async with admin(db_url) as connection:
        assert await connection.fetchval(COUNT_CASES) == TOTAL
        assert await connection.fetchval("SELECT count(*) FROM idempotency_keys") == TOTAL
        stored = await connection.fetchval(
            "SELECT count(*) FROM idempotency_keys WHERE response_body IS NULL"
        )
        assert stored == 0  # no key left claimed without its response


async def test_the_court_gets_every_event_in_order_when_backends_die_during_pulls(client, world, db_url):
    headers = await login(client, world, "lc_v01")
    court = world.headers("court")
    terminated = asyncio.Event()
    producing = asyncio.ensure_future(burst(client, headers, terminated, litigation_intended=True))
    delivered: list[int] = []
    cursor = None

    async def pull() -> dict:
        for _ in range(MAX_ATTEMPTS):
            params = {"limit": 5, **({"cursor": cursor} if cursor else {})}
            response = await client.get("/api/v1/feed", params=params, headers=court)
            if response.status_code == 200:
                return response.json()
            assert_busy_problem(response)  # then pull again from the same cursor
            await asyncio.sleep(0.01)
        raise AssertionError("no feed page")

    async with admin(db_url) as connection:
        # The consumer pulls throughout; the backends die once intakes and pulls are both under way.
        while not terminated.is_set() or not producing.done():
            page = await pull()
            delivered += [item["id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if not terminated.is_set() and delivered:
                await terminate_others(connection)
                terminated.set()
            await asyncio.sleep(0.01)
        await producing
        expected = [
            row["id"]
            for row in await connection.fetch(
                "SELECT id FROM feed_events WHERE organization_id = $1 ORDER BY txid, id",
                world.orgs["LY-COURT"],
            )
        ]
    assert len(expected) >= TOTAL
    # Caught up: the commit-order fence may hold rows back while an older transaction in the cluster runs.
    for _ in range(200):
        if len(delivered) >= len(expected):
            break
        page = await pull()
        delivered += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            await asyncio.sleep(0.1)
    # At-least-once, in commit order, never skipping: a consumer that stores the cursor of every page it
    # got (and never crashes) is given each event exactly once.
    assert delivered == expected


async def test_three_concurrent_sweeps_during_intake_record_each_breach_once(app, client, world, db_url):
    """Every case waits for dispatch (its village committee is inactive) and is overdue to the sweeps,
    which run with a clock a month ahead; a sweep that meets a lost connection runs again, as the
    periodic job does at its next tick."""
    async with session_scope(app.state.ctx.sessionmaker) as s:
        await s.execute(update(Organization).where(Organization.code == "LY-LC-V01").values(active=False))
    headers = await login(client, world, "lc_v01")
    terminated = asyncio.Event()
    later = utcnow() + timedelta(days=30)
    sweeping = True

    async def sweeper() -> int:
        runs = 0
        while sweeping:
            try:
                async with session_scope(app.state.ctx.sessionmaker) as session:
                    await sweep(session, later)
                runs += 1
            except Exception as exc:
                assert retryable(exc), repr(exc)
            await asyncio.sleep(0.005)
        return runs

    sweepers = [asyncio.ensure_future(sweeper()) for _ in range(3)]
    cases, _ = await asyncio.gather(
        burst(client, headers, terminated), terminate_during(db_url, terminated, COUNT_CASES, CLIENTS // 2)
    )
    sweeping = False
    assert all(runs > 0 for runs in await asyncio.gather(*sweepers))
    async with session_scope(app.state.ctx.sessionmaker) as session:
        await sweep(session, later)  # the tick after the burst
    assert {c["status"] for c in cases} == {"pending_dispatch"}
    async with admin(db_url) as connection:
        per_case = await connection.fetch(
            "SELECT case_id, count(*) AS n FROM sla_clocks WHERE breached_at IS NOT NULL GROUP BY case_id"
        )
    assert len(per_case) == TOTAL and {row["n"] for row in per_case} == {1}
