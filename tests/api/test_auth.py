"""Login, logout, throttling, API keys reaching only what they may."""

from __future__ import annotations

import httpx
from sqlalchemy import text

from app.main import create_app
from tests.support import PASSWORD, case_body, login


async def test_login_returns_an_expiring_bearer_token_and_logout_revokes_it(client, world):
    r = await client.post("/api/v1/auth/login", json={"username": "lc_v01", "password": PASSWORD})
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer" and body["expires_at"]
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    me = await client.get("/api/v1/auth/me", headers=headers)
    assert me.status_code == 200 and me.json()["role"] == "mediator"
    assert (await client.post("/api/v1/auth/logout", headers=headers)).status_code == 204
    after = await client.get("/api/v1/auth/me", headers=headers)
    assert after.status_code == 401 and after.json()["code"] == "invalid_token"


async def test_wrong_password_and_unknown_user_look_the_same(client, world):
    a = await client.post("/api/v1/auth/login", json={"username": "lc_v01", "password": "wrong-password"})
    b = await client.post("/api/v1/auth/login", json={"username": "nobody", "password": "wrong-password"})
    assert a.status_code == b.status_code == 401
    assert a.json()["code"] == b.json()["code"] == "invalid_credentials"


async def test_login_is_throttled_per_account_even_for_the_right_password(client, world):
    for _ in range(5):
        r = await client.post("/api/v1/auth/login", json={"username": "lc_v02", "password": "nope-nope"})
        assert r.status_code == 401
    r = await client.post("/api/v1/auth/login", json={"username": "lc_v02", "password": PASSWORD})
    assert r.status_code == 429
    assert r.json()["code"] == "login_throttled" and int(r.headers["retry-after"]) > 0
    # Another account from the same address is not locked by five failures.
    ok = await client.post("/api/v1/auth/login", json={"username": "lc_v01", "password": PASSWORD})
    assert ok.status_code == 200


async def test_requests_without_or_with_bad_tokens_get_401_problems(client, world):
    r = await client.get("/api/v1/cases")
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert r.headers["content-type"].startswith("application/problem+json")
    r = await client.get("/api/v1/cases", headers={"Authorization": "Bearer jfk_nope_nope"})
    assert r.status_code == 401 and r.json()["code"] == "invalid_api_key"


async def test_api_key_cannot_use_human_endpoints(client, world):
    headers = world.headers("court")
    assert (await client.get("/api/v1/cases", headers=headers)).status_code == 404
    from tests.support import case_body

    assert (await client.post("/api/v1/cases", json=case_body(), headers=headers)).status_code == 404


async def test_unknown_login_fields_are_rejected(client, world):
    r = await client.post("/api/v1/auth/login", json={"username": "x", "password": "y", "remember": True})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "extra_forbidden"


async def test_ops_endpoints_and_headers(client, world):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    r = await client.get("/readyz", headers={"X-Request-ID": "abc123"})
    assert r.status_code == 200 and r.json()["status"] == "ok"
    assert r.headers["x-request-id"] == "abc123"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


async def test_no_free_database_connection_is_a_503_to_retry_and_nothing_is_stored(settings, world):
    """Pool of one connection, held elsewhere: the request waits JIEFEN_DB_POOL_TIMEOUT_SECONDS, then gets a
    problem it can act on (retry after a moment), not a 500; the retry with the same key makes the case."""
    app = create_app(settings.model_copy(update={"db_pool_size": 1, "db_pool_timeout_seconds": 0.2}))
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            headers = {**await login(client, world, "lc_v01"), "Idempotency-Key": "busy-1"}
            async with app.state.ctx.engine.connect() as held:
                await held.execute(text("SELECT 1"))
                busy = await client.post("/api/v1/cases", json=case_body(), headers=headers)
            assert busy.status_code == 503, busy.text
            assert busy.headers["retry-after"] == "1" and busy.json()["code"] == "service_busy"
            retry = await client.post("/api/v1/cases", json=case_body(), headers=headers)
            assert retry.status_code == 201 and "idempotent-replayed" not in retry.headers
    finally:
        await app.state.ctx.close()


async def test_organizations_tree(client, world):
    headers = await login(client, world, "lc_v01")
    tree = (await client.get("/api/v1/organizations", headers=headers)).json()
    assert [root["code"] for root in tree] == ["LY"]
    towns = [c for c in tree[0]["children"] if c["kind"] == "town"]
    assert len(towns) == 12
    lc = next(t for t in towns if t["code"] == "LY-LC")
    assert {c["kind"] for c in lc["children"]} == {"town_station", "justice_office", "village_committee"}
    specialised = (
        await client.get("/api/v1/organizations", params={"tier": "specialised"}, headers=headers)
    ).json()
    assert len(specialised) == 7 and all(o["category"] for o in specialised)


async def test_admin_creates_and_deactivates_organizations(client, world):
    admin = await login(client, world, "admin")
    body = {
        "code": "LY-LC-V04",
        "name": "新建社区人民调解委员会",
        "kind": "village_committee",
        "parent_code": "LY-LC",
    }
    assert (
        await client.post("/api/v1/organizations", json=body, headers=await login(client, world, "lc_sfs"))
    ).status_code == 403
    r = await client.post("/api/v1/organizations", json=body, headers=admin)
    assert r.status_code == 201, r.text
    assert (r.json()["tier"], r.json()["town_code"], r.json()["parent_code"]) == ("village", "LY-LC", "LY-LC")
    assert (await client.post("/api/v1/organizations", json=body, headers=admin)).status_code == 409
    wrong = await client.post(
        "/api/v1/organizations", json={**body, "code": "LY-X", "parent_code": "LY-CC"}, headers=admin
    )
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["code"] == "parent.wrong_kind"
    r = await client.patch("/api/v1/organizations/LY-LC-V04", json={"active": False}, headers=admin)
    assert r.status_code == 200 and r.json()["active"] is False
    assert (
        await client.patch("/api/v1/organizations/NOPE", json={"active": False}, headers=admin)
    ).status_code == 404
