"""Helpers for the clock tests: cases in each clock, moving a running clock's start, sweeping."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from app.calendar.workdays import WorkCalendar
from app.db import session_scope
from app.models import Case, Organization, SlaClock
from app.sla.rules import due_after
from app.sla.sweep import sweep
from tests.support import act, case_body, login


async def pending_case(client: Any, world: Any, app: Any, user: str = "lc_v01", **overrides: Any) -> dict:
    """A case nobody can be auto-dispatched to (its village committee is deactivated): dispatch clock."""
    async with session_scope(app.state.ctx.sessionmaker) as s:
        await s.execute(update(Organization).where(Organization.code == "LY-LC-V01").values(active=False))
    r = await client.post(
        "/api/v1/cases", json=case_body(**overrides), headers=await login(client, world, user)
    )
    assert r.status_code == 201 and r.json()["status"] == "pending_dispatch", r.text
    return r.json()


async def dispatched_case(client: Any, world: Any) -> dict:
    """Auto-dispatched to the village committee LY-LC-V01 at intake: acceptance clock."""
    r = await client.post("/api/v1/cases", json=case_body(), headers=await login(client, world, "lc_v01"))
    assert r.status_code == 201 and r.json()["status"] == "dispatched", r.text
    return r.json()


async def mediating_case(client: Any, world: Any) -> dict:
    """Accepted by LY-LC-V01: mediation clock."""
    case = await dispatched_case(client, world)
    r = await act(client, await login(client, world, "lc_v01"), case, "accept")
    assert r.status_code == 200, r.text
    return r.json()


async def clocks_of(app: Any, case_id: str) -> list[SlaClock]:
    async with session_scope(app.state.ctx.sessionmaker) as s:
        stmt = select(SlaClock).where(SlaClock.case_id == uuid.UUID(case_id)).order_by(SlaClock.id)
        return list((await s.execute(stmt)).scalars())


async def running(app: Any, case_id: str) -> SlaClock:
    (clock,) = [c for c in await clocks_of(app, case_id) if c.stopped_at is None]
    return clock


async def restart(app: Any, case_id: str, started: datetime) -> datetime:
    """Pretend the case's running clock started at ``started``: its due time follows from its rule."""
    clock = await running(app, case_id)
    calendar = WorkCalendar()
    due = due_after(started, clock.length_days + clock.extended_days, clock.unit, calendar)
    async with session_scope(app.state.ctx.sessionmaker) as s:
        await s.execute(
            update(SlaClock)
            .where(SlaClock.id == clock.id)
            .values(
                started_at=started,
                due_at=due.due_at,
                due_provisional=due.provisional,
                calendar_version=calendar.version if clock.unit == "working_days" else None,
            )
        )
        if clock.kind == "dispatch":
            await s.execute(
                update(Case)
                .where(Case.id == uuid.UUID(case_id))
                .values(
                    dispatch_clock_started_at=started,
                    dispatch_due_at=due.due_at,
                    dispatch_due_provisional=due.provisional,
                )
            )
    return due.due_at


async def set_due(app: Any, case_id: str, due_at: datetime) -> None:
    clock = await running(app, case_id)
    async with session_scope(app.state.ctx.sessionmaker) as s:
        await s.execute(update(SlaClock).where(SlaClock.id == clock.id).values(due_at=due_at))


async def run_sweep(app: Any, now: datetime) -> Any:
    async with session_scope(app.state.ctx.sessionmaker) as s:
        return await sweep(s, now)


async def fresh(client: Any, world: Any, case: dict) -> dict:
    r = await client.get(f"/api/v1/cases/{case['id']}", headers=await login(client, world, "bureau"))
    return r.json()
