"""What every response carries and what the access log says: the 500 answer, no-store, Allow on 405."""

from __future__ import annotations

import logging
import uuid

import httpx
import pytest
from fastapi import FastAPI

from app.main import create_app
from tests.support import case_body, login


class Boom(Exception):
    pass


@pytest.fixture
async def failing(settings) -> object:
    """The product app plus routes that fail, for this test module only."""
    app = create_app(settings)

    async def boom() -> None:
        raise Boom("secret internals: token_hash=abc")

    async def warns() -> dict[str, bool]:
        logging.getLogger("app.somewhere").warning("something odd")
        return {"ok": True}

    app.add_api_route("/api/v1/test-boom", boom, methods=["GET"])
    app.add_api_route("/api/v1/test-warns", warns, methods=["GET"])
    yield app
    await app.state.ctx.close()


@pytest.fixture
async def failing_client(failing: FastAPI):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=failing), base_url="http://t") as c:
        yield c


async def test_an_unhandled_exception_is_a_problem_500_with_request_id_headers_and_log(
    failing_client, json_log
):
    r = await failing_client.get("/api/v1/test-boom", headers={"X-Request-ID": "req-500-a"})
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "internal_error" and r.json()["status"] == 500
    assert "secret" not in r.text and "Traceback" not in r.text and "Boom" not in r.text
    assert r.headers["x-request-id"] == "req-500-a"
    assert r.headers["x-content-type-options"] == "nosniff" and r.headers["x-frame-options"] == "DENY"
    assert r.headers["cache-control"] == "no-store"

    lines = json_log.lines()
    [error] = [e for e in lines if e["logger"] == "jiefen.errors"]
    assert error["request_id"] == "req-500-a" and "Boom: secret internals" in error["exception"]
    [access] = json_log.access()
    assert access["request_id"] == "req-500-a" and access["status"] == 500
    assert access["outcome"] == "exception"


async def test_a_record_logged_during_a_request_names_the_request(failing_client, json_log):
    r = await failing_client.get("/api/v1/test-warns", headers={"X-Request-ID": "req-warn-b"})
    assert r.status_code == 200
    [warning] = [e for e in json_log.lines() if e["logger"] == "app.somewhere"]
    assert warning["request_id"] == "req-warn-b"
    logging.getLogger("app.somewhere").warning("outside a request")
    assert "request_id" not in json_log.lines()[-1]


async def test_every_failed_request_is_in_the_access_log_with_its_request_id(client, world, json_log):
    mediator = await login(client, world, "lc_v01")
    failures = [
        ("GET", "/api/v1/cases", {}, None, 401),
        ("GET", f"/api/v1/cases/{uuid.uuid4()}", mediator, None, 404),
        ("POST", "/api/v1/cases", {**mediator, "Idempotency-Key": "k-log"}, {"category": 1}, 422),
        ("DELETE", "/api/v1/cases", mediator, None, 405),
        ("GET", "/api/v1/no-such-thing", {}, None, 404),
        ("POST", "/api/v1/cases", {}, {"summary": "x" * 300_000}, 413),
    ]
    for i, (method, path, headers, body, status) in enumerate(failures):
        r = await client.request(method, path, headers={**headers, "X-Request-ID": f"fail-{i}"}, json=body)
        assert r.status_code == status, (path, r.text)
    logged = {e["request_id"]: e["status"] for e in json_log.access()}
    assert {f"fail-{i}": f[-1] for i, f in enumerate(failures)}.items() <= logged.items()


async def test_personal_data_responses_are_no_store(client, world):
    mediator = await login(client, world, "lc_v01")
    headers = {**mediator, "Idempotency-Key": "no-store-1"}
    case = (await client.post("/api/v1/cases", json=case_body(), headers=headers)).json()
    bureau = await login(client, world, "bureau")
    court = world.headers("court")
    responses = [
        await client.get(f"/api/v1/cases/{case['id']}", headers=mediator),
        await client.get("/api/v1/cases", headers=mediator),
        await client.get(f"/api/v1/cases/{case['id']}/events", headers=mediator),
        await client.get("/api/v1/feed", headers=court),
        await client.get("/api/v1/court/cases", headers=court),
        await client.get("/api/v1/sla/breaches", params={"format": "csv"}, headers=bureau),
        await client.get(f"/api/v1/cases/{uuid.uuid4()}", headers=mediator),  # errors too
    ]
    for r in responses:
        assert r.status_code in (200, 404), (r.url, r.text)
        assert r.headers["cache-control"] == "no-store", r.url
    assert responses[5].headers["content-type"].startswith("text/csv")


async def test_static_assets_keep_their_own_cache_control(client, world):
    home = await client.get("/m/login")
    assert home.headers["cache-control"] == "no-store"
    asset = home.text.split('rel="stylesheet" href="')[1].split('"')[0]
    r = await client.get(asset)
    assert r.status_code == 200 and r.headers["cache-control"] != "no-store", r.headers
    assert "no-store" not in (await client.get("/healthz")).headers.get("cache-control", "")


async def test_405_allow_lists_every_method_of_the_path(client, world):
    admin = await login(client, world, "admin")
    r = await client.delete("/api/v1/routing/rules", headers=admin)  # GET and PUT, two routes
    assert r.status_code == 405 and r.json()["code"] == "method_not_allowed"
    assert set(r.headers["allow"].split(", ")) == {"GET", "PUT"}
    r = await client.get("/api/v1/routing/preview", headers=admin)  # POST only
    assert r.status_code == 405 and r.headers["allow"] == "POST"
    r = await client.put("/api/v1/cases", headers=admin)
    assert set(r.headers["allow"].split(", ")) == {"GET", "POST"}
