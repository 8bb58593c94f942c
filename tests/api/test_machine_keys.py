"""Machine keys act only for the court sub-center, and the court reads full contact data only of its cases."""

from __future__ import annotations

import pytest

from app.auth.admin import create_client
from app.auth.secrets import new_api_key, sha256_hex
from app.db import session_scope, utcnow
from app.errors import ValidationFailed
from app.models import ApiClient, ApiClientKey
from tests.support import case_body, login

SUMMARY = "申请人张三（电话13700137000）诉称工程款80000.00元未付，拟起诉，请求诉前调解。"


async def legacy_key(app, org_id: int) -> str:
    """A key made before the rule, bound to another organization (as ``jiefen clients create`` allowed)."""
    async with session_scope(app.state.ctx.sessionmaker) as s:
        client = ApiClient(name="city-center-bot", organization_id=org_id, scopes=["feed:read", "case:write"])
        s.add(client)
        await s.flush()
        prefix, key = new_api_key()
        s.add(ApiClientKey(client_id=client.id, prefix=prefix, key_hash=sha256_hex(key), created_at=utcnow()))
    return key


async def test_machine_clients_are_created_only_for_the_court_sub_center(app, world):
    async with session_scope(app.state.ctx.sessionmaker) as s:
        for code in ("LY-CC", "LY-LC-STN", "LY-LC-SFS", "LY"):
            with pytest.raises(ValidationFailed) as refused:
                await create_client(s, f"bot-{code}", code, ["feed:read"], utcnow())
            assert [e.code for e in refused.value.errors] == ["client.organization_kind"]
        issued = await create_client(s, "court-2", "LY-COURT", ["feed:read"], utcnow())
        assert issued.key


async def test_a_key_bound_to_another_organization_reads_nothing(client, app, world):
    village = await client.post(
        "/api/v1/cases", json=case_body(), headers=await login(client, world, "lc_v01")
    )
    assert village.status_code == 201
    key = await legacy_key(app, world.orgs["LY-LC-V01"])  # the organization that holds the case
    headers = {"Authorization": f"Bearer {key}"}
    for path in ("/api/v1/feed", "/api/v1/court/cases", f"/api/v1/court/cases/{village.json()['id']}"):
        r = await client.get(path, headers=headers)
        assert r.status_code == 403, (path, r.text)
        assert r.json()["code"] == "api_key.organization_not_court"
        assert "13800138000" not in r.text
    r = await client.post(
        f"/api/v1/court/cases/{village.json()['id']}/accept", json={"version": 2}, headers=headers
    )
    assert r.status_code == 403


async def court_case(client, world, **overrides):
    body = case_body(litigation_intended=True, **overrides)
    r = await client.post("/api/v1/cases", json=body, headers=await login(client, world, "lc_v01"))
    assert r.status_code == 201 and r.json()["current_organization"]["code"] == "LY-COURT", r.text
    return r.json()


async def pull(client, world, cursor=None):
    params = {"limit": 100, "wait": 10, **({"cursor": cursor} if cursor else {})}
    r = await client.get("/api/v1/feed", params=params, headers=world.headers("court"))
    assert r.status_code == 200, r.text
    return r.json()


async def test_after_routed_away_the_court_reads_the_case_masked(client, world):
    court = world.headers("court")
    kept, declined = (
        await court_case(client, world, summary=SUMMARY),
        await court_case(client, world, summary=SUMMARY),
    )
    first = await pull(client, world)
    while len(first["items"]) < 2:  # the fence may hold the second intake back for a moment
        more = await pull(client, world, first["next_cursor"])
        first = {"items": first["items"] + more["items"], "next_cursor": more["next_cursor"]}
    delivered = {i["case"]["id"]: i["case"] for i in first["items"]}
    assert delivered[declined["id"]]["parties"][0]["phone"] == "13800138000"  # history: delivered in full
    assert delivered[declined["id"]]["summary"] == SUMMARY

    r = await client.post(
        f"/api/v1/court/cases/{declined['id']}/decline",
        json={"reason": "不属于诉前调解范围，申请人电话13700137000", "version": 2},
        headers=court,
    )
    assert r.status_code == 200, r.text

    page = await pull(client, world, first["next_cursor"])
    (routed_away,) = page["items"]
    assert routed_away["type"] == "case.routed_away"
    shown = routed_away["case"]
    assert shown["parties"][0]["phone"] == "138****8000"
    assert shown["parties"][0]["id_number"] == declined["parties"][0]["id_number"]  # the masked form
    assert "13700137000" not in shown["summary"] and "137****7000" in shown["summary"]
    assert "13700137000" not in routed_away["case"]["routing"]["explanation"]

    # New reads follow the rule: the court's case view, its list, and a re-read of the feed from the start.
    r = await client.get(f"/api/v1/court/cases/{declined['id']}", headers=court)
    assert r.status_code == 200 and r.json()["parties"][0]["phone"] == "138****8000"
    listed = {c["id"]: c for c in (await client.get("/api/v1/court/cases", headers=court)).json()["items"]}
    assert listed[declined["id"]]["parties"][0]["phone"] == "138****8000"
    assert listed[declined["id"]]["summary"] != SUMMARY
    replay = await pull(client, world)
    again = [i["case"] for i in replay["items"] if i["case"]["id"] == declined["id"]]
    assert again and all(c["parties"][0]["phone"] == "138****8000" for c in again)

    # The case the court still holds: in full, free text as written.
    r = await client.get(f"/api/v1/court/cases/{kept['id']}", headers=court)
    assert r.json()["parties"][0]["phone"] == "13800138000" and r.json()["summary"] == SUMMARY
    assert listed[kept["id"]]["parties"][0]["id_number"] == case_body()["parties"][0]["id_number"]
