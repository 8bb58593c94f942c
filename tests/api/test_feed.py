"""The court feed: delivery in commit order, resumable, never skipping a late commit; court actions."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from app.calendar.workdays import SHANGHAI
from tests.support import case_body, login


def court(world) -> dict[str, str]:
    return world.headers("court")


async def court_case(client, world, user="lc_v01", **overrides):
    body = case_body(litigation_intended=True, **overrides)
    r = await client.post("/api/v1/cases", json=body, headers=await login(client, world, user))
    assert r.status_code == 201 and r.json()["current_organization"]["code"] == "LY-COURT", r.text
    return r.json()


async def pull_all(client, world, cursor=None, limit=100, expect=0):
    """Pull until caught up — and, like a real consumer, keep polling until ``expect`` events arrived: the
    fence holds rows back while any older write transaction in the cluster is still running."""
    items = []
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        r = await client.get("/api/v1/feed", params=params, headers=court(world))
        assert r.status_code == 200, r.text
        page = r.json()
        items += page["items"]
        cursor = page["next_cursor"]
        if page["has_more"]:
            continue
        if len(items) >= expect or asyncio.get_running_loop().time() > deadline:
            return items, cursor
        await asyncio.sleep(0.2)


async def test_cases_routed_to_the_court_arrive_with_full_contact_data(client, world):
    case = await court_case(client, world)
    await client.post(
        "/api/v1/cases", json=case_body(), headers=await login(client, world, "lc_v01")
    )  # village
    items, cursor = await pull_all(client, world, expect=1)
    assert [(i["type"], i["case"]["reference"]) for i in items] == [("case.dispatched", case["reference"])]
    # Written by the intake's own insert (one statement on PostgreSQL), with the case number it took.
    data = items[0]["data"]
    assert data["reference"] == case["reference"] and data["organization"] == "LY-COURT"
    party = items[0]["case"]["parties"][0]
    assert party["id_number"] == case_body()["parties"][0]["id_number"]  # the court must contact the parties
    assert party["phone"] == "13800138000"
    again, same = await pull_all(client, world, cursor)
    assert again == [] and same


async def test_court_actions_flow_into_the_feed_and_a_decline_goes_back_to_the_city_center(client, world):
    case = await court_case(client, world)
    _, cursor = await pull_all(client, world, expect=1)
    key = {"Idempotency-Key": "accept-1"}
    r = await client.post(
        f"/api/v1/court/cases/{case['id']}/accept",
        json={},
        headers={**court(world), **key, "If-Match": '"2"'},
    )
    assert r.status_code == 200, r.text
    replay = await client.post(
        f"/api/v1/court/cases/{case['id']}/accept",
        json={},
        headers={**court(world), **key, "If-Match": '"2"'},
    )
    assert replay.status_code == 200 and replay.json() == r.json()
    assert replay.headers["idempotent-replayed"] == "true"
    today = datetime.now(SHANGHAI).date()  # not before the case was received, nor days ahead
    r = await client.post(
        f"/api/v1/court/cases/{case['id']}/outcome",
        json={
            "outcome": "settled",
            "agreement_type": "written",
            "agreement_effective_on": today.isoformat(),
            "version": 3,
        },
        headers=court(world),
    )
    assert r.status_code == 200, r.text
    assert r.json()["judicial_confirmation_due_on"] == (today + timedelta(days=30)).isoformat()
    items, cursor = await pull_all(client, world, cursor, expect=2)
    assert [i["type"] for i in items] == ["case.accepted", "case.resolved"]

    other = await court_case(client, world)
    _, cursor = await pull_all(client, world, cursor, expect=1)
    r = await client.post(
        f"/api/v1/court/cases/{other['id']}/decline",
        json={"reason": "不属于司法确认范围", "version": 2},
        headers=court(world),
    )
    assert r.status_code == 200, r.text
    assert r.json()["current_organization"]["code"] == "LY-CC"
    items, _ = await pull_all(client, world, cursor, expect=1)
    assert [(i["type"], i["data"]["event"]) for i in items] == [("case.routed_away", "case.declined")]


async def test_the_court_sees_only_its_cases_and_only_machine_endpoints(client, world):
    village = (
        await client.post("/api/v1/cases", json=case_body(), headers=await login(client, world, "lc_v01"))
    ).json()
    assert (await client.get(f"/api/v1/court/cases/{village['id']}", headers=court(world))).status_code == 404
    r = await client.post(
        f"/api/v1/court/cases/{village['id']}/accept", json={"version": 2}, headers=court(world)
    )
    assert r.status_code == 404
    assert (await client.get(f"/api/v1/cases/{village['id']}", headers=court(world))).status_code == 404
    human = await client.get("/api/v1/feed", headers=await login(client, world, "bureau"))
    assert human.status_code == 403 and human.json()["code"] == "machine_only"
    mine = await court_case(client, world)
    listed = (await client.get("/api/v1/court/cases", headers=court(world))).json()["items"]
    assert [c["id"] for c in listed] == [mine["id"]]


async def test_forged_cursor_is_refused_and_ack_shows_in_the_lag_report(client, world):
    await court_case(client, world)
    bad = await client.get("/api/v1/feed", params={"cursor": "eyJ4Ijox.deadbeef"}, headers=court(world))
    assert bad.status_code == 400 and "GET /api/v1/court/cases" in bad.json()["detail"]
    status = (await client.get("/api/v1/feed/status", headers=await login(client, world, "bureau"))).json()
    assert status[0]["client"] == "court" and status[0]["unacknowledged"] == 1
    assert status[0]["oldest_unacknowledged_age_seconds"] is not None
    _, cursor = await pull_all(client, world, expect=1)
    assert (
        await client.post("/api/v1/feed/ack", json={"cursor": cursor}, headers=court(world))
    ).status_code == 204
    status = (await client.get("/api/v1/feed/status", headers=await login(client, world, "bureau"))).json()
    assert status[0]["unacknowledged"] == 0 and status[0]["acked_at"]


async def test_a_pull_is_recorded_for_the_lag_report_at_most_every_few_seconds(client, world, monkeypatch):
    from app.feed import service

    bureau = await login(client, world, "bureau")

    async def last_pull():
        return (await client.get("/api/v1/feed/status", headers=bureau)).json()[0]["last_pull_at"]

    assert await last_pull() is None
    await client.get("/api/v1/feed", headers=court(world))
    first = await last_pull()
    assert first is not None
    await client.get("/api/v1/feed", headers=court(world))
    assert await last_pull() == first  # within the interval: no write
    monkeypatch.setattr(service, "PULL_RECORD_INTERVAL", timedelta(0))
    await client.get("/api/v1/feed", headers=court(world))
    assert await last_pull() > first


async def test_long_poll_returns_when_an_event_arrives(client, world):
    _, cursor = await pull_all(client, world)

    async def later():
        await asyncio.sleep(0.6)
        await court_case(client, world)

    task = asyncio.create_task(later())
    r = await client.get("/api/v1/feed", params={"cursor": cursor, "wait": 10}, headers=court(world))
    await task
    assert r.status_code == 200 and len(r.json()["items"]) == 1


@pytest.mark.pg_only
async def test_a_transaction_that_commits_late_is_delivered_not_skipped(client, world, app):
    """A writer holds its transaction (with a lower id) open while later transactions commit."""
    first = await court_case(client, world)
    _, cursor = await pull_all(client, world, expect=1)
    ctx = app.state.ctx
    # The slow writer: an outbox row inserted now, committed after the others.
    slow = ctx.sessionmaker()
    await slow.execute(
        text(
            "INSERT INTO feed_events (organization_id, case_id, type, case_version, data, occurred_at) "
            "VALUES (:org, :case, 'case.updated', 9, '{}', now())"
        ),
        {"org": world.orgs["LY-COURT"], "case": uuid.UUID(first["id"])},
    )
    later = [await court_case(client, world) for _ in range(3)]
    seen_before, cursor_before = await pull_all(client, world, cursor)
    # The later transactions committed, but the fence holds them back behind the open one: nothing is
    # delivered that would let the cursor pass the slow row.
    assert seen_before == []
    await slow.commit()
    await slow.close()
    seen, _ = await pull_all(client, world, cursor_before, expect=4)
    assert [i["type"] for i in seen] == [
        "case.updated",
        "case.dispatched",
        "case.dispatched",
        "case.dispatched",
    ]
    assert [i["case"]["id"] for i in seen[1:]] == [c["id"] for c in later]


@pytest.mark.pg_only
async def test_soak_concurrent_writers_and_a_consumer_killed_at_random(client, world, app):
    rng = random.Random(7)
    writers, per_writer = 4, 12

    async def writer(n: int) -> list[str]:
        user = ["lc_v01", "lc_v02", "dt_v01", "lc_stn"][n]
        ids = []
        for _ in range(per_writer):
            ids.append((await court_case(client, world, user=user))["id"])
            await asyncio.sleep(rng.random() / 50)
        return ids

    delivered: list[tuple[int, str]] = []
    acked: str | None = None
    done = asyncio.Event()
    expected: set[str] = set()

    async def consumer() -> None:
        nonlocal acked
        cursor = acked
        while True:
            r = await client.get(
                "/api/v1/feed",
                params={"limit": 3, **({"cursor": cursor} if cursor else {})},
                headers=court(world),
            )
            page = r.json()
            delivered.extend((i["id"], i["case"]["id"]) for i in page["items"])
            if rng.random() < 0.3:
                cursor = acked  # "killed" before acknowledging: restart from the last ack
                continue
            cursor = page["next_cursor"]
            await client.post("/api/v1/feed/ack", json={"cursor": cursor}, headers=court(world))
            acked = cursor
            if done.is_set() and expected <= {case_id for _, case_id in delivered}:
                return
            await asyncio.sleep(0.005)

    consuming = asyncio.create_task(consumer())
    written = await asyncio.gather(*[writer(n) for n in range(writers)])
    all_cases = {c for ids in written for c in ids}
    expected.update(all_cases)
    done.set()
    await asyncio.wait_for(consuming, timeout=60)  # a case skipped for good would time out here
    got = {case_id for _, case_id in delivered}
    assert got == all_cases  # none missing
    by_event: dict[int, str] = {}
    for event_id, case_id in delivered:
        assert by_event.setdefault(event_id, case_id) == case_id  # duplicates only as exact redeliveries


async def test_reference_client_resumed_after_interruption_writes_each_event_once(client, world, tmp_path):
    from app.feed.client import Puller, State

    cases = [await court_case(client, world) for _ in range(5)]
    await pull_all(client, world, expect=5)  # visible through the fence before the client starts
    state, out = tmp_path / "state.json", tmp_path / "cases.jsonl"
    puller = Puller(client, world.court_key, state, out, limit=2, wait=0, log=lambda _: None)

    # Killed after writing a batch but before saving the state: the file has a batch the state doesn't.
    original_save = State.save
    calls = {"n": 0}

    def dying_save(self, path):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        original_save(self, path)

    State.save = dying_save
    try:
        with pytest.raises(KeyboardInterrupt):
            await puller.run(once=True)
    finally:
        State.save = original_save
    assert len(out.read_text().splitlines()) == 4  # two batches on disk, only the first recorded
    more = [await court_case(client, world) for _ in range(2)]
    for _ in range(
        50
    ):  # resume; poll until the fence lets all 7 through (at once, unless the cluster is busy)
        await puller.run(once=True)
        if len(out.read_text().splitlines()) >= 7:
            break
        await asyncio.sleep(0.2)
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["case"]["id"] for line in lines] == [c["id"] for c in cases + more]
    assert len({line["id"] for line in lines}) == len(lines)
    await puller.run(once=True)  # caught up: nothing more, nothing twice
    assert len(out.read_text().splitlines()) == 7
