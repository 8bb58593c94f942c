"""Delivery against real HTTP receivers on loopback: retries, dead letters, limits, signatures, crashes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
from datetime import UTC, datetime, timedelta

from standardwebhooks import Webhook

from app.db import session_scope
from app.models import DeliveryStatus, NoticeKind
from app.notifications import messages
from app.notifications.outbox import enqueue
from app.notifications.sender import claim, deliver_once
from tests.notifications.support import channel, deliveries

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # in the past: a delivery without `now` sends at once


async def queue_test(app, org="LY-LC-SFS"):
    async with session_scope(app.state.ctx.sessionmaker) as s:
        return await enqueue(
            s, messages.test("溧城司法所", NOW), [app.state.orgs[org]], NoticeKind.BREACH, NOW
        )


async def setup(app, world, receiver, kind="wecom", secret=None):
    app.state.orgs = world.orgs
    await channel(app, "LY-LC-SFS", kind, f"{receiver.base}/cgi-bin/webhook/send?key=robotkey123", secret)
    assert await queue_test(app) == 1


async def test_a_500_then_a_200_gives_one_message_after_a_retry_within_10_s(app, world, receiver):
    receiver.answers = [(500, {}, {}), (200, {"errcode": 0}, {})]
    await setup(app, world, receiver)
    first = await deliver_once(app.state.ctx, NOW, rng=random.Random(1))
    assert (first.delivered, first.retried) == (0, 1)
    [row] = await deliveries(app)
    assert row.status == DeliveryStatus.PENDING and row.last_status_code == 500
    assert NOW < row.next_attempt_at <= NOW + timedelta(seconds=10)
    second = await deliver_once(app.state.ctx, NOW + timedelta(seconds=10))
    assert second.delivered == 1
    [row] = await deliveries(app)
    assert row.status == DeliveryStatus.DELIVERED and row.attempts == 2
    assert len(receiver.received) == 2
    assert receiver.received[0].body == receiver.received[1].body  # the same message, tried twice
    assert receiver.received[0].json()["msgtype"] == "markdown"
    assert receiver.received[0].query["key"] == ["robotkey123"]
    # Delivered: nothing more is sent, ever.
    assert (await deliver_once(app.state.ctx, NOW + timedelta(days=1))).delivered == 0
    assert len(receiver.received) == 2


async def test_a_permanent_400_is_dead_lettered_without_retries_and_an_admin_may_retry_it(
    app, world, receiver, client
):
    from tests.support import login

    receiver.answers = [(400, {}, {}), (200, {"errcode": 0}, {})]
    await setup(app, world, receiver)
    run = await deliver_once(app.state.ctx, NOW)
    assert run.dead == 1
    [row] = await deliveries(app)
    assert row.status == DeliveryStatus.DEAD and row.attempts == 1
    await deliver_once(app.state.ctx, NOW + timedelta(hours=2))
    assert len(receiver.received) == 1

    admin = await login(client, world, "admin")
    page = (
        await client.get(f"/api/v1/admin/channels/{row.channel_id}/deliveries?status=dead", headers=admin)
    ).json()
    assert [d["id"] for d in page["items"]] == [row.id]
    listed = (await client.get("/api/v1/admin/channels", headers=admin)).json()["items"]
    assert listed[0]["dead"] == 1 and listed[0]["last_error"] == "HTTP 400"
    r = await client.post(f"/api/v1/admin/channels/{row.channel_id}/deliveries/{row.id}/retry", headers=admin)
    assert r.status_code == 200 and r.json()["status"] == "pending", r.text
    assert (await deliver_once(app.state.ctx)).delivered == 1
    assert len(receiver.received) == 2
    assert receiver.received[0].body == receiver.received[1].body


async def test_a_429_backs_off_for_its_retry_after(app, world, receiver):
    receiver.answers = [(429, {}, {"Retry-After": "30"}), (200, {"errcode": 0}, {})]
    await setup(app, world, receiver)
    assert (await deliver_once(app.state.ctx, NOW)).retried == 1
    [row] = await deliveries(app)
    assert row.next_attempt_at == NOW + timedelta(seconds=30)
    await deliver_once(app.state.ctx, NOW + timedelta(seconds=29))
    assert len(receiver.received) == 1
    assert (await deliver_once(app.state.ctx, NOW + timedelta(seconds=30))).delivered == 1


async def test_wecom_rate_limit_errcode_waits_a_minute(app, world, receiver):
    receiver.answers = [
        (200, {"errcode": 45009, "errmsg": "api freq out of limit"}, {}),
        (200, {"errcode": 0}, {}),
    ]
    await setup(app, world, receiver)
    await deliver_once(app.state.ctx, NOW)
    [row] = await deliveries(app)
    assert row.status == DeliveryStatus.PENDING and row.next_attempt_at == NOW + timedelta(seconds=60)
    assert "45009" in (row.last_error or "")


async def test_a_robot_gets_at_most_20_messages_a_minute(app, world, receiver):
    await setup(app, world, receiver)
    for _ in range(24):
        await queue_test(app)
    assert (await deliver_once(app.state.ctx, NOW)).delivered == 20
    assert len(receiver.received) == 20
    assert (await deliver_once(app.state.ctx, NOW + timedelta(seconds=61))).delivered == 5


async def test_the_standard_webhooks_signature_verifies_with_the_reference_library(app, world, receiver):
    secret = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
    await setup(app, world, receiver, kind="webhook", secret=secret)
    await deliver_once(app.state.ctx)
    [got] = receiver.received
    event = Webhook(secret).verify(got.body, got.headers)
    assert event["type"] == "channel.test" and event["data"]["organization"] == "溧城司法所"
    [row] = await deliveries(app)
    assert got.headers["webhook-id"] == row.message_id


async def test_dingtalk_signature_is_correct(app, world, receiver):
    secret = "SECdingtalk-secret-for-tests"
    app.state.orgs = world.orgs
    await channel(app, "LY-LC-SFS", "dingtalk", f"{receiver.base}/robot/send?access_token=tok", secret)
    await queue_test(app)
    await deliver_once(app.state.ctx)
    [got] = receiver.received
    timestamp = got.query["timestamp"][0]
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    assert got.query["sign"] == [expected]  # parse_qs has URL-decoded it once
    assert got.query["access_token"] == ["tok"]
    body = got.json()
    assert body["msgtype"] == "markdown" and body["markdown"]["title"] == "解纷 测试消息"


async def test_a_sender_killed_between_claim_and_send_is_redelivered_with_the_same_id(app, world, receiver):
    secret = "whsec_" + base64.b64encode(b"k" * 32).decode()
    await setup(app, world, receiver, kind="webhook", secret=secret)
    ctx = app.state.ctx
    async with session_scope(ctx.sessionmaker) as s:
        [claimed] = await claim(ctx, s, NOW)
    # ...and the process dies here: nothing was sent. While the lease runs, nobody else takes it.
    assert (await deliver_once(ctx, NOW + timedelta(seconds=5))).delivered == 0
    assert receiver.received == []
    run = await deliver_once(ctx, NOW + timedelta(seconds=ctx.settings.webhook_timeout_seconds + 31))
    assert run.delivered == 1
    assert receiver.received[0].headers["webhook-id"] == claimed.message_id


async def test_a_redirect_is_not_followed(app, world, receiver):
    receiver.answers = [(302, {}, {"Location": "http://169.254.169.254/"})]
    await setup(app, world, receiver)
    run = await deliver_once(app.state.ctx, NOW)
    assert run.retried == 1 and len(receiver.received) == 1
