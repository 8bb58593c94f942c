"""回访结案 records the visit's date and whether the agreement was performed (#12 §2)."""

from __future__ import annotations

from datetime import date, timedelta

from tests.support import act, case_body, login


async def _resolved_case(client, world):
    v01 = await login(client, world, "lc_v01")
    case = (await client.post("/api/v1/cases", json=case_body(), headers=v01)).json()
    case = (await act(client, v01, case, "accept")).json()
    r = await act(client, v01, case, "outcome", outcome="settled", agreement_type="oral", performed=False)
    assert r.status_code == 200, r.text
    return v01, r.json()


async def test_close_keeps_the_visit_date_and_performance_on_the_event(client, world):
    v01, case = await _resolved_case(client, world)
    visited = date.today() - timedelta(days=1)
    r = await act(
        client,
        v01,
        case,
        "close",
        follow_up_note="回访：协议已履行完毕。",
        visited_on=visited.isoformat(),
        agreement_performed=True,
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "closed"
    events = (await client.get(f"/api/v1/cases/{case['id']}/events", headers=v01)).json()["items"]
    assert events[-1]["type"] == "case.closed"
    assert events[-1]["data"] == {"visited_on": visited.isoformat(), "agreement_performed": True}


async def test_a_visit_in_the_future_is_refused_with_its_field(client, world):
    v01, case = await _resolved_case(client, world)
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    r = await act(client, v01, case, "close", follow_up_note="回访情况良好", visited_on=tomorrow)
    assert r.status_code == 422
    assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [("visited_on", "visited_on.future")]
