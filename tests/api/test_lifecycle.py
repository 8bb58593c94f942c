"""The lifecycle through the API: dispatch, accept, decline, escalate, outcome, withdraw, close."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import update

from app.db import session_scope
from app.models import Organization
from tests.support import act, case_body, login


async def new_case(client, world, username="lc_v01", **overrides):
    r = await client.post(
        "/api/v1/cases", json=case_body(**overrides), headers=await login(client, world, username)
    )
    assert r.status_code == 201, r.text
    return r.json()


async def test_village_case_from_intake_to_archive(client, world):
    v01 = await login(client, world, "lc_v01")
    case = await new_case(client, world)
    r = await act(client, v01, case, "accept", note="已受理")
    assert r.status_code == 200 and r.json()["status"] == "in_mediation"
    case = r.json()
    r = await act(
        client,
        v01,
        case,
        "outcome",
        outcome="settled",
        agreement_type="written",
        agreed_amount="2500.00",
        performed=True,
    )
    assert r.status_code == 200, r.text
    case = r.json()
    assert (
        case["status"] == "resolved" and case["outcome"] == "settled" and case["current_assignment"] is None
    )
    r = await act(client, v01, case, "close", follow_up_note="回访：双方已履行协议，关系和睦。")
    assert r.status_code == 200 and r.json()["status"] == "closed"
    events = (await client.get(f"/api/v1/cases/{case['id']}/events", headers=v01)).json()["items"]
    assert [e["type"] for e in events] == [
        "case.created",
        "case.dispatched",
        "case.accepted",
        "case.resolved",
        "case.closed",
    ]
    assert [e["case_version"] for e in events] == [1, 2, 3, 4, 5]
    assert events[3]["data"]["agreed_amount"] == "2500.00"


async def test_decline_excludes_the_decliner_then_supervisor_dispatches_and_escalation_climbs(client, world):
    v01, sfs = await login(client, world, "lc_v01"), await login(client, world, "lc_sfs")
    case = await new_case(client, world)
    first_due = case["dispatch_due_at"]
    r = await act(client, v01, case, "decline", reason="涉及跨村土地，超出本村调委会职责")
    assert r.status_code == 200, r.text
    case = r.json()
    # The only village committee declined: nobody left to auto-dispatch to; a new clock runs.
    assert case["status"] == "pending_dispatch" and case["current_organization"] is None
    assert case["dispatch_due_at"] >= first_due
    r = await act(client, sfs, case, "dispatch", organization_code="LY-LC-STN", note="转镇调委会")
    assert r.status_code == 200, r.text
    case = r.json()
    assert case["current_assignment"]["organization"]["code"] == "LY-LC-STN"
    assert case["current_assignment"]["auto_dispatched"] is False
    stn = await login(client, world, "lc_stn")
    case = (await act(client, stn, case, "accept")).json()
    r = await act(client, stn, case, "escalate", reason="双方分歧大，调解不成")
    assert r.status_code == 200, r.text
    case = r.json()
    # One rung up: the city center (general desk), dispatched at once since exactly one qualifies.
    assert case["status"] == "dispatched"
    assert case["current_assignment"]["organization"]["code"] == "LY-CC"
    assert case["routing"]["rule"] == "escalation" and case["routing"]["tier"] == "city_center"
    events = (await client.get(f"/api/v1/cases/{case['id']}/events", headers=sfs)).json()["items"]
    assert [e["type"] for e in events][-2:] == ["case.escalated", "case.dispatched"]
    assert events[-2]["data"] == {"from_tier": "town", "to_tier": "city_center"}


async def test_version_checks_and_illegal_transitions(client, world):
    v01 = await login(client, world, "lc_v01")
    case = await new_case(client, world)
    stale = {**case, "version": case["version"] - 1}
    r = await act(client, v01, stale, "accept")
    assert (
        r.status_code == 412 and r.json()["code"] == "version_mismatch" and r.json()["current_version"] == 2
    )
    r = await client.post(f"/api/v1/cases/{case['id']}/accept", json={}, headers=v01)
    assert r.status_code == 428 and r.json()["code"] == "version_required"
    r = await client.post(
        f"/api/v1/cases/{case['id']}/accept", json={"version": case["version"]}, headers=v01
    )
    assert r.status_code == 200  # the body's version works as well as If-Match
    case = r.json()
    r = await act(client, v01, case, "close", follow_up_note="还没有办结")
    assert r.status_code == 409
    problem = r.json()
    assert problem["code"] == "transition_not_allowed" and problem["current_status"] == "in_mediation"
    assert set(problem["allowed_actions"]) == {"escalate", "extend", "outcome", "withdraw"}
    again = await client.get(f"/api/v1/cases/{case['id']}", headers=v01)
    assert again.json()["status"] == "in_mediation"  # nothing changed


async def test_only_the_assigned_organization_acts(client, world):
    case = await new_case(client, world, username="lc_stn", village_code="LY-LC-V02")
    assert case["current_organization"]["code"] == "LY-LC-V02"
    stn = await login(client, world, "lc_stn")  # can see it (its own submission) but is not the assignee
    r = await act(client, stn, case, "accept")
    assert r.status_code == 403 and r.json()["code"] == "action_not_permitted"
    r = await act(client, await login(client, world, "dt_v01"), case, "accept")
    assert r.status_code == 404  # another town's committee cannot even see it
    r = await act(client, await login(client, world, "lc_v02"), case, "accept")
    assert r.status_code == 200
    r = await act(
        client, await login(client, world, "dt_sfs"), r.json(), "dispatch", organization_code="LY-DT-STN"
    )
    assert r.status_code == 404


async def test_administrative_review_outcomes_only_on_that_channel(client, world):
    government = {
        **case_body()["parties"][1],
        "kind": "organization",
        "is_government": True,
        "id_number": None,
    }
    body = case_body(category="land_acquisition", parties=[case_body()["parties"][0], government])
    case = await new_case(client, world, **body)
    assert case["current_organization"]["code"] == "LY-CC-ADMREVIEW"
    admrev = await login(client, world, "admrev")
    case = (await act(client, admrev, case, "accept")).json()
    r = await act(client, admrev, case, "outcome", outcome="settled")
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "outcome.not_allowed_here"
    r = await act(client, admrev, case, "outcome", outcome="revoked", note="撤销原行政行为")
    assert r.status_code == 200 and r.json()["outcome"] == "revoked"

    village = await new_case(client, world)
    v01 = await login(client, world, "lc_v01")
    village = (await act(client, v01, village, "accept")).json()
    r = await act(client, v01, village, "outcome", outcome="revoked")
    assert r.status_code == 422


async def test_withdraw_before_acceptance_and_deactivated_organizations(client, world, app):
    v01 = await login(client, world, "lc_v01")
    case = await new_case(client, world)
    r = await act(client, v01, case, "withdraw", reason="申请人撤回申请")
    assert r.status_code == 200 and r.json()["status"] == "resolved" and r.json()["outcome"] == "withdrawn"
    async with session_scope(app.state.ctx.sessionmaker) as s:
        await s.execute(update(Organization).where(Organization.code == "LY-LC-V01").values(active=False))
    case = await new_case(client, world)
    assert case["status"] == "pending_dispatch" and case["current_organization"] is None
    assert "等待人工分派" in case["routing"]["explanation"]
    r = await act(
        client, await login(client, world, "lc_sfs"), case, "dispatch", organization_code="LY-LC-V01"
    )
    assert r.status_code == 409 and r.json()["code"] == "organization.inactive"


@pytest.mark.pg_only
async def test_two_concurrent_dispatches_one_wins_the_other_gets_412(client, world, app):
    async with session_scope(app.state.ctx.sessionmaker) as s:
        await s.execute(update(Organization).where(Organization.code == "LY-LC-V01").values(active=False))
    case = await new_case(client, world)
    assert case["status"] == "pending_dispatch"
    sfs, bureau = await login(client, world, "lc_sfs"), await login(client, world, "bureau")
    a, b = await asyncio.gather(
        act(client, sfs, case, "dispatch", organization_code="LY-LC-STN"),
        act(client, bureau, case, "dispatch", organization_code="LY-CC"),
    )
    assert sorted([a.status_code, b.status_code]) == [200, 412]
    final = (await client.get(f"/api/v1/cases/{case['id']}", headers=bureau)).json()
    winner = a if a.status_code == 200 else b
    assert final["current_organization"] == winner.json()["current_organization"]
    events = (await client.get(f"/api/v1/cases/{case['id']}/events", headers=bureau)).json()["items"]
    assert [e["type"] for e in events].count("case.dispatched") == 1
