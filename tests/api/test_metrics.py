"""/metrics: Prometheus text behind a bearer token, series by route template, and what the pools, the SLA
sweep, the feed and the Idempotency-Key replays report. Metrics are per process, so tests compare a scrape
before and after."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from app.metrics.exposition import sample_pools
from tests.api.test_sla import SHANGHAI, backdate, pending_case, run_sweep
from tests.support import case_body, login

TOKEN = "metrics-token-for-tests"
SCRAPE = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def settings(settings):
    # Two connections and a short wait, so a test can fill the pool and see a 503 quickly.
    return settings.model_copy(
        update={"metrics_token": TOKEN, "db_pool_size": 2, "db_pool_timeout_seconds": 0.3}
    )


Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(client) -> Samples:
    r = await client.get("/metrics", headers=SCRAPE)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(r.text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def grew(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


async def test_metrics_is_not_found_without_a_token_configured(settings, client):
    from app.main import create_app

    app = create_app(settings.model_copy(update={"metrics_token": None}))
    try:
        import httpx

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            assert (await c.get("/metrics", headers=SCRAPE)).status_code == 404
    finally:
        await app.state.ctx.close()


async def test_metrics_refuses_a_missing_or_wrong_token(client, world):
    assert (await client.get("/metrics")).status_code == 401
    assert (await client.get("/metrics", headers={"Authorization": "Bearer nope"})).status_code == 401
    # A person's valid token is no metrics token.
    assert (await client.get("/metrics", headers=await login(client, world, "bureau"))).status_code == 401


async def test_requests_are_counted_by_route_template_and_status(client, world):
    headers = await login(client, world, "lc_v01")
    created = await client.post("/api/v1/cases", json=case_body(), headers=headers)
    case_id = created.json()["id"]
    before = await scrape(client)
    for _ in range(2):
        assert (await client.get(f"/api/v1/cases/{case_id}", headers=headers)).status_code == 200
    assert (await client.get(f"/api/v1/cases/{uuid.uuid4()}", headers=headers)).status_code == 404
    assert (await client.get(f"/no/such/{uuid.uuid4()}")).status_code == 404
    after = await scrape(client)

    route = {"method": "GET", "route": "/api/v1/cases/{case_id}"}
    assert grew(before, after, "jiefen_http_requests_total", **route, status="200") == 2
    assert grew(before, after, "jiefen_http_requests_total", **route, status="404") == 1
    assert grew(before, after, "jiefen_http_request_duration_seconds_count", **route, status="200") == 2
    assert (
        grew(before, after, "jiefen_http_request_duration_seconds_bucket", **route, status="200", le="+Inf")
        == 2
    )
    assert (
        grew(before, after, "jiefen_http_requests_total", method="GET", route="unmatched", status="404") == 1
    )
    # Never the raw path: no label carries a case id.
    assert not [key for key in after if case_id in str(key)]


async def test_an_idempotent_replay_is_counted(client, world):
    headers = {**await login(client, world, "lc_v01"), "Idempotency-Key": f"k-{uuid.uuid4()}"}
    before = await scrape(client)
    first = await client.post("/api/v1/cases", json=case_body(), headers=headers)
    replay = await client.post("/api/v1/cases", json=case_body(), headers=headers)
    assert first.status_code == replay.status_code == 201
    after = await scrape(client)
    assert grew(before, after, "jiefen_idempotent_replays_total", operation="cases.create") == 1
    created = {"method": "POST", "route": "/api/v1/cases", "status": "201"}
    assert grew(before, after, "jiefen_http_requests_total", **created) == 2


async def test_an_sla_sweep_reports_its_run_duration_and_breaches(client, world, app):
    case = await pending_case(client, world, app)
    due = await backdate(app, uuid.UUID(case["id"]), datetime(2025, 9, 30, 10, 0, tzinfo=SHANGHAI))
    before = await scrape(client)
    assert (await run_sweep(app, due + timedelta(minutes=1))).breaches_recorded == 1
    assert (await run_sweep(app, due + timedelta(minutes=2))).breaches_recorded == 0
    after = await scrape(client)
    assert grew(before, after, "jiefen_sla_sweep_runs_total", outcome="ran") == 2
    assert grew(before, after, "jiefen_sla_sweep_duration_seconds_count") == 2
    assert grew(before, after, "jiefen_sla_breaches_recorded_total") == 1


async def test_the_feed_lag_per_client(client, world):
    body = case_body(litigation_intended=True)
    for _ in range(2):
        r = await client.post("/api/v1/cases", json=body, headers=await login(client, world, "lc_v01"))
        assert r.json()["current_organization"]["code"] == "LY-COURT", r.text
    samples = await scrape(client)
    # Each case routed to the court wrote feed events that the court has not acknowledged.
    assert value(samples, "jiefen_feed_unacknowledged_events", client="court") >= 2
    assert value(samples, "jiefen_feed_oldest_unacknowledged_age_seconds", client="court") >= 0
    assert ("jiefen_feed_unacknowledged_events", frozenset({("client", "court")})) in samples


async def test_pool_gauges_and_503s_when_the_pool_is_full(client, world, app, backend):
    headers = await login(client, world, "lc_v01")
    ctx = app.state.ctx
    size = 1 if backend == "sqlite" else 2
    idle = await scrape(client)
    assert value(idle, "jiefen_db_pool_size", pool="main") == size
    assert value(idle, "jiefen_db_pool_connections_in_use", pool="main") == 0
    assert value(idle, "jiefen_db_pool_waiting", pool="main") == 0
    if backend == "postgresql":
        assert value(idle, "jiefen_db_pool_size", pool="autocommit") == 4

    held = [await ctx.engine.connect() for _ in range(size)]
    try:
        waiter = asyncio.create_task(client.get("/api/v1/cases", headers=headers))
        for _ in range(1000):  # until the request waits in the pool's queue
            sample_pools(ctx)
            if REGISTRY.get_sample_value("jiefen_db_pool_waiting", {"pool": "main"}):
                break
            await asyncio.sleep(0.001)
        assert REGISTRY.get_sample_value("jiefen_db_pool_connections_in_use", {"pool": "main"}) == size
        assert REGISTRY.get_sample_value("jiefen_db_pool_waiting", {"pool": "main"}) == 1
        busy = await waiter
    finally:
        for conn in held:
            await conn.close()
    assert busy.status_code == 503, busy.text
    after = await scrape(client)
    assert value(after, "jiefen_db_pool_waiting", pool="main") == 0
    assert (
        grew(idle, after, "jiefen_http_requests_total", method="GET", route="/api/v1/cases", status="503")
        == 1
    )
    assert (
        grew(
            idle, after, "jiefen_http_unavailable_responses_total", route="/api/v1/cases", code="service_busy"
        )
        == 1
    )
