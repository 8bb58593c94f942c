"""Judicial confirmation as the law has it: requested after a written settlement, within 30 days, by the
organization that mediated it; the court receives it on its feed with the parties' full contact data and
answers with its 案号 or a reason. Also: litigation_intended replaces the old intake flag."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.calendar.workdays import SHANGHAI
from app.feed.client import FEED_EVENT_TYPES, answer_confirmation
from tests.api.test_feed import court, pull_all
from tests.support import act, case_body, login

CASE_NUMBER = "(2026)苏0481民特123号"


def today():
    return datetime.now(SHANGHAI).date()


async def settled(client, world, *, agreement_type="written", effective=None, **overrides):
    v01 = await login(client, world, "lc_v01")
    r = await client.post("/api/v1/cases", json=case_body(**overrides), headers=v01)
    assert r.status_code == 201, r.text
    case = (await act(client, v01, r.json(), "accept")).json()
    r = await act(
        client,
        v01,
        case,
        "outcome",
        outcome="settled",
        agreement_type=agreement_type,
        agreed_amount="2500.00",
        performed=False,
        agreement_effective_on=(effective or today()).isoformat(),
    )
    assert r.status_code == 200, r.text
    return r.json()


def request(client, headers, case, **extra):
    return client.post(
        f"/api/v1/cases/{case['id']}/confirmation-request",
        json={"note": "双方当事人共同申请司法确认"},
        headers={**headers, "If-Match": f'"{case["version"]}"', **extra},
    )


def answer(client, world, case, **body):
    return client.post(f"/api/v1/court/cases/{case['id']}/confirmation", json=body, headers=court(world))


async def test_a_settled_written_agreement_goes_to_the_court_and_the_court_confirms(client, world):
    v01 = await login(client, world, "lc_v01")
    case = await settled(client, world)
    assert case["allowed_actions"] == ["close", "request_confirmation"]
    assert case["holder"]["code"] == "LY-LC-V01"
    assert case["agreement"] == {
        "type": "written",
        "amount": "2500.00",
        "performed": False,
        "effective_on": today().isoformat(),
        "court_case_number": None,
    }
    assert case["judicial_confirmation_due_on"] == (today() + timedelta(days=30)).isoformat()
    sfs = await login(client, world, "lc_sfs")
    assert (
        "request_confirmation"
        not in (await client.get(f"/api/v1/cases/{case['id']}", headers=sfs)).json()["allowed_actions"]
    )
    r = await request(client, sfs, case)
    assert r.status_code == 403 and r.json()["code"] == "action_not_permitted"

    key = {"Idempotency-Key": "confirm-1"}
    first = await request(client, v01, case, **key)
    assert first.status_code == 200, first.text
    after = first.json()
    assert after["status"] == "resolved" and after["outcome"] == "settled"  # keeps its state and outcome
    assert (
        after["confirmation"]["status"] == "requested"
        and after["confirmation"]["court"]["code"] == "LY-COURT"
    )
    assert "request_confirmation" not in after["allowed_actions"]
    again = await request(client, v01, case, **key)
    assert again.content == first.content and again.headers["Idempotent-Replayed"] == "true"
    r = await request(client, v01, after)
    assert r.status_code == 409 and r.json()["code"] == "confirmation.already_requested"

    # The court's feed: the request, with the agreement and the parties' full contact data for service.
    items, _ = await pull_all(client, world, expect=1)
    (item,) = [i for i in items if i["case"]["id"] == case["id"]]
    assert item["type"] == "case.confirmation_requested"
    assert item["data"]["agreement_type"] == "written" and item["data"]["agreed_amount"] == "2500.00"
    applicant = item["case"]["parties"][0]
    assert applicant["phone"] == "13800138000" and applicant["address"] == "溧城街道八字桥社区12号"
    assert (await client.get(f"/api/v1/court/cases/{case['id']}", headers=court(world))).status_code == 200

    r = await answer(client, world, case, decision="confirmed", decided_on=today().isoformat())
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "court_case_number.required"
    future = (today() + timedelta(days=1)).isoformat()
    r = await answer(
        client, world, case, decision="confirmed", court_case_number=CASE_NUMBER, decided_on=future
    )
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "decided_on.future"
    r = await answer(client, world, case, decision="confirmed", court_case_number="123号", decided_on=future)
    assert r.status_code == 422
    r = await answer(
        client,
        world,
        case,
        decision="confirmed",
        court_case_number=CASE_NUMBER,
        decided_on=today().isoformat(),
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "confirmed" and r.json()["court_case_number"] == CASE_NUMBER
    r = await answer(client, world, case, decision="refused", reason="重复", decided_on=today().isoformat())
    assert r.status_code == 409 and r.json()["code"] == "confirmation.no_open_request"

    detail = (await client.get(f"/api/v1/cases/{case['id']}", headers=v01)).json()
    assert detail["outcome"] == "settled" and detail["confirmation"]["status"] == "confirmed"
    # Confirmed is final: the page offers no new request and the endpoint refuses one.
    assert "request_confirmation" not in detail["allowed_actions"]
    r = await request(client, v01, detail)
    assert r.status_code == 409 and r.json()["code"] == "confirmation.already_confirmed"
    events = (await client.get(f"/api/v1/cases/{case['id']}/events", headers=v01)).json()["items"]
    assert [e["type"] for e in events][-2:] == ["case.confirmation_requested", "case.confirmation_answered"]
    assert events[-1]["data"]["court_case_number"] == CASE_NUMBER


async def test_a_refusal_carries_its_reason_and_a_new_request_may_follow(client, world):
    v01 = await login(client, world, "lc_v01")
    case = await settled(client, world)
    case = (await request(client, v01, case)).json()
    r = await answer(client, world, case, decision="refused", decided_on=today().isoformat())
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "reason.required"
    r = await answer(
        client,
        world,
        case,
        decision="refused",
        reason="协议内容违反法律强制性规定",
        decided_on=today().isoformat(),
    )
    assert r.status_code == 200 and r.json()["court_case_number"] is None
    detail = (await client.get(f"/api/v1/cases/{case['id']}", headers=v01)).json()
    assert detail["confirmation"]["status"] == "refused"
    assert "request_confirmation" in detail["allowed_actions"]  # within the window, the parties may try again


async def test_only_written_settlements_within_30_days(client, world):
    v01 = await login(client, world, "lc_v01")
    oral = await settled(client, world, agreement_type="oral")
    assert "request_confirmation" not in oral["allowed_actions"]
    r = await request(client, v01, oral)
    assert r.status_code == 409 and r.json()["code"] == "confirmation.not_written"

    received = (datetime.now(SHANGHAI) - timedelta(days=60)).isoformat()
    late = await settled(client, world, effective=today() - timedelta(days=31), received_at=received)
    assert "request_confirmation" not in late["allowed_actions"]
    r = await request(client, v01, late)
    assert r.status_code == 409 and r.json()["code"] == "confirmation.window_closed"
    # The 30th day is still in time.
    in_time = await settled(client, world, effective=today() - timedelta(days=30), received_at=received)
    assert (await request(client, v01, in_time)).status_code == 200

    r = await client.post("/api/v1/cases", json=case_body(), headers=v01)
    failed = (
        await act(
            client, v01, (await act(client, v01, r.json(), "accept")).json(), "outcome", outcome="failed"
        )
    ).json()
    r = await request(client, v01, failed)
    assert r.status_code == 409 and r.json()["code"] == "confirmation.not_settled"


async def test_litigation_intended_routes_to_the_court_whose_outcomes_carry_its_case_number(client, world):
    v01 = await login(client, world, "lc_v01")
    r = await client.post("/api/v1/cases", json=case_body(litigation_intended=True), headers=v01)
    case = r.json()
    assert case["litigation_intended"] is True and case["routing"]["rule"] == "litigation-intended"
    assert case["current_organization"]["code"] == "LY-COURT"
    # The old field is still accepted for one release, and means the same.
    body = case_body()
    del body["litigation_intended"]
    old = await client.post(
        "/api/v1/cases", json={**body, "judicial_confirmation_requested": True}, headers=v01
    )
    assert old.status_code == 201 and old.json()["litigation_intended"] is True

    url = f"/api/v1/court/cases/{case['id']}"
    r = await client.post(
        f"{url}/accept", json={}, headers={**court(world), "If-Match": f'"{case["version"]}"'}
    )
    assert r.status_code == 200, r.text
    r = await client.post(
        f"{url}/outcome",
        json={
            "outcome": "settled",
            "agreement_type": "written",
            "court_case_number": "（2026）苏0481民诉前调88号",
        },
        headers={**court(world), "If-Match": f'"{r.json()["version"]}"'},
    )
    assert r.status_code == 200, r.text
    detail = (await client.get(f"/api/v1/cases/{case['id']}", headers=v01)).json()
    assert detail["agreement"]["court_case_number"] == "（2026）苏0481民诉前调88号"

    village = (
        await act(
            client, v01, (await client.post("/api/v1/cases", json=case_body(), headers=v01)).json(), "accept"
        )
    ).json()
    r = await act(client, v01, village, "outcome", outcome="settled", court_case_number=CASE_NUMBER)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "court_case_number.not_court"


async def test_the_reference_client_answers_and_a_resend_answers_once(client, world):
    v01 = await login(client, world, "lc_v01")
    case = (await request(client, v01, await settled(client, world))).json()
    items, _ = await pull_all(client, world, expect=1)
    (item,) = [i for i in items if i["type"] == "case.confirmation_requested"]
    assert item["type"] in FEED_EVENT_TYPES
    key = f"confirmation-{item['data']['request_id']}"
    kwargs = {"decision": "confirmed", "decided_on": today().isoformat(), "court_case_number": CASE_NUMBER}
    first = await answer_confirmation(client, world.court_key, case["id"], idempotency_key=key, **kwargs)
    again = await answer_confirmation(client, world.court_key, case["id"], idempotency_key=key, **kwargs)
    assert first == again and first["status"] == "confirmed"
    events = (await client.get(f"/api/v1/cases/{case['id']}/events", headers=v01)).json()["items"]
    assert [e["type"] for e in events].count("case.confirmation_answered") == 1
