"""What is sent: a breach once across replicas, the working-day digest, confirmation and 督办 messages."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from app.calendar.workdays import SHANGHAI
from app.cases.events import write_events
from app.db import session_scope
from app.main import create_app
from app.models import Case
from app.notifications.digest import run_digest
from app.notifications.producers import notify_urge
from app.notifications.sender import deliver_once
from app.sla.background import sweep_once
from tests.notifications.support import channel, deliveries, pending_case, set_due


async def test_a_breach_reaches_the_wecom_receiver_once_with_two_replicas_sweeping(
    app, world, client, receiver, settings
):
    await channel(app, "LY-LC-SFS", "wecom", f"{receiver.base}/cgi-bin/webhook/send?key=k1", events="breach")
    case = await pending_case(client, world, app)
    started = datetime.now(UTC) - timedelta(days=10)
    await set_due(app, case["id"], started, datetime.now(UTC) - timedelta(minutes=1))
    other = create_app(settings)
    try:
        await asyncio.gather(sweep_once(app.state.ctx), sweep_once(other.state.ctx))
        await asyncio.gather(sweep_once(app.state.ctx), sweep_once(other.state.ctx))
        await asyncio.gather(deliver_once(app.state.ctx), deliver_once(other.state.ctx))
    finally:
        await other.state.ctx.close()
    assert len(receiver.received) == 1
    content = receiver.received[0].json()["markdown"]["content"]
    assert case["reference"] in content and "超过分派期限" in content
    assert f"https://jiefen.example.cn/m/cases/{case['id']}" in content
    assert "张某" in content and "张三" not in content


DAYS = {
    "working day": (datetime(2025, 10, 9, 8, 30, tzinfo=SHANGHAI), True),
    "make-up Saturday": (datetime(2025, 10, 11, 8, 30, tzinfo=SHANGHAI), True),
    "holiday": (datetime(2025, 10, 3, 8, 30, tzinfo=SHANGHAI), False),
    "ordinary Sunday": (datetime(2025, 10, 12, 8, 30, tzinfo=SHANGHAI), False),
}


@pytest.mark.parametrize("day", list(DAYS))
async def test_the_digest_goes_on_working_days_only(app, world, client, receiver, day):
    at, sent = DAYS[day]
    await channel(app, "LY-LC-SFS", "wecom", f"{receiver.base}/send?key=k", events="digest")
    case = await pending_case(client, world, app)
    await set_due(app, case["id"], at - timedelta(days=1), at + timedelta(hours=10))
    async with session_scope(app.state.ctx.sessionmaker) as s:
        run = await run_digest(s, at, "https://jiefen.example.cn")
    assert (run.sent == 1) is sent
    async with session_scope(app.state.ctx.sessionmaker) as s:  # a second replica, or a second tick
        assert (await run_digest(s, at + timedelta(minutes=1), "https://jiefen.example.cn")).sent == 0
    await deliver_once(app.state.ctx, at)
    assert len(receiver.received) == int(sent)
    if sent:
        content = receiver.received[0].json()["markdown"]["content"]
        assert "分派：今明两个工作日到期 **1** 件" in content and case["reference"] in content


async def test_force_sends_on_a_holiday_and_nothing_is_sent_where_there_is_nothing_to_say(
    app, world, client, receiver
):
    await channel(app, "LY-LC-SFS", "wecom", f"{receiver.base}/send?key=k", events="digest")
    holiday = datetime(2025, 10, 3, 8, 30, tzinfo=SHANGHAI)
    async with session_scope(app.state.ctx.sessionmaker) as s:
        assert (await run_digest(s, holiday, "https://x", force=True)).sent == 0  # nothing due anywhere
    case = await pending_case(client, world, app)
    await set_due(app, case["id"], holiday - timedelta(days=5), holiday - timedelta(days=1))  # breached...
    await sweep_once(app.state.ctx)
    async with session_scope(app.state.ctx.sessionmaker) as s:
        assert (await run_digest(s, holiday, "https://x", force=True)).sent == 1  # ...and still open


async def test_confirmation_events_reach_the_holding_organization(app, world, client, receiver):
    from app.db import utcnow

    await channel(app, "LY-LC-STN", "wecom", f"{receiver.base}/send?key=k", events="confirmation")
    await channel(app, "LY-LC-SFS", "wecom", f"{receiver.base}/send?key=other", events="breach")
    case = await pending_case(client, world, app)
    async with session_scope(app.state.ctx.sessionmaker) as s:
        row = await s.get(Case, uuid.UUID(case["id"]))
        assert row is not None
        row.current_org_id = world.orgs["LY-LC-STN"]
        event = {
            "case_id": row.id,
            "type": "case.confirmation_requested",
            "case_version": row.version,
            "data": {},
            "occurred_at": utcnow(),
        }
        await write_events(s, row, [event])
    [row_out] = await deliveries(app)
    assert row_out.event == "case.confirmation_requested"
    await deliver_once(app.state.ctx)
    assert receiver.received[0].query["key"] == ["k"]
    assert "已申请司法确认" in receiver.received[0].json()["markdown"]["content"]


async def test_urge_messages_go_once_to_the_holder(app, world, client, receiver):
    from app.db import utcnow

    await channel(app, "LY-LC-STN", "webhook", f"{receiver.base}/hook", events="urge")
    case = await pending_case(client, world, app)
    for _ in range(2):
        async with session_scope(app.state.ctx.sessionmaker) as s:
            await notify_urge(
                s,
                "urge.created",
                7,
                uuid.UUID(case["id"]),
                world.orgs["LY-LC-STN"],
                "溧城司法所",
                "请于明日前回复，联系电话13800138000",
                utcnow() + timedelta(days=1),
                utcnow(),
                "https://x",
            )
    await deliver_once(app.state.ctx)
    [got] = receiver.received
    data = got.json()["data"]
    assert got.json()["type"] == "urge.created" and data["reference"] == case["reference"]
    assert "13800138000" not in got.body.decode()


async def test_the_breach_producer_is_wired_into_the_cli_sweep(
    app, world, client, receiver, settings, monkeypatch
):
    """`jiefen sla sweep` queues the messages in its transaction, like the replicas' sweep."""
    await channel(app, "LY-LC-SFS", "wecom", f"{receiver.base}/send?key=k", events="breach")
    case = await pending_case(client, world, app)
    await set_due(
        app, case["id"], datetime.now(UTC) - timedelta(days=9), datetime.now(UTC) - timedelta(hours=1)
    )
    from app import cli, config

    for key, value in {
        "JIEFEN_DATABASE_URL": settings.database_url,
        "JIEFEN_ENCRYPTION_KEY": settings.encryption_key,
        "JIEFEN_BLIND_INDEX_KEY": settings.blind_index_key,
    }.items():
        monkeypatch.setenv(key, value)
    config.get_settings.cache_clear()
    try:
        await asyncio.to_thread(cli.main, ["sla", "sweep"])
    finally:
        config.get_settings.cache_clear()
    assert len(await deliveries(app)) == 1


async def test_an_urge_through_the_api_reaches_the_holder_and_its_answer_the_office_that_urged(
    app, world, client, receiver
):
    """督办 created → the holder's group; answered → the group of the office that raised it. Each once."""
    from app.db import utcnow
    from tests.sla_support import restart, run_sweep
    from tests.support import login

    await channel(app, "LY-LC-SFS", "webhook", f"{receiver.base}/holder", events="urge")
    await channel(app, "LY", "webhook", f"{receiver.base}/bureau", events="urge")
    case = await pending_case(client, world, app)
    await restart(app, case["id"], utcnow() - timedelta(days=12))  # its dispatch clock runs out
    await run_sweep(app, utcnow())
    bureau = await login(client, world, "bureau")
    r = await client.post(
        f"/api/v1/cases/{case['id']}/urges",
        json={"note": "请尽快分派，联系电话13800138000"},
        headers=bureau,
    )
    assert r.status_code == 201, r.text
    urge_id = r.json()["id"]
    await deliver_once(app.state.ctx)
    [created] = receiver.received
    assert created.path == "/holder" and created.json()["type"] == "urge.created"
    assert "13800138000" not in created.body.decode()

    lc_sfs = await login(client, world, "lc_sfs")
    r = await client.post(f"/api/v1/urges/{urge_id}/answer", json={"note": "已分派。"}, headers=lc_sfs)
    assert r.status_code == 200, r.text
    await deliver_once(app.state.ctx)
    assert [(m.path, m.json()["type"]) for m in receiver.received] == [
        ("/holder", "urge.created"),
        ("/bureau", "urge.answered"),
    ]


async def test_an_urge_past_its_report_back_day_is_announced_overdue_to_the_holder_once(
    app, world, client, receiver
):
    from sqlalchemy import update

    from app.db import utcnow
    from app.models import Urge
    from app.notifications.producers import notify_overdue_urges
    from tests.sla_support import restart, run_sweep
    from tests.support import login

    await channel(app, "LY-LC-SFS", "webhook", f"{receiver.base}/holder", events="urge")
    case = await pending_case(client, world, app)
    await restart(app, case["id"], utcnow() - timedelta(days=12))
    await run_sweep(app, utcnow())
    report_by = utcnow().astimezone(SHANGHAI).date()
    r = await client.post(
        f"/api/v1/cases/{case['id']}/urges",
        json={"note": "请今日内报告。", "report_back_by": report_by.isoformat()},
        headers=await login(client, world, "bureau"),
    )
    assert r.status_code == 201, r.text
    async with session_scope(app.state.ctx.sessionmaker) as s:
        # Not yet overdue on its report-back day itself.
        assert await notify_overdue_urges(s, utcnow(), "https://x") == 0
        # Two days pass without an answer.
        await s.execute(update(Urge).values(report_back_by=report_by - timedelta(days=2)))
    for expected in (1, 0):  # once, however often the schedule runs
        async with session_scope(app.state.ctx.sessionmaker) as s:
            assert await notify_overdue_urges(s, utcnow(), "https://x") == expected
    await deliver_once(app.state.ctx)
    # Both reach the holder; the sender promises no order between two messages of one channel.
    assert sorted(m.json()["type"] for m in receiver.received) == ["urge.created", "urge.overdue"]
