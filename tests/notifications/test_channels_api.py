"""The channels' admin API: add (masked), scope of the delivery log, the URL policy's 422, test, remove."""

from __future__ import annotations

from app.db import session_scope
from app.models import NotificationChannel
from app.notifications.sender import deliver_once
from tests.notifications.support import channel
from tests.support import login


async def test_admins_add_channels_with_keys_encrypted_and_shown_masked(app, world, client, receiver):
    admin = await login(client, world, "admin")
    url = f"{receiver.base}/cgi-bin/webhook/send?key=secretrobotkey"
    r = await client.post(
        "/api/v1/admin/channels", json={"org": "LY-LC-SFS", "kind": "wecom", "url": url}, headers=admin
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["url"].endswith("key=secr****") and "secretrobotkey" not in r.text
    assert body["events"] == ["breach", "digest", "urge", "confirmation"]
    async with session_scope(app.state.ctx.sessionmaker) as s:
        stored = await s.get(NotificationChannel, body["id"])
        assert stored is not None and "secretrobotkey" not in stored.url_encrypted

    r = await client.post(
        "/api/v1/admin/channels",
        json={"org": "LY-LC-SFS", "kind": "webhook", "url": f"{receiver.base}/hook"},
        headers=admin,
    )
    assert r.status_code == 201 and r.json()["signing_secret"].startswith("whsec_")
    assert r.json()["secret"].endswith("****")

    r = await client.post(f"/api/v1/admin/channels/{body['id']}/test", headers=admin)
    assert r.status_code == 202
    await deliver_once(app.state.ctx)
    assert "测试消息" in receiver.received[0].json()["markdown"]["content"]
    logged = (await client.get(f"/api/v1/admin/channels/{body['id']}", headers=admin)).json()
    assert logged["last_success_at"] is not None and logged["queued"] == 0

    assert (await client.delete(f"/api/v1/admin/channels/{body['id']}", headers=admin)).status_code == 204
    assert (await client.get(f"/api/v1/admin/channels/{body['id']}", headers=admin)).status_code == 404


async def test_private_urls_are_refused_with_the_field_and_a_code(app, world, client):
    admin = await login(client, world, "admin")
    for url in ("https://10.0.0.5/hook", "http://example.com/hook", "https://169.254.169.254/"):
        r = await client.post(
            "/api/v1/admin/channels", json={"org": "LY-LC-SFS", "kind": "webhook", "url": url}, headers=admin
        )
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == "url"
    r = await client.post(
        "/api/v1/admin/channels",
        json={
            "org": "NOPE",
            "kind": "wecom",
            "url": "https://qyapi.weixin.qq.com/x?key=a",
            "events": ["nope"],
        },
        headers=admin,
    )
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} >= {"events.0"}


async def test_supervisors_see_the_delivery_log_of_their_scope_only(app, world, client, receiver):
    lc = await channel(app, "LY-LC-SFS", "wecom", f"{receiver.base}/send?key=a")
    dt = await channel(app, "LY-DT-SFS", "wecom", f"{receiver.base}/send?key=b")
    lc_sup = await login(client, world, "lc_sfs")
    listed = (await client.get("/api/v1/admin/channels", headers=lc_sup)).json()["items"]
    assert [c["id"] for c in listed] == [lc]
    assert (await client.get(f"/api/v1/admin/channels/{dt}", headers=lc_sup)).status_code == 404
    assert (await client.get(f"/api/v1/admin/channels/{dt}/deliveries", headers=lc_sup)).status_code == 404
    bureau = await login(client, world, "bureau")
    assert len((await client.get("/api/v1/admin/channels", headers=bureau)).json()["items"]) == 2
    mediator = await login(client, world, "lc_v02")
    assert (await client.get("/api/v1/admin/channels", headers=mediator)).status_code == 403
    r = await client.post(
        "/api/v1/admin/channels",
        json={"org": "LY-LC-SFS", "kind": "wecom", "url": "https://qyapi.weixin.qq.com/x?key=a"},
        headers=lc_sup,
    )
    assert r.status_code == 403
