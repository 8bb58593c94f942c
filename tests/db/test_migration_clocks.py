"""Migration 0007 on data: breaches and running dispatch clocks move into sla_clocks with nothing lost, open
assignments get the clock that runs for them, and the downgrade gives the breaches back."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from app import migrate
from app.db import make_engine
from tests.db.test_migrations import empty_db_url  # noqa: F401 - the fixture

BEFORE = "0006"
T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai


async def _execute(url: str, *statements: tuple[str, dict]) -> list:
    engine = make_engine(url)
    rows: list = []
    async with engine.begin() as conn:
        for sql, params in statements:
            result = await conn.execute(text(sql), params)
            if result.returns_rows:
                rows = list(result)
    await engine.dispose()
    return rows


def _seed(sqlite: bool) -> tuple[list[tuple[str, dict]], dict[str, uuid.UUID]]:
    def ts(value: datetime) -> object:
        return value.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else value

    def uid(value: uuid.UUID) -> object:
        return value.hex if sqlite else value

    ids = {name: uuid.uuid4() for name in ("pending", "dispatched", "withdrawn", "mediating")}
    now = ts(T0)
    statements: list[tuple[str, dict]] = []
    for code, tier, kind in (
        ("LY", "supervision", "justice_bureau"),
        ("LY-LC", "supervision", "town"),
        ("LY-LC-V01", "village", "village_committee"),
    ):
        statements.append(
            (
                "INSERT INTO organizations (code, name, tier, kind, active, created_at, updated_at) "
                "VALUES (:code, :code, :tier, :kind, true, :now, :now)",
                {"code": code, "tier": tier, "kind": kind, "now": now},
            )
        )
    status = {
        "pending": "pending_dispatch",
        "dispatched": "dispatched",
        "withdrawn": "resolved",
        "mediating": "in_mediation",
    }
    due = T0 + timedelta(days=3, hours=14)  # Thursday 24:00 in Shanghai
    for i, (name, case_id) in enumerate(ids.items()):
        statements.append(
            (
                "INSERT INTO cases (id, reference, category, summary, risk_level, "
                "litigation_intended, applicant_count, respondent_is_government, cross_village, "
                "cross_town, town_org_id, intake_org_id, received_at, status, version, routing_flags, "
                "routing_tier, routing_org_id, dispatch_clock_started_at, dispatch_due_at, "
                "dispatch_due_provisional, resolved_at, outcome, created_at, updated_at) "
                "VALUES (:id, :ref, 'neighbour', '邻里纠纷', 'low', false, 1, false, false, false, 2, 3, "
                ":t0, :status, 2, '[]', 'village', 3, :t0, :due, false, :resolved, :outcome, :t0, :t0)",
                {
                    "id": uid(case_id),
                    "ref": f"LY-2026-00000{i}",
                    "t0": now,
                    "status": status[name],
                    "due": ts(due),
                    "resolved": ts(due + timedelta(days=2)) if name == "withdrawn" else None,
                    "outcome": "withdrawn" if name == "withdrawn" else None,
                },
            )
        )
    late = due + timedelta(days=1)
    for name in ("dispatched", "mediating"):
        statements.append(
            (
                "INSERT INTO assignments (case_id, organization_id, tier, clock_started_at, dispatch_due_at, "
                "dispatched_at, town_org_id, auto_dispatched, accepted_at) "
                "VALUES (:id, 3, 'village', :t0, :due, :at, 2, false, :accepted)",
                {
                    "id": uid(ids[name]),
                    "t0": now,
                    "due": ts(due),
                    "at": ts(late if name == "dispatched" else T0),
                    "accepted": ts(T0 + timedelta(hours=1)) if name == "mediating" else None,
                },
            )
        )
    breach = (
        "INSERT INTO sla_breaches (case_id, clock_started_at, due_at, due_provisional, recorded_at, "
        "town_org_id, organization_id, tier, category, closed_at, closed_by, lateness_seconds, "
        "lateness_working_days) VALUES (:id, :t0, :due, false, :recorded, 2, 3, 'village', 'neighbour', "
        ":closed, :by, :secs, :days)"
    )
    for name, closed, by in (
        ("pending", None, None),
        ("dispatched", late, "dispatched"),
        ("withdrawn", due + timedelta(days=2), "withdrawn"),
    ):
        statements.append(
            (
                breach,
                {
                    "id": uid(ids[name]),
                    "t0": now,
                    "due": ts(due),
                    "recorded": ts(due + timedelta(minutes=1)),
                    "closed": ts(closed) if closed else None,
                    "by": by,
                    "secs": int((closed - due).total_seconds()) if closed else None,
                    "days": 1 if closed else None,
                },
            )
        )
    return statements, ids


async def test_breaches_and_clocks_move_with_nothing_lost_and_come_back(empty_db_url, backend):  # noqa: F811
    await asyncio.to_thread(migrate.upgrade, empty_db_url, BEFORE)
    statements, ids = _seed(backend == "sqlite")
    await _execute(empty_db_url, *statements)
    before = await _execute(
        empty_db_url, ("SELECT case_id, closed_by, lateness_seconds FROM sla_breaches ORDER BY closed_by", {})
    )
    await asyncio.to_thread(migrate.upgrade, empty_db_url)

    rows = await _execute(
        empty_db_url,
        (
            "SELECT case_id, kind, stopped_by, breached_at IS NOT NULL, lateness_seconds, "
            "stopped_at IS NULL, "
            "rule_version FROM sla_clocks ORDER BY kind, stopped_by",
            {},
        ),
    )
    name_of = {str(v): k for k, v in ids.items()} | {v.hex: k for k, v in ids.items()}
    got = sorted((name_of[str(r[0])], r[1], r[2], bool(r[3]), r[4], bool(r[5])) for r in rows)
    assert got == [
        ("dispatched", "acceptance", None, False, None, True),  # running since its dispatch
        ("dispatched", "dispatch", "dispatched", True, 86400, False),
        ("mediating", "dispatch", "dispatched", False, None, False),
        ("mediating", "mediation", None, False, None, True),  # running since its accept
        ("pending", "dispatch", None, True, None, True),  # the open breach, still running
        ("withdrawn", "dispatch", "withdrawn", True, 2 * 86400, False),
    ]
    assert {r[6] for r in rows} == {1}
    rules = await _execute(empty_db_url, ("SELECT version FROM sla_clock_rule_sets", {}))
    assert [r[0] for r in rules] == [1]

    await asyncio.to_thread(migrate.downgrade, empty_db_url, BEFORE)
    after = await _execute(
        empty_db_url, ("SELECT case_id, closed_by, lateness_seconds FROM sla_breaches ORDER BY closed_by", {})
    )
    assert sorted(map(tuple, after), key=str) == sorted(map(tuple, before), key=str)
    await asyncio.to_thread(migrate.upgrade, empty_db_url)
