"""The dispatch clock: sweep, breaches, late dispatch, at-risk, summary, CSV, calendar loading."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.calendar.service import forget_cached_calendar
from app.calendar.workdays import SHANGHAI, WorkCalendar
from app.db import session_scope, utcnow
from app.models import SlaClock
from tests.sla_support import fresh, pending_case, restart, run_sweep
from tests.support import act, login


@pytest.fixture(autouse=True)
def _fresh_calendar():
    forget_cached_calendar()
    yield
    forget_cached_calendar()


async def backdate(app, case_id, started: datetime) -> datetime:
    return await restart(app, str(case_id), started)


async def breach_count(app) -> int:
    async with session_scope(app.state.ctx.sessionmaker) as s:
        stmt = select(func.count()).select_from(SlaClock).where(SlaClock.breached_at.is_not(None))
        return int((await s.execute(stmt)).scalar_one())


async def test_sweep_records_each_breach_once_and_a_late_dispatch_closes_it(client, world, app):
    case = await pending_case(client, world, app)
    started = datetime(2025, 9, 30, 10, 0, tzinfo=SHANGHAI)
    due = await backdate(app, uuid.UUID(case["id"]), started)
    assert due == datetime(2025, 10, 12, 0, 0, tzinfo=SHANGHAI)  # Oct 9, 10 and the make-up Saturday Oct 11

    assert (await run_sweep(app, due - timedelta(minutes=1))).breaches_recorded == 0
    first = await run_sweep(app, due + timedelta(minutes=1))
    assert first.breaches_recorded == 1 and first.by_kind == {"dispatch": 1}
    assert (await run_sweep(app, due + timedelta(hours=5))).breaches_recorded == 0
    assert await breach_count(app) == 1

    bureau = await login(client, world, "bureau")
    page = (await client.get("/api/v1/sla/breaches", headers=bureau)).json()
    assert page["clock"] == "dispatch" and len(page["items"]) == 1
    item = page["items"][0]
    assert item["reference"] == case["reference"] and item["breached"] is True and item["stopped_at"] is None
    assert item["due_at"] == "2025-10-12T00:00:00+08:00" and item["town"] == {
        "code": "LY-LC",
        "name": "溧城街道",
    }
    assert item["clock_label"] == "分派期限" and item["status_label"] == "待分派" and item["holder"] is None
    assert item["lateness_seconds"] > 365 * 86400 and item["rule_version"] == 1

    current = await fresh(client, world, case)
    assert current["breach"]["open"] is True
    r = await act(
        client, await login(client, world, "lc_sfs"), current, "dispatch", organization_code="LY-LC-STN"
    )
    assert r.status_code == 200, r.text
    breach = r.json()["breach"]
    assert breach["open"] is False and breach["lateness_hours"] > 24 * 365
    assert breach["lateness_working_days"] > 200
    assert await breach_count(app) == 1
    closed = (await client.get("/api/v1/sla/breaches", params={"status": "closed"}, headers=bureau)).json()
    assert [b["reference"] for b in closed["items"]] == [case["reference"]]
    assert closed["items"][0]["stopped_by"] == "dispatched"
    assert (await client.get("/api/v1/sla/breaches", params={"status": "open"}, headers=bureau)).json()[
        "items"
    ] == []


async def test_late_dispatch_without_a_sweep_still_records_the_breach(client, world, app):
    case = await pending_case(client, world, app)
    await backdate(app, uuid.UUID(case["id"]), utcnow() - timedelta(days=10))
    current = await fresh(client, world, case)
    r = await act(
        client, await login(client, world, "bureau"), current, "dispatch", organization_code="LY-LC-STN"
    )
    assert r.status_code == 200
    assert r.json()["breach"]["open"] is False
    assert await breach_count(app) == 1
    # A sweep afterwards adds nothing: the clock is stopped and its breach already recorded.
    assert (await run_sweep(app, utcnow())).breaches_recorded == 0


async def test_lateness_counts_working_days_after_the_due_day():
    from app.sla.clock import lateness

    due = datetime(2025, 10, 12, 0, 0, tzinfo=SHANGHAI)
    calendar = WorkCalendar()
    assert lateness(due, datetime(2025, 10, 12, 9, 0, tzinfo=SHANGHAI), calendar) == (9 * 3600, 0)  # Sunday
    assert lateness(due, datetime(2025, 10, 13, 9, 0, tzinfo=SHANGHAI), calendar)[1] == 1  # Monday


@pytest.mark.pg_only
async def test_three_sweeps_at_once_record_each_breach_once(client, world, app):
    cases = [await pending_case(client, world, app) for _ in range(5)]
    for c in cases:
        await backdate(app, uuid.UUID(c["id"]), utcnow() - timedelta(days=12))
    results = await asyncio.gather(*[run_sweep(app, utcnow()) for _ in range(3)])
    assert sum(r.breaches_recorded for r in results) == 5
    assert await breach_count(app) == 5
    assert (
        sum(r.breaches_recorded for r in await asyncio.gather(*[run_sweep(app, utcnow()) for _ in range(3)]))
        == 0
    )


async def test_breach_pages_follow_the_cursor_in_both_sorts(client, world, app):
    cases = [await pending_case(client, world, app) for _ in range(3)]
    for days, c in zip((20, 10, 30), cases, strict=True):
        await backdate(app, uuid.UUID(c["id"]), utcnow() - timedelta(days=days))
    await run_sweep(app, utcnow())
    bureau = await login(client, world, "bureau")
    runs = [
        ("due", None, [cases[1], cases[0], cases[2]]),
        ("lateness", None, [cases[2], cases[0], cases[1]]),
        ("lateness", "open", [cases[2], cases[0], cases[1]]),
    ]
    for sort, status, expected in runs:
        seen, cursor = [], None
        while True:
            params = {"sort": sort, "limit": 2, **({"cursor": cursor} if cursor else {})}
            params |= {"status": status} if status else {}
            page = (await client.get("/api/v1/sla/breaches", params=params, headers=bureau)).json()
            seen += [i["reference"] for i in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == [c["reference"] for c in expected], sort


async def test_at_risk_lists_clocks_due_today_or_next_working_day(client, world, app):
    from tests.sla_support import set_due

    soon = await pending_case(client, world, app)
    later = await pending_case(client, world, app)
    now = utcnow()
    await set_due(app, soon["id"], now + timedelta(hours=3))
    await set_due(app, later["id"], now + timedelta(days=9))
    r = await client.get("/api/v1/sla/at-risk", headers=await login(client, world, "lc_sfs"))
    assert r.status_code == 200
    body = r.json()
    assert [c["reference"] for c in body["items"]] == [soon["reference"]]
    assert body["items"][0]["clock"] == "dispatch" and body["items"][0]["breached"] is False
    other_town = await client.get("/api/v1/sla/at-risk", headers=await login(client, world, "dt_sfs"))
    assert other_town.json()["items"] == []


async def test_breaches_csv_opens_in_excel_in_chinese(client, world, app):
    case = await pending_case(client, world, app)
    await backdate(app, uuid.UUID(case["id"]), datetime(2025, 9, 30, 10, 0, tzinfo=SHANGHAI))
    await run_sweep(app, utcnow())
    r = await client.get(
        "/api/v1/sla/breaches", params={"format": "csv"}, headers=await login(client, world, "lc_sfs")
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    header, row = rows[0], dict(zip(rows[0], rows[1], strict=True))
    assert header[0] == "案件编号" and row["案件编号"] == case["reference"] and row["镇(街道)"] == "溧城街道"
    assert row["期限"] == "2025-10-11 24:00"  # 24:00 of the due day, as the pages write it
    assert row["期限类型"] == "分派期限" and row["案件状态"] == "待分派" and row["纠纷类型"] == "邻里纠纷"
    assert row["当事人"] == "张*、李*" and "宅基地" in row["案情摘要"] and row["是否超期"] == "是"
    assert "受理时间" in header


async def test_sla_queries_are_for_supervisors_and_scoped_to_their_town(client, world, app):
    case = await pending_case(client, world, app)
    await backdate(app, uuid.UUID(case["id"]), utcnow() - timedelta(days=10))
    await run_sweep(app, utcnow())
    assert (
        await client.get("/api/v1/sla/breaches", headers=await login(client, world, "lc_v01"))
    ).status_code == 403
    mine = await client.get("/api/v1/sla/breaches", headers=await login(client, world, "lc_sfs"))
    assert len(mine.json()["items"]) == 1
    assert (await client.get("/api/v1/sla/breaches", headers=await login(client, world, "dt_sfs"))).json()[
        "items"
    ] == []
    filtered = await client.get(
        "/api/v1/sla/breaches", params={"town": "LY-DT"}, headers=await login(client, world, "bureau")
    )
    assert filtered.json()["items"] == []


async def test_calendar_days_and_due(client, world):
    headers = await login(client, world, "lc_v01")
    day = (await client.get("/api/v1/calendar/days/2025-10-11", headers=headers)).json()
    assert day == {
        "date": "2025-10-11",
        "working_day": True,
        "kind": "makeup_workday",
        "name": day["name"],
        "provisional": False,
    }
    holiday = (await client.get("/api/v1/calendar/days/2025-10-01", headers=headers)).json()
    assert holiday["kind"] == "holiday" and holiday["name"] == "国庆节"
    due = (
        await client.get(
            "/api/v1/calendar/due", params={"start": "2025-09-30T10:00:00+08:00"}, headers=headers
        )
    ).json()
    assert due["due_at"] == "2025-10-12T00:00:00+08:00" and due["due_date"] == "2025-10-11"
    assert (await client.get("/api/v1/calendar/days/2031-03-03", headers=headers)).json()[
        "provisional"
    ] is True
    bad = await client.get("/api/v1/calendar/due", params={"start": "2025-09-30T10:00:00"}, headers=headers)
    assert bad.status_code == 422


async def test_loading_next_years_schedule_recomputes_provisional_deadlines(client, world, app):
    import uuid

    next_year = max(y for y in range(2024, 2040) if WorkCalendar().year_is_official(y)) + 1
    case = await pending_case(client, world, app)
    started = datetime(next_year - 1, 12, 31, 10, 0, tzinfo=SHANGHAI)
    before = await backdate(app, uuid.UUID(case["id"]), started)
    headers = await login(client, world, "bureau")
    assert (await client.get(f"/api/v1/cases/{case['id']}", headers=headers)).json()[
        "dispatch_due_provisional"
    ] is True
    schedule = {
        "year": next_year,
        "notice": "国务院办公厅关于部分节假日安排的通知（测试）",
        "holidays": [{"date": f"{next_year}-01-0{d}", "name": "元旦"} for d in range(1, 6)],
        "makeup_workdays": [],
    }
    admin = await login(client, world, "admin")
    assert (
        await client.put(f"/api/v1/calendar/years/{next_year}", json=schedule, headers=headers)
    ).status_code == 403
    r = await client.put(f"/api/v1/calendar/years/{next_year}", json=schedule, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["deadlines_recomputed"] == 1
    after = (await client.get(f"/api/v1/cases/{case['id']}", headers=headers)).json()
    assert after["dispatch_due_provisional"] is False
    assert datetime.fromisoformat(after["dispatch_due_at"]) > before
    day = (await client.get(f"/api/v1/calendar/days/{next_year}-01-05", headers=headers)).json()
    assert day["kind"] == "holiday" and day["provisional"] is False
    wrong = await client.put(
        f"/api/v1/calendar/years/{next_year}", json={**schedule, "year": next_year + 1}, headers=admin
    )
    assert wrong.status_code == 422


async def test_case_numbers_go_past_999999_without_being_cut(client, world, app):
    """A province registers about a million disputes a year: the number widens, it is never truncated."""
    from sqlalchemy import update

    from app.models import CaseReferenceCounter
    from tests.support import case_body

    first = await client.post("/api/v1/cases", json=case_body(), headers=await login(client, world, "lc_v01"))
    prefix, year, _ = first.json()["reference"].split("-")
    async with session_scope(app.state.ctx.sessionmaker) as s:
        await s.execute(
            update(CaseReferenceCounter)
            .where(CaseReferenceCounter.prefix == prefix, CaseReferenceCounter.year == int(year))
            .values(last_value=999_999)
        )
    r = await client.post("/api/v1/cases", json=case_body(), headers=await login(client, world, "lc_v01"))
    assert r.status_code == 201, r.text
    assert r.json()["reference"] == f"{prefix}-{year}-1000000"
