"""The feed's lean court view gives, byte for byte, the JSON of ``CaseOut`` from ``present_cases``."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from pydantic_core import to_json
from sqlalchemy import select, update

from app.calendar.workdays import SHANGHAI
from app.cases.presenter import Reveal, present_cases
from app.db import session_scope, utcnow
from app.feed.presenter import court_cases
from app.feed.views import FeedPage
from app.models import Case, SlaClock
from tests.support import act, case_body, login, person


async def created(client, world, user="lc_v01", **overrides):
    r = await client.post(
        "/api/v1/cases", json=case_body(**overrides), headers=await login(client, world, user)
    )
    assert r.status_code == 201, r.text
    return r.json()


async def court_action(client, world, case, action, **body):
    r = await client.post(
        f"/api/v1/court/cases/{case['id']}/{action}",
        json={**body, "version": case["version"]},
        headers=world.headers("court"),
    )
    assert r.status_code == 200, r.text
    return r.json()


async def varied_cases(client, world, app) -> list[dict]:
    """Cases in the states and shapes the court view shows, each field set and unset somewhere."""
    dispatched = await created(client, world, litigation_intended=True)
    sparse = await created(
        client,
        world,
        litigation_intended=True,
        claim_amount=None,
        occurred_on=None,
        parties=[
            {"role": "applicant", "kind": "person", "name": "王五"},  # no ID, phone or address
            person("applicant", "赵六", 3, phone="13700137000"),  # ID and phone, no address
            {
                "role": "respondent",
                "kind": "organization",
                "name": "溧城建材有限公司",
                "phone": "13600136000",
            },
        ],
    )
    accepted = await court_action(client, world, dispatched, "accept")
    settled = await created(client, world, litigation_intended=True, claim_amount="1234567.89")
    settled = await court_action(client, world, settled, "accept")
    settled = await court_action(
        client,
        world,
        settled,
        "outcome",
        outcome="settled",
        agreement_type="written",
        agreement_effective_on=datetime.now(SHANGHAI).date().isoformat(),  # not before receipt
    )
    declined = await created(client, world, litigation_intended=True)
    declined = await court_action(client, world, declined, "decline", reason="不属于司法确认范围")
    village = await created(client, world)
    government = await created(
        client,
        world,
        user="lc_stn",
        parties=[
            person("applicant", "孙七", 4, phone="13500135000", address="溧城街道1号"),
            {"role": "respondent", "kind": "organization", "name": "溧城街道办事处", "is_government": True},
        ],
    )
    v01 = await login(client, world, "lc_v01")
    resolved = await created(client, world)
    resolved = (await act(client, v01, resolved, "accept")).json()
    resolved = (await act(client, v01, resolved, "withdraw", reason="申请人撤回申请")).json()
    assert resolved["status"] == "resolved"
    await _breaches(app, [uuid.UUID(accepted["id"]), uuid.UUID(village["id"])])
    return [accepted, sparse, settled, declined, village, government, resolved]


async def _breaches(app, ids: list[uuid.UUID]) -> None:
    """The first case: an old closed breach and a later open one (the latest shows); the second: closed."""
    now = utcnow().replace(microsecond=0)
    async with session_scope(app.state.ctx.sessionmaker) as s:
        cases = {c.id: c for c in (await s.execute(select(Case).where(Case.id.in_(ids)))).scalars()}
        first, second = cases[ids[0]], cases[ids[1]]

        # The cases' own running clocks make way for the open breach below (one running clock per case).
        await s.execute(
            update(SlaClock)
            .where(SlaClock.case_id.in_(ids), SlaClock.stopped_at.is_(None))
            .values(stopped_at=now, stopped_by="resolved")
        )

        def breach(case, started, closed_at=None, closed_by=None, **lateness):
            return SlaClock(
                case_id=case.id,
                kind="dispatch",
                started_at=started,
                due_at=started + timedelta(days=3),
                rule_version=1,
                unit="working_days",
                length_days=3,
                breached_at=started + timedelta(days=3, minutes=1),
                town_org_id=case.town_org_id,
                category=case.category,
                stopped_at=closed_at,
                stopped_by=closed_by,
                **lateness,
            )

        s.add_all(
            [
                breach(
                    first,
                    now - timedelta(days=30),
                    closed_at=now - timedelta(days=20),
                    closed_by="dispatched",
                    lateness_seconds=7 * 86400 + 1234,
                    lateness_working_days=5,
                ),
                breach(first, now - timedelta(days=10, microseconds=-123456)),
                breach(
                    second,
                    now - timedelta(days=5),
                    closed_at=now - timedelta(hours=1),
                    closed_by="dispatched",
                    lateness_seconds=0,
                    lateness_working_days=0,
                ),
            ]
        )


async def test_lean_court_view_equals_case_out_for_every_shape(client, world, app):
    cases = await varied_cases(client, world, app)
    ids = [uuid.UUID(c["id"]) for c in cases]
    ctx = app.state.ctx
    reveal = Reveal(ctx.cipher, world.orgs["LY-COURT"])
    async with session_scope(ctx.sessionmaker) as s:
        rows = list((await s.execute(select(Case).where(Case.id.in_(ids)))).scalars())
        expected = {c.id: c.model_dump_json().encode() for c in await present_cases(s, rows, reveal=reveal)}
    async with session_scope(ctx.sessionmaker) as s:
        lean = await court_cases(s, set(ids), reveal)
    assert set(lean) == set(expected) == set(ids)
    for case_id in ids:
        assert to_json(lean[case_id]) == expected[case_id]

    # The shapes the comparison covered.
    shown = [lean[i] for i in ids]
    parties = [p for c in shown for p in c["parties"]]
    assert {p["id_number"] is None for p in parties} == {True, False}
    assert {p["phone"] is None for p in parties} == {True, False}
    assert any(p["is_government"] for p in parties)
    assert {c["status"] for c in shown} >= {"in_mediation", "dispatched", "resolved"}
    assert {c["current_assignment"] is None for c in shown} == {True, False}
    assert {c["village"] is None for c in shown} == {True, False}
    assert {c["claim_amount"] is None for c in shown} == {True, False}
    assert any(c["judicial_confirmation_due_on"] for c in shown)
    first_breach, second_breach = shown[0]["breach"], shown[4]["breach"]
    assert first_breach["open"] is True and first_breach["lateness_hours"] is None
    assert second_breach["open"] is False and second_breach["lateness_hours"] == 0.0


async def test_feed_page_is_what_the_feed_page_model_serializes(client, world, app):
    await varied_cases(client, world, app)
    # wait: the fence may hold the events back while another transaction in the cluster is running.
    params = {"limit": 500, "wait": 10}
    r = await client.get("/api/v1/feed", params=params, headers=world.headers("court"))
    assert r.status_code == 200, r.text
    assert r.json()["items"]
    assert FeedPage.model_validate_json(r.content).model_dump_json().encode() == r.content
