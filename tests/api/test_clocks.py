"""Acceptance and mediation clocks beside the dispatch clock: real calendars, the extension, a decline,
honest rates with their numerators and denominators, the rules as data, concurrent sweeps per kind."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from datetime import date, datetime, timedelta

import pytest

from app.calendar.service import forget_cached_calendar
from app.calendar.workdays import SHANGHAI, WorkCalendar
from app.db import session_scope, utcnow
from app.models import Case, ClockKind
from app.sla import service
from app.sla.clock import open_clock
from app.sla.rules import DEFAULT_RULES, ClockRules
from tests.sla_support import (
    clocks_of,
    dispatched_case,
    fresh,
    mediating_case,
    pending_case,
    restart,
    run_sweep,
    running,
    set_due,
)
from tests.support import act, login

RULES = ClockRules(1, DEFAULT_RULES)


@pytest.fixture(autouse=True)
def _fresh_calendar():
    forget_cached_calendar()
    yield
    forget_cached_calendar()


def _case(**kw) -> Case:
    return Case(id=uuid.uuid4(), town_org_id=1, category="neighbour", **kw)


class _Org:
    def __init__(self, tier: str, channel: str | None = None) -> None:
        self.id, self.tier, self.channel = 7, tier, channel


def at(y: int, m: int, d: int, h: int = 10) -> datetime:
    return datetime(y, m, d, h, 0, tzinfo=SHANGHAI)


def midnight(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 0, 0, tzinfo=SHANGHAI)


# --- the due times, on the real calendar -------------------------------------------------------------------


def test_acceptance_over_a_weekend_is_due_at_the_end_of_monday():
    clock = open_clock(
        ClockKind.ACCEPTANCE, _case(), at(2025, 11, 28, 16), WorkCalendar(), RULES, _Org("village")
    )
    assert clock.due_at == midnight(2025, 12, 2)  # Friday's dispatch: Monday Dec 1, 24:00
    assert clock.unit == "working_days" and clock.length_days == 1 and clock.rule_version == 1


def test_acceptance_over_a_makeup_saturday_is_due_that_saturday():
    clock = open_clock(
        ClockKind.ACCEPTANCE, _case(), at(2025, 10, 10, 16), WorkCalendar(), RULES, _Org("town")
    )
    assert clock.due_at == midnight(2025, 10, 12)  # Sat Oct 11, 2025 is a make-up working day (调休)


def test_mediation_over_spring_festival_counts_the_holidays():
    accepted = at(2026, 2, 10)
    clock = open_clock(ClockKind.MEDIATION, _case(), accepted, WorkCalendar(), RULES, _Org("village"))
    assert clock.due_at == midnight(2026, 3, 13)  # Feb 10 + 30 calendar days = Mar 12, 24:00
    assert clock.unit == "calendar_days" and clock.calendar_version is None and not clock.due_provisional
    # In working days the Spring Festival holiday (Feb 15-23) would have pushed it well past that.
    assert WorkCalendar().due(accepted, 30).due_at > midnight(2026, 3, 20)


def test_administrative_review_and_court_mediation_have_their_own_rules():
    review = open_clock(
        ClockKind.MEDIATION,
        _case(),
        at(2026, 1, 5),
        WorkCalendar(),
        RULES,
        _Org("city_center", "administrative_review"),
    )
    assert review.due_at == midnight(2026, 3, 7) and review.extension_max_days == 30  # 60 days: Mar 6, 24:00
    court = open_clock(ClockKind.MEDIATION, _case(), at(2026, 1, 5), WorkCalendar(), RULES, _Org("court"))
    assert court.length_days == 30 and court.extension_max_days == 30


# --- the clocks through the lifecycle ----------------------------------------------------------------------


async def test_each_transition_starts_and_stops_the_right_clock(client, world, app):
    case = await dispatched_case(client, world)
    dispatch, acceptance = await clocks_of(app, case["id"])
    assert (dispatch.kind, dispatch.stopped_by, dispatch.breached_at) == ("dispatch", "dispatched", None)
    assert acceptance.kind == "acceptance" and acceptance.stopped_at is None
    holder = world.orgs["LY-LC-V01"]
    assert acceptance.organization_id == holder and acceptance.started_at == dispatch.stopped_at

    case = (await act(client, await login(client, world, "lc_v01"), case, "accept")).json()
    clocks = await clocks_of(app, case["id"])
    assert [c.kind for c in clocks] == ["dispatch", "acceptance", "mediation"]
    assert clocks[1].stopped_by == "accepted" and clocks[2].stopped_at is None
    accepted_day = clocks[2].started_at.astimezone(SHANGHAI).date()
    assert clocks[2].due_at == datetime.combine(
        accepted_day + timedelta(days=31), datetime.min.time(), SHANGHAI
    )

    r = await act(
        client,
        await login(client, world, "lc_v01"),
        case,
        "outcome",
        outcome="settled",
        agreement_type="oral",
    )
    assert r.status_code == 200, r.text
    assert (await clocks_of(app, case["id"]))[2].stopped_by == "resolved"


async def test_a_decline_stops_acceptance_and_restarts_dispatch(client, world, app):
    case = await dispatched_case(client, world)
    r = await act(
        client, await login(client, world, "lc_v01"), case, "decline", reason="不属于本村调委会受理范围"
    )
    assert r.status_code == 200, r.text
    clocks = await clocks_of(app, case["id"])
    acceptance = clocks[1]
    assert acceptance.kind == "acceptance" and acceptance.stopped_by == "declined"
    restarted = clocks[2]
    assert restarted.kind == "dispatch" and restarted.started_at == acceptance.stopped_at
    # Whatever auto-dispatch did next, exactly one clock runs.
    assert len([c for c in clocks if c.stopped_at is None]) == 1


async def test_an_extension_once_and_a_second_refused(client, world, app):
    case = await mediating_case(client, world)
    before = await running(app, case["id"])
    v01 = await login(client, world, "lc_v01")
    too_long = await act(client, v01, case, "extend", reason="经双方当事人同意继续调解", days=31)
    assert too_long.status_code == 422 and too_long.json()["errors"][0]["field"] == "days"
    r = await act(client, v01, case, "extend", reason="经双方当事人同意继续调解", days=30)
    assert r.status_code == 200, r.text
    extended = r.json()
    assert extended["status"] == "in_mediation" and extended["version"] == case["version"] + 1
    after = await running(app, case["id"])
    assert (
        after.id == before.id
        and after.due_at == before.due_at + timedelta(days=30)
        and after.extended_days == 30
    )
    events = (await client.get(f"/api/v1/cases/{case['id']}/events", headers=v01)).json()["items"]
    assert (
        events[-1]["type"] == "case.mediation_extended" and events[-1]["reason"] == "经双方当事人同意继续调解"
    )
    again = await act(client, v01, extended, "extend", reason="经双方当事人同意继续调解", days=5)
    assert again.status_code == 409 and again.json()["code"] == "extension.already_extended"
    other = await act(
        client, await login(client, world, "lc_stn"), extended, "extend", reason="再延期", days=5
    )
    assert other.status_code in (403, 404)


async def test_an_extension_is_refused_outside_mediation(client, world, app):
    case = await dispatched_case(client, world)
    r = await act(
        client, await login(client, world, "lc_v01"), case, "extend", reason="经双方当事人同意", days=5
    )
    assert r.status_code == 409 and r.json()["code"] == "transition_not_allowed"


# --- honest rates -----------------------------------------------------------------------------------------


async def _rates(client, world, clock="dispatch"):
    today = utcnow().astimezone(SHANGHAI).date()
    params = {"clock": clock, "from": str(today - timedelta(days=40)), "to": str(today + timedelta(days=40))}
    r = await client.get("/api/v1/sla/summary", params=params, headers=await login(client, world, "bureau"))
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_breached_then_withdrawn_case_counts_as_missed(client, world, app):
    case = await pending_case(client, world, app)
    await restart(app, case["id"], utcnow() - timedelta(days=10))
    await run_sweep(app, utcnow())
    r = await act(
        client,
        await login(client, world, "lc_sfs"),
        await fresh(client, world, case),
        "withdraw",
        reason="申请人撤回",
    )
    assert r.status_code == 200, r.text
    totals = (await _rates(client, world))["totals"]
    assert (totals["met"], totals["missed"], totals["ended_early"]) == (0, 1, 0)
    assert totals["on_time_rate"] == {"value": 0.0, "numerator": 0, "denominator": 1}


async def test_a_withdrawal_before_due_is_ended_early_not_counted(client, world, app):
    case = await pending_case(client, world, app)
    r = await act(client, await login(client, world, "lc_sfs"), case, "withdraw", reason="申请人撤回")
    assert r.status_code == 200, r.text
    totals = (await _rates(client, world))["totals"]
    assert (totals["met"], totals["missed"], totals["ended_early"]) == (0, 0, 1)
    assert totals["on_time_rate"] == {"value": None, "numerator": 0, "denominator": 0}


async def test_an_open_breach_counts_as_missed_and_a_met_clock_as_met(client, world, app):
    await dispatched_case(client, world)  # dispatched at once: met
    late = await pending_case(client, world, app)
    await restart(app, late["id"], utcnow() - timedelta(days=10))
    await run_sweep(app, utcnow())
    body = await _rates(client, world)
    totals = body["totals"]
    assert (totals["met"], totals["missed"], totals["ended_early"]) == (1, 1, 0)
    assert totals["on_time_rate"] == {"value": 0.5, "numerator": 1, "denominator": 2}
    assert body["clock_label"] == "分派期限"
    town = {i["town"]["code"] for i in body["items"]}
    assert town == {"LY-LC"} and all(i["tier_label"] for i in body["items"])
    async with session_scope(app.state.ctx.sessionmaker) as s:
        today = utcnow().astimezone(SHANGHAI)
        counts = await service.on_time(
            s, kind="dispatch", start=today - timedelta(days=40), end=today + timedelta(days=40)
        )
    assert (counts.numerator, counts.denominator, counts.rate) == (1, 2, 0.5)


async def test_summary_defaults_to_this_month_and_has_csv(client, world, app):
    bureau = await login(client, world, "bureau")
    r = await client.get("/api/v1/sla/summary", params={"clock": "mediation"}, headers=bureau)
    assert r.status_code == 200, r.text
    today = utcnow().astimezone(SHANGHAI).date()
    assert r.json()["from"] == str(today.replace(day=1)) and r.json()["to"] >= str(today)
    r = await client.get("/api/v1/sla/summary", params={"format": "csv"}, headers=bureau)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["期限类型", "镇(街道)", "组织"] and rows[-1][1] == "合计"


# --- at risk and breaches per kind; concurrent sweeps ------------------------------------------------------


async def test_at_risk_for_mediation_is_due_within_five_days(client, world, app):
    soon, later = await mediating_case(client, world), await mediating_case(client, world)
    await set_due(app, soon["id"], utcnow() + timedelta(days=3))
    await set_due(app, later["id"], utcnow() + timedelta(days=9))
    r = await client.get(
        "/api/v1/sla/at-risk", params={"clock": "mediation"}, headers=await login(client, world, "lc_sfs")
    )
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [i["reference"] for i in items] == [soon["reference"]]
    assert items[0]["holder"] == {"code": "LY-LC-V01", "name": items[0]["holder"]["name"]}
    assert items[0]["clock_label"] == "调解期限"
    dispatch = await client.get("/api/v1/sla/at-risk", headers=await login(client, world, "lc_sfs"))
    assert dispatch.json()["items"] == []


async def test_each_kind_breaches_and_three_sweeps_record_each_once(client, world, app, backend):
    cases = {
        "dispatch": await pending_case(client, world, app),
        "mediation": None,
        "acceptance": None,
    }
    # pending_case deactivated LY-LC-V01; the others need it back.
    from sqlalchemy import update

    from app.models import Organization

    async with session_scope(app.state.ctx.sessionmaker) as s:
        await s.execute(update(Organization).where(Organization.code == "LY-LC-V01").values(active=True))
    cases["acceptance"] = await dispatched_case(client, world)
    cases["mediation"] = await mediating_case(client, world)
    for c in cases.values():
        await restart(app, c["id"], utcnow() - timedelta(days=40))
    sweeps = 3 if backend == "postgresql" else 1  # SQLite has a single writer
    results = await asyncio.gather(*[run_sweep(app, utcnow()) for _ in range(sweeps)])
    recorded: dict[str, int] = {}
    for r in results:
        for kind, n in r.by_kind.items():
            recorded[kind] = recorded.get(kind, 0) + n
    assert recorded == {"dispatch": 1, "acceptance": 1, "mediation": 1}
    again = await asyncio.gather(*[run_sweep(app, utcnow()) for _ in range(sweeps)])
    assert sum(r.breaches_recorded for r in again) == 0
    bureau = await login(client, world, "bureau")
    for kind, c in cases.items():
        page = (await client.get("/api/v1/sla/breaches", params={"clock": kind}, headers=bureau)).json()
        assert [i["reference"] for i in page["items"]] == [c["reference"]], kind
        assert page["items"][0]["clock"] == kind


async def test_csv_is_refused_where_there_are_no_rows(client, world):
    admin = await login(client, world, "admin")
    r = await client.get("/api/v1/sla/clock-rules", params={"format": "csv"}, headers=admin)
    assert r.status_code == 400 and r.json()["code"] == "format.unsupported"


# --- the rules as data ------------------------------------------------------------------------------------


async def test_a_rule_change_applies_to_clocks_started_after_it(client, world, app):
    admin = await login(client, world, "admin")
    current = (await client.get("/api/v1/sla/clock-rules", headers=admin)).json()["current"]
    assert current["version"] == 1
    old = await dispatched_case(client, world)
    rules = [r if r["kind"] != "acceptance" else {**r, "length": 2} for r in current["rules"]]
    assert (
        await client.put(
            "/api/v1/sla/clock-rules", json={"rules": rules}, headers=await login(client, world, "bureau")
        )
    ).status_code == 403
    r = await client.put(
        "/api/v1/sla/clock-rules", json={"rules": rules, "note": "签收两个工作日"}, headers=admin
    )
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2
    new = await dispatched_case(client, world)
    old_clock, new_clock = await running(app, old["id"]), await running(app, new["id"])
    assert (old_clock.rule_version, old_clock.length_days) == (1, 1)
    assert (new_clock.rule_version, new_clock.length_days) == (2, 2)
    history = (await client.get("/api/v1/sla/clock-rules", headers=admin)).json()
    assert history["current"]["version"] == 2 and history["previous_versions"] == [1]


async def test_invalid_rules_are_refused_with_the_field(client, world):
    admin = await login(client, world, "admin")
    missing = [{"kind": "dispatch", "length": 3, "unit": "working_days"}]
    r = await client.put("/api/v1/sla/clock-rules", json={"rules": missing}, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "rule.default_missing"
    bad = [{"kind": "dispatch", "length": 0, "unit": "working_days"}]
    r = await client.put("/api/v1/sla/clock-rules", json={"rules": bad}, headers=admin)
    assert r.json()["errors"][0]["field"] == "rules.0.length"


async def test_loading_a_calendar_recomputes_open_acceptance_clocks(client, world, app):
    next_year = max(y for y in range(2024, 2040) if WorkCalendar().year_is_official(y)) + 1
    case = await dispatched_case(client, world)
    before = await restart(app, case["id"], datetime(next_year, 1, 1, 10, 0, tzinfo=SHANGHAI))
    assert (await running(app, case["id"])).due_provisional is True
    schedule = {
        "year": next_year,
        "notice": "国务院办公厅关于部分节假日安排的通知（测试）",
        "holidays": [{"date": f"{next_year}-01-0{d}", "name": "元旦"} for d in range(1, 6)],
        "makeup_workdays": [],
    }
    r = await client.put(
        f"/api/v1/calendar/years/{next_year}", json=schedule, headers=await login(client, world, "admin")
    )
    assert r.status_code == 200, r.text
    after = await running(app, case["id"])
    assert after.due_provisional is False and after.due_at > before
    assert after.due_at.astimezone(SHANGHAI).date() > date(next_year, 1, 6)
