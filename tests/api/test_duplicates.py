"""Possible duplicates: a party's ID number in an open case of the last 90 days asks 仍然登记？ (409) and
stores nothing; confirming registers it; an idempotent resend replays and never asks."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from app.calendar.workdays import SHANGHAI
from app.db import session_scope
from app.models import Case, CaseReferenceCounter
from tests.support import act, case_body, login, person


async def count_cases(app) -> tuple[int, int | None]:
    async with session_scope(app.state.ctx.sessionmaker) as s:
        cases = (await s.execute(select(func.count()).select_from(Case))).scalar_one()
        counter = (await s.execute(select(func.max(CaseReferenceCounter.last_value)))).scalar_one()
    return cases, counter


async def test_a_possible_duplicate_asks_first_and_registers_on_confirmation(client, world, app):
    v01 = await login(client, world, "lc_v01")
    first = await client.post("/api/v1/cases", json=case_body(confirm_duplicate=False), headers=v01)
    assert first.status_code == 201
    before = await count_cases(app)

    # Another committee registers a dispute naming the same respondent (by ID number), among new people.
    body = case_body(confirm_duplicate=False)
    body["parties"] = [person("applicant", "王五", 7), case_body()["parties"][1]]
    stn = await login(client, world, "lc_stn")
    r = await client.post("/api/v1/cases", json=body, headers=stn)
    assert r.status_code == 409, r.text
    problem = r.json()
    assert problem["code"] == "case.possible_duplicate"
    assert problem["duplicates"] == [
        {"reference": first.json()["reference"], "status": "dispatched", "status_label": "已分派"}
    ]
    assert await count_cases(app) == before  # nothing stored, no case number taken

    r = await client.post("/api/v1/cases", json={**body, "confirm_duplicate": True}, headers=stn)
    assert r.status_code == 201, r.text


async def test_only_open_cases_of_the_last_90_days_count(client, world):
    v01 = await login(client, world, "lc_v01")
    old = (datetime.now(SHANGHAI) - timedelta(days=91)).isoformat()
    assert (
        await client.post("/api/v1/cases", json=case_body(received_at=old), headers=v01)
    ).status_code == 201
    r = await client.post("/api/v1/cases", json=case_body(confirm_duplicate=False), headers=v01)
    assert r.status_code == 201  # the only other case was received 91 days ago
    r = await act(client, v01, r.json(), "withdraw", reason="申请人撤回申请")
    assert r.json()["status"] == "resolved"
    r = await client.post("/api/v1/cases", json=case_body(confirm_duplicate=False), headers=v01)
    assert r.status_code == 201  # a withdrawn case is not open
    r = await client.post("/api/v1/cases", json=case_body(confirm_duplicate=False), headers=v01)
    assert r.status_code == 409  # but the one just registered is


async def test_an_idempotent_resend_replays_and_never_asks(client, world):
    v01 = await login(client, world, "lc_v01")
    headers = {**v01, "Idempotency-Key": "offline-submit-1"}
    body = case_body(confirm_duplicate=False)
    first = await client.post("/api/v1/cases", json=body, headers=headers)
    assert first.status_code == 201
    again = await client.post("/api/v1/cases", json=body, headers=headers)
    assert again.status_code == 201 and again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true"
