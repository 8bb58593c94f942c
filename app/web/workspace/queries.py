"""What the workspace pages read besides the JSON endpoints' services: the filter choices, a case's clocks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.models import Organization, OrgKind, SlaBreach
from app.routing import service as routing
from app.sla.queries import town_scope


@dataclass(frozen=True)
class FilterChoices:
    towns: list[tuple[str, str]]
    organizations: list[tuple[str, str]]


async def filter_choices(session: AsyncSession, principal: Principal) -> FilterChoices:
    """The towns and the mediating organizations a supervisor's lists may be filtered by (its own town's
    and the city-wide ones for a town's office)."""
    towns = await session.execute(
        select(Organization.code, Organization.name)
        .where(Organization.kind == OrgKind.TOWN, town_scope(principal, Organization.id))
        .order_by(Organization.id)
    )
    orgs = await session.execute(
        select(Organization.code, Organization.name)
        .where(
            Organization.kind.in_(routing.MEDIATING_KINDS),
            town_scope(principal, Organization.town_id) | Organization.town_id.is_(None),
        )
        .order_by(Organization.town_id.is_not(None), Organization.town_id, Organization.id)
    )
    return FilterChoices([tuple(r) for r in towns], [tuple(r) for r in orgs])  # type: ignore[misc]


@dataclass(frozen=True)
class ClockView:
    """One clock of a case, as the supervisor's case page shows it."""

    clock: str
    started_at: datetime | None
    due_at: datetime | None
    provisional: bool
    status: str  # running | late | met | missed
    stopped_at: datetime | None
    lateness_hours: float | None
    lateness_working_days: int | None


async def dispatch_clocks(session: AsyncSession, case: dict[str, Any], now: datetime) -> list[ClockView]:
    """Every dispatch clock of the case: the breached ones from their breach rows, the running one, and the
    met ones from the case's assignments."""
    breaches = (
        await session.execute(
            select(SlaBreach).where(SlaBreach.case_id == case["id"]).order_by(SlaBreach.clock_started_at)
        )
    ).scalars()
    views = {
        b.clock_started_at: ClockView(
            "dispatch",
            b.clock_started_at,
            b.due_at,
            b.due_provisional,
            "late" if b.closed_at is None else "missed",
            b.closed_at,
            round(b.lateness_seconds / 3600, 1) if b.lateness_seconds is not None else None,
            b.lateness_working_days,
        )
        for b in breaches
    }
    assignment = case.get("current_assignment")
    if assignment and assignment.get("clock_started_at") not in views:
        started = assignment["clock_started_at"]
        due = assignment.get("dispatch_due_at")
        views[started] = ClockView(
            "dispatch", started, due, False, "met", assignment["dispatched_at"], None, None
        )
    if case["status"] == "pending_dispatch" and case.get("dispatch_due_at"):
        due = case["dispatch_due_at"]
        if not any(v.due_at == due for v in views.values()):
            status = "late" if due <= now else "running"
            views[due] = ClockView(
                "dispatch", None, due, case["dispatch_due_provisional"], status, None, None, None
            )
    return list(views.values())
