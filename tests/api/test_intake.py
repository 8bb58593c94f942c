"""Intake: a submission becomes a case; bad input is refused whole; retries never duplicate."""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy import func, select, text

from app.db import session_scope
from app.models import Case, CaseEvent, IdempotencyKey, Party
from tests.support import case_body, login


async def count(app, model) -> int:
    async with session_scope(app.state.ctx.sessionmaker) as s:
        return int((await s.execute(select(func.count()).select_from(model))).scalar_one())


async def test_village_mediator_registers_a_case(client, world):
    headers = await login(client, world, "lc_v01")
    r = await client.post("/api/v1/cases", json=case_body(), headers=headers)
    assert r.status_code == 201, r.text
    case = r.json()
    assert re.fullmatch(r"LY-\d{4}-\d{6}", case["reference"])
    # A neighbour dispute inside one village routes to that village's committee, dispatched at once.
    assert case["status"] == "dispatched"
    assert case["version"] == 2
    assert case["routing"]["rule"] == "village-default" and case["routing"]["tier"] == "village"
    assert case["routing"]["organization"]["code"] == "LY-LC-V01"
    assert "village-default" in case["routing"]["explanation"]
    assert case["current_organization"]["code"] == "LY-LC-V01"
    assert case["current_assignment"]["auto_dispatched"] is True
    assert case["dispatch_due_at"].endswith("+08:00")
    assert case["town"]["code"] == "LY-LC" and case["village"]["code"] == "LY-LC-V01"
    assert case["intake_organization"]["code"] == "LY-LC-V01"
    assert case["claim_amount"] == "3000.00"
    applicant = case["parties"][0]
    assert applicant["id_number"] == make_id_number_masked(case_body()["parties"][0]["id_number"])
    assert applicant["phone"] == "138****8000"
    assert r.headers["location"] == f"/api/v1/cases/{case['id']}"
    assert r.headers["etag"] == '"2"'
    assert case["received_at"].endswith("+08:00")

    got = await client.get(f"/api/v1/cases/{case['id']}", headers=headers)
    assert got.status_code == 200
    detail = got.json()
    # The detail adds what the caller may do now (app.cases.permissions) to what the intake answered.
    assert detail.pop("allowed_actions") == ["accept", "decline", "withdraw"]
    assert detail.pop("may_reveal_contact") is True
    assert {k: v for k, v in detail.items() if k not in case} == {
        "outcome_choices": [],
        "escalation_target": None,
        "may_read_contact_log": False,
        "holder": case["current_organization"],  # 承办: the village committee it was dispatched to
        "agreement": None,
        "confirmation": None,
    }
    assert {k: v for k, v in detail.items() if k in case} == case
    events = (await client.get(f"/api/v1/cases/{case['id']}/events", headers=headers)).json()["items"]
    assert [e["type"] for e in events] == ["case.created", "case.dispatched"]
    assert [e["to_status"] for e in events] == ["pending_dispatch", "dispatched"]


def make_id_number_masked(id_number: str) -> str:
    return id_number[:6] + "*" * 8 + id_number[-4:]


async def test_case_numbers_are_sequential(client, world):
    headers = await login(client, world, "lc_v01")
    refs = []
    for _ in range(3):
        r = await client.post("/api/v1/cases", json=case_body(), headers=headers)
        refs.append(r.json()["reference"])
    numbers = [int(ref.rsplit("-", 1)[1]) for ref in refs]
    assert numbers == [numbers[0], numbers[0] + 1, numbers[0] + 2]
    events = (await client.get(f"/api/v1/cases/{r.json()['id']}/events", headers=headers)).json()["items"]
    assert [e["data"]["reference"] for e in events] == [refs[-1], refs[-1]]  # the audit trail records it


async def test_replays_and_rejected_requests_take_no_case_number(client, world):
    headers = {**await login(client, world, "lc_v01"), "Idempotency-Key": "k-1"}
    first = await client.post("/api/v1/cases", json=case_body(), headers=headers)
    replay = await client.post("/api/v1/cases", json=case_body(), headers=headers)
    rejected = await client.post(
        "/api/v1/cases",
        json=case_body(town_code="LY-LC", village_code="LY-DT-V01"),  # not in that town
        headers={**headers, "Idempotency-Key": "k-2"},
    )
    assert rejected.status_code == 422, rejected.text
    second = await client.post(
        "/api/v1/cases", json=case_body(), headers={**headers, "Idempotency-Key": "k-3"}
    )
    numbers = [int(r.json()["reference"].rsplit("-", 1)[1]) for r in (first, replay, second)]
    assert numbers == [numbers[0], numbers[0], numbers[0] + 1]


@pytest.mark.pg_only
async def test_an_intake_does_not_hold_the_case_number_counter_until_it_commits(
    client, world, app, monkeypatch
):
    """The counter's upsert commits on its own: while one intake is still inside its transaction (paused
    here after taking its number), another transaction can take the next number without waiting."""
    from app.cases import repository

    paused, resume = asyncio.Event(), asyncio.Event()
    insert_new_case = repository.insert_new_case

    async def slow_insert(*args, **kwargs):
        paused.set()
        await resume.wait()
        return await insert_new_case(*args, **kwargs)

    monkeypatch.setattr(repository, "insert_new_case", slow_insert)
    headers = await login(client, world, "lc_v01")
    intake = asyncio.create_task(client.post("/api/v1/cases", json=case_body(), headers=headers))
    await asyncio.wait_for(paused.wait(), 10)
    async with app.state.ctx.engine.connect() as conn:
        await conn.execute(text("SET LOCAL lock_timeout = '2s'"))
        taken = (
            await conn.execute(
                text(
                    "UPDATE case_reference_counters SET last_value = last_value + 1 "
                    "RETURNING prefix || '-' || year || '-' || lpad(last_value::text, 6, '0')"
                )
            )
        ).scalar_one()
        await conn.commit()
    resume.set()
    r = await intake
    assert r.status_code == 201, r.text
    ours, theirs = (int(ref.rsplit("-", 1)[1]) for ref in (r.json()["reference"], taken))
    assert theirs == ours + 1  # taken while the intake was paused, after the intake's own number


@pytest.mark.pg_only
async def test_concurrent_intakes_get_distinct_numbers(client, world, app):
    headers = await login(client, world, "lc_v01")
    responses = await asyncio.gather(
        *[
            client.post("/api/v1/cases", json=case_body(), headers={**headers, "Idempotency-Key": f"c-{i}"})
            for i in range(20)
        ]
    )
    assert {r.status_code for r in responses} == {201}
    numbers = sorted(int(r.json()["reference"].rsplit("-", 1)[1]) for r in responses)
    assert numbers == list(range(numbers[0], numbers[0] + 20))
    assert await count(app, Case) == 20


async def test_personal_data_is_encrypted_at_rest_with_a_blind_index(client, world, app):
    headers = await login(client, world, "lc_v01")
    body = case_body()
    id_number = body["parties"][0]["id_number"]
    r = await client.post("/api/v1/cases", json=body, headers=headers)
    assert r.status_code == 201
    ctx = app.state.ctx
    async with session_scope(ctx.sessionmaker) as s:
        party = (await s.execute(select(Party).where(Party.position == 0))).scalar_one()
    assert id_number not in party.id_number_enc and "13800138000" not in party.phone_enc
    assert ctx.cipher.decrypt(party.id_number_enc, context=b"party.id_number") == id_number
    assert ctx.cipher.decrypt(party.phone_enc, context=b"party.phone") == "13800138000"
    assert party.id_number_bidx == ctx.blind_index.compute(id_number, context=b"party.id_number")


async def test_one_422_names_every_bad_field_and_nothing_is_stored(client, world, app):
    headers = await login(client, world, "lc_v01")
    body = case_body()
    body["parties"][0]["id_number"] = body["parties"][0]["id_number"][:-1] + (
        "0" if body["parties"][0]["id_number"][-1] != "0" else "1"
    )
    body["parties"][0]["phone"] = "12345"
    body["parties"][1]["role"] = "applicant"  # no respondent left
    r = await client.post("/api/v1/cases", json=body, headers={**headers, "Idempotency-Key": "k-bad"})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["status"] == 422 and problem["type"].startswith("https://")
    errors = {(e["field"], e["code"]) for e in problem["errors"]}
    assert ("parties.0.id_number", "id_number.checksum") in errors
    assert ("parties.0.phone", "phone.format") in errors
    assert ("parties", "parties.respondent_missing") in errors
    assert await count(app, Case) == 0
    assert await count(app, Party) == 0
    assert await count(app, IdempotencyKey) == 0


@pytest.mark.parametrize(
    ("patch", "field", "code"),
    [
        ({"category": "alien"}, "category", "category.unknown"),
        ({"claim_amount": "-1"}, "claim_amount", "greater_than_equal"),
        ({"claim_amount": "1.005"}, "claim_amount", "decimal_max_places"),
        ({"summary": "短"}, "summary", "string_too_short"),
        ({"received_at": "2999-01-01T00:00:00+08:00"}, "received_at", "received_at.future"),
        ({"received_at": "2026-01-01T00:00:00"}, "received_at", "datetime.offset_required"),
        ({"risk_level": "extreme"}, "risk_level", "risk_level.unknown"),
        ({"colour": "red"}, "colour", "extra_forbidden"),
        ({"village_code": "LY-DT-V01", "town_code": "LY-LC"}, "village_code", "village_code.not_in_town"),
        ({"town_code": "LY-NOPE"}, "town_code", "town_code.unknown"),
    ],
)
async def test_specific_validation_errors(client, world, app, patch, field, code):
    headers = await login(client, world, "lc_v01")
    r = await client.post("/api/v1/cases", json=case_body(**patch), headers=headers)
    assert r.status_code == 422, r.text
    assert (field, code) in {(e["field"], e["code"]) for e in r.json()["errors"]}
    assert await count(app, Case) == 0


async def test_same_idempotency_key_same_body_returns_the_same_case(client, world, app):
    headers = {**await login(client, world, "lc_v01"), "Idempotency-Key": "draft-123"}
    first = await client.post("/api/v1/cases", json=case_body(), headers=headers)
    again = await client.post("/api/v1/cases", json=case_body(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    other = await client.post(
        "/api/v1/cases", json=case_body(summary="另一个纠纷的摘要内容"), headers=headers
    )
    assert other.status_code == 422
    assert other.json()["errors"][0]["code"] == "idempotency_key.reused"
    assert await count(app, Case) == 1


async def test_idempotency_keys_are_per_principal(client, world, app):
    key = {"Idempotency-Key": "same-key"}
    a = await client.post(
        "/api/v1/cases", json=case_body(), headers={**await login(client, world, "lc_v01"), **key}
    )
    b = await client.post(
        "/api/v1/cases", json=case_body(), headers={**await login(client, world, "lc_v02"), **key}
    )
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]


@pytest.mark.pg_only
async def test_twenty_concurrent_posts_with_one_key_make_one_case(client, world, app):
    headers = {**await login(client, world, "lc_v01"), "Idempotency-Key": "flaky-network-retry"}
    responses = await asyncio.gather(
        *[client.post("/api/v1/cases", json=case_body(), headers=headers) for _ in range(20)]
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.text for r in responses}) == 1
    assert await count(app, Case) == 1
    assert await count(app, CaseEvent) == 2  # created + auto-dispatched


async def test_mediator_of_another_committee_gets_404(client, world):
    mine = await client.post("/api/v1/cases", json=case_body(), headers=await login(client, world, "lc_v01"))
    case_id = mine.json()["id"]
    other = await login(client, world, "dt_v01")
    r = await client.get(f"/api/v1/cases/{case_id}", headers=other)
    assert r.status_code == 404
    assert (await client.get(f"/api/v1/cases/{case_id}/events", headers=other)).status_code == 404
    assert (await client.get("/api/v1/cases", headers=other)).json()["items"] == []
    # The town's justice office sees it; another town's does not; the city bureau does.
    assert (
        await client.get(f"/api/v1/cases/{case_id}", headers=await login(client, world, "lc_sfs"))
    ).status_code == 200
    assert (
        await client.get(f"/api/v1/cases/{case_id}", headers=await login(client, world, "dt_sfs"))
    ).status_code == 404
    assert (
        await client.get(f"/api/v1/cases/{case_id}", headers=await login(client, world, "bureau"))
    ).status_code == 200


async def test_supervisors_cannot_register_cases(client, world):
    r = await client.post("/api/v1/cases", json=case_body(), headers=await login(client, world, "lc_sfs"))
    assert r.status_code in (403, 404)


async def test_town_and_cross_village_location(client, world):
    headers = await login(client, world, "lc_stn")
    body = case_body(village_code="LY-LC-V02")
    body["parties"][1]["village_code"] = "LY-LC-V03"
    r = await client.post("/api/v1/cases", json=body, headers=headers)
    assert r.status_code == 201, r.text
    assert r.json()["town"]["code"] == "LY-LC" and r.json()["village"]["code"] == "LY-LC-V02"
    # A city-wide body must say where the dispute arose.
    r = await client.post("/api/v1/cases", json=case_body(), headers=await login(client, world, "cc"))
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "town_code"


async def test_list_cases_keyset_pagination(client, world):
    headers = await login(client, world, "lc_v01")
    ids = []
    for day in range(1, 6):
        r = await client.post(
            "/api/v1/cases", json=case_body(received_at=f"2026-11-0{day}T09:00:00+08:00"), headers=headers
        )
        ids.append(r.json()["id"])
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/cases", params=params, headers=headers)).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))
    bad = await client.get("/api/v1/cases", params={"cursor": "garbage!"}, headers=headers)
    assert bad.status_code == 400 and bad.json()["code"] == "cursor.invalid"
