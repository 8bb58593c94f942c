"""The supervisors' workspace API: tiles, chart series, the dispatch queue and the Excel exports, each
counting only the caller's scope."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import openpyxl
import pytest

from app.calendar.service import forget_cached_calendar
from app.calendar.workdays import SHANGHAI
from app.db import utcnow
from app.routing.engine import CATEGORIES
from tests.sla_support import pending_case, restart, run_sweep
from tests.support import act, case_body, login


@pytest.fixture(autouse=True)
def _fresh_calendar():
    forget_cached_calendar()
    yield
    forget_cached_calendar()


async def some_cases(client, world, app):
    """Two pending cases in LY-LC (one breached), one in LY-DT, one auto-dispatched in LY-LC."""
    lc = [await pending_case(client, world, app) for _ in range(2)]
    await restart(app, lc[0]["id"], utcnow() - timedelta(days=12))
    await run_sweep(app, utcnow())
    dt = await client.post(
        "/api/v1/cases", json=case_body(category="labour"), headers=await login(client, world, "dt_v01")
    )
    assert dt.status_code == 201
    auto = await client.post("/api/v1/cases", json=case_body(), headers=await login(client, world, "lc_v02"))
    assert auto.status_code == 201
    return lc, dt.json(), auto.json()


async def test_tiles_and_charts_count_only_the_callers_scope(client, world, app):
    _lc, dt, _auto = await some_cases(client, world, app)
    lc_sfs = await login(client, world, "lc_sfs")
    bureau = await login(client, world, "bureau")

    town = (await client.get("/api/v1/workspace/overview", headers=lc_sfs)).json()
    assert town["scope"]["code"] == "LY-LC"
    assert town["pending"] == 2 and town["due_today"] == 1
    dispatch = town["clocks"][0]
    assert dispatch["clock"] == "dispatch" and dispatch["open_breaches"] == 1
    assert [c["clock"] for c in town["clocks"]] == ["dispatch", "acceptance", "mediation"]
    for tiles in town["clocks"]:  # the same counts as the SLA lists
        at_risk = await client.get("/api/v1/sla/at-risk", params={"clock": tiles["clock"]}, headers=lc_sfs)
        assert tiles["at_risk"] == len(at_risk.json()["items"]), tiles
        late = await client.get(
            "/api/v1/sla/breaches", params={"clock": tiles["clock"], "state": "open"}, headers=lc_sfs
        )
        assert tiles["open_breaches"] == len(late.json()["items"]), tiles
    city = (await client.get("/api/v1/workspace/overview", headers=bureau)).json()
    assert city["scope"]["name"] == "全市"
    assert city["pending"] == town["pending"] + (1 if dt["status"] == "pending_dispatch" else 0)

    daily = (await client.get("/api/v1/workspace/charts/daily", headers=lc_sfs)).json()
    assert len(daily["days"]) == 90 and sum(daily["registrations"]) == 3
    assert daily["days"][-1] == utcnow().astimezone(SHANGHAI).date().isoformat()
    city_daily = (await client.get("/api/v1/workspace/charts/daily", headers=bureau)).json()
    assert sum(city_daily["registrations"]) == 4

    categories = (await client.get("/api/v1/workspace/charts/categories", headers=lc_sfs)).json()
    assert categories["items"] == [{"code": "neighbour", "name": CATEGORIES["neighbour"], "count": 3}]
    places = (await client.get("/api/v1/workspace/charts/open-cases", headers=lc_sfs)).json()["items"]
    assert {p["name"]: p["count"] for p in places}["待分派"] == 2 and sum(p["count"] for p in places) == 3
    towns = (await client.get("/api/v1/workspace/charts/open-cases", headers=bureau)).json()["items"]
    assert {p["code"] for p in towns} == {"LY-LC", "LY-DT"}
    weekly = (await client.get("/api/v1/workspace/charts/on-time-weekly", headers=lc_sfs)).json()
    assert len(weekly["weeks"]) == 13
    summary = (
        await client.get(
            "/api/v1/sla/summary",
            params={"clock": "dispatch", "from": weekly["weeks"][0], "to": daily["days"][-1]},
            headers=lc_sfs,
        )
    ).json()["totals"]
    assert sum(weekly["numerators"]) == summary["met"]
    assert sum(weekly["denominators"]) == summary["met"] + summary["missed"] >= 1  # the breached clock

    r = await client.get("/api/v1/workspace/overview", headers=await login(client, world, "lc_v02"))
    assert r.status_code == 403


async def test_the_queue_offers_only_the_targets_the_supervisor_may_choose(client, world, app):
    lc, _dt, _auto = await some_cases(client, world, app)
    lc_sfs = await login(client, world, "lc_sfs")
    queue = (await client.get("/api/v1/workspace/queue", headers=lc_sfs)).json()
    assert [i["reference"] for i in queue["items"]] == [lc[0]["reference"], lc[1]["reference"]]  # due first
    first = queue["items"][0]
    assert first["late"] is True and first["explanation"] and first["town"]["code"] == "LY-LC"
    codes = {t["code"] for t in queue["targets"]}
    assert "LY-LC-STN" in codes and "LY-CC" in codes
    assert not any(c.startswith("LY-DT") for c in codes)
    assert all(t["code"] in codes for i in queue["items"] for t in i["qualifying"])

    target = first["suggested"] or first["qualifying"][0] if first["qualifying"] else {"code": "LY-LC-STN"}
    r = await client.post(
        f"/api/v1/cases/{first['case_id']}/dispatch",
        json={"organization_code": target["code"], "version": first["version"]},
        headers=lc_sfs,
    )
    assert r.status_code == 200, r.text
    after = (await client.get("/api/v1/workspace/queue", headers=lc_sfs)).json()
    assert [i["reference"] for i in after["items"]] == [lc[1]["reference"]]


async def test_breaches_export_to_xlsx_with_the_apis_rows(client, world, app):
    cases = [await pending_case(client, world, app) for _ in range(3)]
    for n, c in enumerate(cases):
        await restart(app, c["id"], datetime(2026, 1, 5 + n, 10, tzinfo=SHANGHAI))
    await run_sweep(app, utcnow())
    bureau = await login(client, world, "bureau")
    current = (await client.get(f"/api/v1/cases/{cases[0]['id']}", headers=bureau)).json()
    r = await act(client, bureau, current, "dispatch", organization_code="LY-LC-STN")  # closes its breach
    assert r.status_code == 200
    api = (await client.get("/api/v1/sla/breaches", headers=bureau)).json()["items"]
    r = await client.get("/api/v1/workspace/breaches.xlsx", headers=bureau)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("案件编号", "期限类型", "镇（街道）")
    assert sheet.freeze_panes == "A2"
    assert [row[0] for row in rows[1:]] == [b["reference"] for b in api]
    due = rows[1][8]
    assert isinstance(due, datetime)
    assert due == datetime.fromisoformat(api[0]["due_at"]).astimezone(SHANGHAI).replace(tzinfo=None)
    assert (
        rows[1][1] == "分派期限" and rows[1][10] == "未结" and isinstance(rows[1][12], (int, float))
    )  # a number, not text
    closed = rows[-1]  # the earliest due, dispatched late
    assert closed[10] == "已结" and isinstance(closed[11], datetime)
    assert isinstance(closed[12], (int, float)) and closed[12] > 24

    dt = await client.get("/api/v1/workspace/breaches.xlsx", headers=await login(client, world, "dt_sfs"))
    assert len(list(openpyxl.load_workbook(io.BytesIO(dt.content)).active.iter_rows())) == 1  # header only


async def test_on_time_rates_with_previous_period_and_last_year(client, world, app):
    await some_cases(client, world, app)
    today = utcnow().astimezone(SHANGHAI).date()
    bureau = await login(client, world, "bureau")
    params = {"start": (today - timedelta(days=29)).isoformat(), "end": today.isoformat()}
    report = (await client.get("/api/v1/workspace/on-time", params=params, headers=bureau)).json()
    assert report["previous_end"] == (today - timedelta(days=30)).isoformat()
    assert report["last_year_start"][:4] == str(today.year - 1)
    totals = report["totals"]
    assert totals["missed"] >= 1  # the breached dispatch clock, still running
    assert totals["rate"] == round(totals["met"] / (totals["met"] + totals["missed"]), 4)
    assert totals["previous_rate"] is None and totals["previous_change"] is None
    r = await client.get("/api/v1/workspace/on-time", params={**params, "format": "xlsx"}, headers=bureau)
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][5] == "按时率" and rows[-1][0] == "合计" and rows[-1][5] == totals["rate"]
    bad = await client.get(
        "/api/v1/workspace/on-time", params={"start": params["end"], "end": params["start"]}, headers=bureau
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "end"
