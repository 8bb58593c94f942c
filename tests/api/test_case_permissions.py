"""What a caller may do on a case (``allowed_actions`` on GET /cases/{id}) is exactly what the endpoints
accept, and a resent action (same Idempotency-Key) makes one transition."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Any

import pytest

from app.calendar.workdays import SHANGHAI
from tests.support import act, case_body, login

# The callers who can see the cases built below (another town's office or committee gets 404 everywhere).
CALLERS = ["admin", "bureau", "lc_sfs", "lc_v01", "lc_v02", "lc_stn"]
STATES = ["pending_dispatch", "dispatched", "dispatched_elsewhere", "in_mediation", "resolved", "closed"]


def _today() -> str:
    return datetime.now(SHANGHAI).date().isoformat()


# A valid body for each action, so that a refusal is about who or when, never about the body.
BODIES: dict[str, dict[str, Any]] = {
    "dispatch": {"organization_code": "LY-LC-STN"},
    "accept": {},
    "decline": {"reason": "不属于本组织受理范围"},
    "escalate": {"reason": "双方分歧大，调解不成"},
    "outcome": {"outcome": "failed", "note": "调解不成"},
    "withdraw": {"reason": "申请人撤回申请"},
    "close": {"follow_up_note": "回访：双方已履行协议。"},
    "extend": {"reason": "经双方当事人同意继续调解", "days": 15},
}


async def case_in(client, world, state: str) -> dict[str, Any]:
    """A fresh case in ``state``: registered by 溧城 village 01 and held by it (or by village 02)."""
    if state == "dispatched_elsewhere":
        # Registered by the town station for village 02, which holds it: the registrar no longer does.
        r = await client.post(
            "/api/v1/cases",
            json=case_body(village_code="LY-LC-V02"),
            headers=await login(client, world, "lc_stn"),
        )
        assert r.status_code == 201 and r.json()["current_organization"]["code"] == "LY-LC-V02"
        return r.json()
    v01 = await login(client, world, "lc_v01")
    r = await client.post("/api/v1/cases", json=case_body(), headers=v01)
    assert r.status_code == 201, r.text
    case = r.json()
    steps = {
        "pending_dispatch": [("decline", BODIES["decline"])],
        "dispatched": [],
        "in_mediation": [("accept", {})],
        "resolved": [
            ("accept", {}),
            (
                "outcome",
                {"outcome": "settled", "agreement_type": "written", "agreement_effective_on": _today()},
            ),
        ],
    }
    steps["closed"] = [*steps["resolved"], ("close", BODIES["close"])]
    for action, body in steps[state]:
        r = await act(client, v01, case, action, **body)
        assert r.status_code == 200, r.text
        case = r.json()
    assert case["status"] == state
    return case


async def test_allowed_actions_are_exactly_what_the_endpoints_accept(client, world):
    offered: dict[tuple[str, str], list[str]] = {}
    for state in STATES:
        template = await case_in(client, world, state)
        for user in CALLERS:
            headers = await login(client, world, user)
            r = await client.get(f"/api/v1/cases/{template['id']}", headers=headers)
            if r.status_code == 404:
                continue  # not in this caller's scope: every action is 404 too (test_lifecycle)
            assert r.status_code == 200
            listed = r.json()["allowed_actions"]
            offered[(state, user)] = listed
            for action, body in BODIES.items():
                if action in listed:
                    fresh = await case_in(client, world, state)
                    r = await act(client, headers, fresh, action, **body)
                    assert r.status_code == 200, (state, user, action, r.text)
                else:
                    r = await act(client, headers, template, action, **body)
                    assert r.status_code in (403, 409), (state, user, action, r.status_code, r.text)
    # The table reads as the rules say (a few anchors, so that "nobody may do anything" cannot pass).
    assert offered[("dispatched", "lc_v01")] == ["accept", "decline", "withdraw"]
    assert offered[("in_mediation", "lc_v01")] == ["escalate", "outcome", "withdraw", "extend"]
    assert offered[("pending_dispatch", "lc_sfs")] == ["dispatch", "withdraw"]
    assert offered[("pending_dispatch", "lc_v01")] == ["withdraw"]
    assert offered[("dispatched_elsewhere", "lc_stn")] == []
    assert offered[("dispatched_elsewhere", "lc_v02")] == ["accept", "decline", "withdraw"]
    assert "close" in offered[("resolved", "lc_v01")]
    assert offered[("closed", "bureau")] == []


async def test_abilities_say_which_outcomes_and_where_an_escalation_goes(client, world):
    v01 = await login(client, world, "lc_v01")
    case = await case_in(client, world, "in_mediation")
    detail = (await client.get(f"/api/v1/cases/{case['id']}", headers=v01)).json()
    assert detail["outcome_choices"] == ["failed", "referred_to_litigation", "settled", "withdrawn"]
    assert detail["escalation_target"] == {"tier": "town", "label": "案件所在镇（街道）非诉讼服务站"}
    assert detail["may_reveal_contact"] is True and detail["may_read_contact_log"] is False
    sfs_headers = await login(client, world, "lc_sfs")
    sfs = (await client.get(f"/api/v1/cases/{case['id']}", headers=sfs_headers)).json()
    assert sfs["outcome_choices"] == [] and sfs["escalation_target"] is None
    assert sfs["may_reveal_contact"] is False and sfs["may_read_contact_log"] is True
    # The action's own response carries the abilities after it.
    r = await act(client, v01, detail, "outcome", outcome="failed")
    assert r.json()["allowed_actions"] == ["close"] and r.json()["outcome_choices"] == []


async def test_a_resent_action_replays_the_first_response_and_changes_nothing_twice(client, world):
    v01 = await login(client, world, "lc_v01")
    case = await case_in(client, world, "dispatched")
    key = {"Idempotency-Key": f"accept-{uuid.uuid4()}"}
    first = await act(client, {**v01, **key}, case, "accept", note="已受理")
    assert first.status_code == 200 and "Idempotent-Replayed" not in first.headers
    accepted = first.json()
    # The case moves on; the resend of the accept (same key, same If-Match, same body) still replays.
    r = await act(client, v01, accepted, "outcome", outcome="failed")
    assert r.status_code == 200
    again = await act(client, {**v01, **key}, case, "accept", note="已受理")
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.content == first.content and again.headers["ETag"] == first.headers["ETag"]
    other = await act(client, {**v01, **key}, case, "accept", note="另一个备注")
    assert other.status_code == 422 and other.json()["errors"][0]["code"] == "idempotency_key.reused"
    elsewhere = await act(client, {**v01, **key}, case, "decline", reason="不属于本组织受理范围")
    assert elsewhere.status_code == 422
    events = (await client.get(f"/api/v1/cases/{case['id']}/events", headers=v01)).json()["items"]
    assert [e["type"] for e in events].count("case.accepted") == 1


@pytest.mark.pg_only
async def test_a_double_tap_makes_one_transition(client, world):
    v01 = await login(client, world, "lc_v01")
    case = await case_in(client, world, "dispatched")
    key = {"Idempotency-Key": f"tap-{uuid.uuid4()}"}
    a, b = await asyncio.gather(
        act(client, {**v01, **key}, case, "accept"), act(client, {**v01, **key}, case, "accept")
    )
    assert a.status_code == b.status_code == 200 and a.content == b.content
    events = (await client.get(f"/api/v1/cases/{case['id']}/events", headers=v01)).json()["items"]
    assert [e["type"] for e in events].count("case.accepted") == 1
