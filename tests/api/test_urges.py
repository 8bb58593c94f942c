"""督办: recorded only on a case whose clock is at risk or breached, by a supervisor in scope; answered by
the organization holding the case, which closes it; an audit event each time, the case's version kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from app.calendar.service import forget_cached_calendar
from app.calendar.workdays import SHANGHAI
from app.db import session_scope, utcnow
from app.models import Urge
from tests.sla_support import dispatched_case, pending_case, restart, run_sweep, set_due
from tests.support import login


@pytest.fixture(autouse=True)
def _fresh_calendar():
    forget_cached_calendar()
    yield
    forget_cached_calendar()


def today():
    return utcnow().astimezone(SHANGHAI).date()


async def breached_case(client, world, app):
    case = await pending_case(client, world, app)
    await restart(app, case["id"], utcnow() - timedelta(days=12))
    await run_sweep(app, utcnow())
    return case


async def late_acceptance_case(client, world, app):
    """Auto-dispatched to the village committee LY-LC-V01, which let its acceptance clock run out."""
    case = await dispatched_case(client, world)
    await set_due(app, case["id"], utcnow() - timedelta(hours=1))
    await run_sweep(app, utcnow())
    return case


async def urge(client, headers, case, **body):
    body.setdefault("note", "请尽快分派并报告原因。")
    return await client.post(f"/api/v1/cases/{case['id']}/urges", json=body, headers=headers)


async def test_the_bureau_urges_a_breached_case_and_the_town_office_answers(client, world, app):
    case = await breached_case(client, world, app)
    bureau = await login(client, world, "bureau")
    lc_sfs = await login(client, world, "lc_sfs")
    report_by = (utcnow() + timedelta(days=3)).date().isoformat()

    r = await urge(client, bureau, case, report_back_by=report_by)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["holder"]["code"] == "LY-LC-SFS"  # waiting for dispatch: the town's justice office holds it
    assert (made["status"], made["status_label"], made["clock"], made["clock_label"]) == (
        "open",
        "待答复",
        "dispatch",
        "分派期限",
    )
    assert made["report_back_by"] == report_by and made["created_by"]["code"] == "LY"

    # An audit event that keeps the case's version: the holder's page stays valid.
    after = (await client.get(f"/api/v1/cases/{case['id']}", headers=bureau)).json()
    assert after["version"] == case["version"]
    events = (await client.get(f"/api/v1/cases/{case['id']}/events", headers=bureau)).json()["items"]
    urged = [e for e in events if e["type"] == "case.urged"]
    assert len(urged) == 1 and urged[0]["reason"] == "请尽快分派并报告原因。"

    inbox = (await client.get("/api/v1/urges", params={"status": "open"}, headers=lc_sfs)).json()
    assert [u["id"] for u in inbox["items"]] == [made["id"]]
    dt = (await client.get("/api/v1/urges", headers=await login(client, world, "dt_sfs"))).json()
    assert dt["items"] == []

    r = await client.post(f"/api/v1/urges/{made['id']}/answer", json={"note": "已分派。"}, headers=bureau)
    assert r.status_code == 403 and r.json()["code"] == "action_not_permitted"  # not addressed to it
    r = await client.post(f"/api/v1/urges/{made['id']}/answer", json={"note": "今日分派。"}, headers=lc_sfs)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "answered" and r.json()["answer_note"] == "今日分派。"
    again = await client.post(f"/api/v1/urges/{made['id']}/answer", json={"note": "再答"}, headers=lc_sfs)
    assert again.status_code == 409 and again.json()["code"] == "urge.answered"

    assert (await client.get("/api/v1/urges", params={"status": "open"}, headers=bureau)).json()[
        "items"
    ] == []
    answered = (await client.get("/api/v1/urges", params={"status": "answered"}, headers=bureau)).json()
    assert [u["id"] for u in answered["items"]] == [made["id"]]
    events = (await client.get(f"/api/v1/cases/{case['id']}/events", headers=bureau)).json()["items"]
    assert [e["type"] for e in events].count("case.urge_answered") == 1
    history = (await client.get(f"/api/v1/cases/{case['id']}/urges", headers=lc_sfs)).json()
    assert [u["status"] for u in history] == ["answered"]


async def test_a_town_office_urges_the_committee_holding_a_late_case(client, world, app):
    case = await late_acceptance_case(client, world, app)
    lc_sfs = await login(client, world, "lc_sfs")
    r = await urge(client, lc_sfs, case, note="受理已超期，请今日受理。")
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["holder"]["code"] == "LY-LC-V01" and made["created_by"]["code"] == "LY-LC-SFS"
    assert (made["clock"], made["clock_label"]) == ("acceptance", "受理期限")

    station = await login(client, world, "lc_v01")
    inbox = (await client.get("/api/v1/urges", headers=station)).json()
    assert [u["id"] for u in inbox["items"]] == [made["id"]]
    other = await login(client, world, "dt_stn")
    r = await client.post(f"/api/v1/urges/{made['id']}/answer", json={"note": "收到"}, headers=other)
    assert r.status_code == 404  # another town's station does not see it
    r = await client.post(f"/api/v1/urges/{made['id']}/answer", json={"note": "已受理。"}, headers=station)
    assert r.status_code == 200 and r.json()["status"] == "answered"


async def test_overdue_is_open_past_the_report_back_day(client, world, app):
    case = await breached_case(client, world, app)
    bureau = await login(client, world, "bureau")
    r = await urge(client, bureau, case, report_back_by=today().isoformat())
    assert r.status_code == 201, r.text
    made = r.json()
    assert (await client.get("/api/v1/urges", params={"status": "overdue"}, headers=bureau)).json()[
        "items"
    ] == []
    async with session_scope(app.state.ctx.sessionmaker) as s:
        yesterday = (utcnow() - timedelta(days=2)).date()
        await s.execute(update(Urge).where(Urge.id == made["id"]).values(report_back_by=yesterday))
    overdue = (await client.get("/api/v1/urges", params={"status": "overdue"}, headers=bureau)).json()
    assert [(u["id"], u["status_label"]) for u in overdue["items"]] == [(made["id"], "逾期未答复")]
    still_open = (await client.get("/api/v1/urges", params={"status": "open"}, headers=bureau)).json()
    assert [u["status"] for u in still_open["items"]] == ["overdue"]


async def test_refusals(client, world, app):
    bureau = await login(client, world, "bureau")
    # A case whose clock is neither at risk nor breached: no 督办.
    fresh = await pending_case(client, world, app)
    await restart(app, fresh["id"], utcnow())  # due at the end of the third working day
    r = await urge(client, bureau, fresh)
    assert r.status_code == 409 and r.json()["code"] == "urge.not_due"

    case = await breached_case(client, world, app)
    r = await urge(client, await login(client, world, "dt_sfs"), case)
    assert r.status_code == 404  # another town's case does not exist for it
    r = await urge(client, await login(client, world, "lc_v02"), case)
    assert r.status_code == 403 and r.json()["code"] == "role_required"
    r = await urge(client, await login(client, world, "lc_sfs"), case)
    assert r.status_code == 409 and r.json()["code"] == "urge.own_organization"
    r = await urge(client, bureau, case, report_back_by=(utcnow() - timedelta(days=2)).date().isoformat())
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "report_back_by"
    r = await urge(client, bureau, case, note="")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "note"
    r = await client.get("/api/v1/urges", params={"status": "lost"}, headers=bureau)
    assert r.status_code == 422
    r = await client.get(f"/api/v1/cases/{case['id']}/urges", headers=await login(client, world, "dt_sfs"))
    assert r.status_code == 404
