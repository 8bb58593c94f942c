"""The 通知渠道 page: supervisors read their scope's channels and dead letters; admins add, test, resend."""

from __future__ import annotations

from app.notifications.sender import deliver_once
from tests.browser.web import form_csrf, web_login
from tests.notifications.support import channel, deliveries
from tests.notifications.test_delivery import queue_test


async def test_an_admin_adds_a_channel_in_the_page_and_sends_a_test(app, world, client, receiver):
    await web_login(client, "admin")
    page = await client.get("/m/channels")
    assert page.status_code == 200 and "还没有通知渠道" in page.text and "添加渠道" in page.text
    fields = {
        "csrf_token": form_csrf(page.text),
        "org": "LY-LC-SFS",
        "kind": "wecom",
        "url": "https://10.0.0.8/cgi-bin/webhook/send?key=k",
        "events": ["breach", "digest"],
    }
    refused = await client.post("/m/channels", data=fields)
    assert refused.status_code == 422 and "不能发往内网" in refused.text
    fields["url"] = f"{receiver.base}/cgi-bin/webhook/send?key=robotkey99"
    added = await client.post("/m/channels", data=fields, follow_redirects=True)
    assert "已添加渠道" in added.text and "key=robo****" in added.text and "robotkey99" not in added.text
    assert "超期提醒、每日期限提醒" in added.text
    log_id = await channel_id(app)
    tested = await client.post(
        f"/m/channels/{log_id}/test", data={"csrf_token": form_csrf(added.text)}, follow_redirects=True
    )
    assert "测试消息已排队" in tested.text
    await deliver_once(app.state.ctx)
    assert len(receiver.received) == 1
    forged = await client.post(f"/m/channels/{log_id}/remove", data={"csrf_token": "forged"})
    assert forged.status_code == 403


async def channel_id(app):
    from sqlalchemy import select

    from app.db import session_scope
    from app.models import NotificationChannel

    async with session_scope(app.state.ctx.sessionmaker) as s:
        return (await s.execute(select(NotificationChannel.id))).scalar_one()


async def test_a_town_supervisor_sees_the_dead_letters_of_their_town_only(app, world, client, receiver):
    receiver.answers = [(400, {}, {})]
    app.state.orgs = world.orgs
    await channel(app, "LY-LC-SFS", "wecom", f"{receiver.base}/send?key=lcrobot")
    await channel(app, "LY-DT-SFS", "wecom", f"{receiver.base}/send?key=dtrobot")
    await queue_test(app)
    await deliver_once(app.state.ctx)
    await web_login(client, "lc_sfs")
    page = await client.get("/m/channels")
    assert page.status_code == 200
    assert "key=lcro****" in page.text and "dtro" not in page.text
    assert "发送失败（待处理）：1 条" in page.text and "HTTP 400" in page.text
    assert "重新发送" not in page.text and "添加渠道" not in page.text  # admins only
    [dead] = await deliveries(app)
    r = await client.post(
        f"/m/channels/{dead.channel_id}/retry",
        data={"csrf_token": form_csrf(page.text), "delivery_id": dead.id},
    )
    assert r.status_code == 403


async def test_mediators_have_no_channels_page(app, world, client):
    await web_login(client, "lc_v01")
    assert (await client.get("/m/channels")).status_code == 404
    assert "通知渠道" not in (await client.get("/m/")).text
