"""Request size: the body limit while streaming, capped list limits and a bounded routing rule set."""

from __future__ import annotations

import httpx
import pytest

from app.config import Settings
from app.main import create_app
from app.routing.views import MAX_RULES
from tests.conftest import TEST_KEYS
from tests.support import case_body, login

LIMIT = 256 * 1024  # the default JIEFEN_MAX_BODY_BYTES


def assert_too_large(r: httpx.Response) -> None:
    assert r.status_code == 413, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "body.too_large" and r.json()["max_body_bytes"] == LIMIT
    assert r.headers["x-request-id"] and r.headers["x-content-type-options"] == "nosniff"


async def test_a_declared_length_over_the_limit_is_refused_before_authentication(client, world, json_log):
    # No credentials: today the body would be read and parsed in full, then refused with 401.
    body = b'{"summary": "' + b"x" * LIMIT + b'"}'
    r = await client.post("/api/v1/cases", content=body, headers={"Content-Type": "application/json"})
    assert_too_large(r)
    assert json_log.access()[-1]["status"] == 413


async def test_a_chunked_body_is_refused_at_the_chunk_that_crosses_the_limit(client, world):
    chunk, total = b"x" * 64 * 1024, 64
    sent = 0

    async def chunks():  # no Content-Length: sent as a chunked, streamed body
        nonlocal sent
        for _ in range(total):
            sent += 1
            yield chunk

    headers = {**await login(client, world, "lc_v01"), "Content-Type": "application/json"}
    r = await client.post("/api/v1/cases", content=chunks(), headers=headers)
    assert_too_large(r)
    assert sent <= LIMIT // len(chunk) + 2 < total  # stopped reading: 4 MB were offered, ~256 KB read


async def test_a_page_form_over_the_limit_is_refused_too(client, world):
    r = await client.post("/m/login", data={"username": "x" * LIMIT, "password": "p"})
    assert_too_large(r)


async def test_a_body_under_the_limit_is_taken(client, world):
    body = case_body(summary="邻里纠纷" * 500)  # ~6 KB of UTF-8, well under the limit
    headers = {**await login(client, world, "lc_v01"), "Idempotency-Key": "limits-under-1"}
    r = await client.post("/api/v1/cases", json=body, headers=headers)
    assert r.status_code == 201, r.text


async def test_the_limit_is_configurable(settings, world):
    app = create_app(settings.model_copy(update={"max_body_bytes": 2048}))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            r = await c.post("/api/v1/auth/login", json={"username": "u" * 3000, "password": "p"})
            assert r.status_code == 413 and r.json()["max_body_bytes"] == 2048
            r = await c.post("/api/v1/auth/login", json={"username": "nobody", "password": "p"})
            assert r.status_code == 401  # under the limit: read, parsed and answered as usual
    finally:
        await app.state.ctx.close()


def test_every_list_limit_has_a_maximum():
    settings = Settings(env="test", database_url="sqlite+aiosqlite:///:memory:", **TEST_KEYS)
    paths = create_app(settings).openapi()["paths"]
    limits = [
        (path, method, p["schema"])
        for path, operations in paths.items()
        for method, op in operations.items()
        for p in op.get("parameters", [])
        if p["name"] == "limit" and p["in"] == "query"
    ]
    assert len(limits) >= 6  # cases, events, court cases, feed, breaches, at-risk
    assert [(path, method) for path, method, schema in limits if "maximum" not in schema] == []


@pytest.mark.parametrize(
    ("path", "user"),
    [("/api/v1/cases", "lc_v01"), ("/api/v1/sla/breaches", "bureau"), ("/api/v1/feed", "court")],
)
async def test_a_limit_above_the_cap_is_a_422_naming_it(client, world, path, user):
    headers = world.headers("court") if user == "court" else await login(client, world, user)
    r = await client.get(path, params={"limit": 100_000}, headers=headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "limit"


async def test_a_rule_set_has_at_most_max_rules(client, world):
    admin = await login(client, world, "admin")
    current = (await client.get("/api/v1/routing/rules", headers=admin)).json()["current"]["rules"]
    too_many = (current * (MAX_RULES // len(current) + 1))[: MAX_RULES + 1]
    r = await client.put("/api/v1/routing/rules", json={"rules": too_many}, headers=admin)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "rules" and r.json()["errors"][0]["code"] == "too_long"
