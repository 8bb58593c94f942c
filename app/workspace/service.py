"""The workspace's tiles, chart series and dispatch queue, on the caller's scope and ``now``."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.auth.scope import case_scope, may_dispatch_to
from app.calendar.service import calendar_in_force
from app.calendar.workdays import WorkCalendar
from app.cases import repository as case_repo
from app.models import Case, CaseStatus, Organization, OrgKind, Role
from app.routing import service as routing
from app.routing.engine import CATEGORIES, TIER_LABELS, target_label
from app.sla.queries import SlaFilters
from app.sla.service import RateCounts, counts_of, summary_rows
from app.urges.rules import CLOCK_LABELS, at_risk_horizon
from app.workspace import queries
from app.workspace.days import day_start, month_start, today, week_start
from app.workspace.schemas import (
    ClockTiles,
    Counts,
    DailySeries,
    Named,
    NamedCount,
    Overview,
    QueueItem,
    Rate,
    Target,
    WeeklyRates,
)

CLOCKS = ("dispatch", "acceptance", "mediation")


def rate(numerator: int, denominator: int) -> Rate:
    value = round(numerator / denominator, 4) if denominator else None
    return Rate(value=value, numerator=numerator, denominator=denominator)


def scope_of(principal: Principal, orgs: dict[int, Organization]) -> Named:
    if principal.role == Role.SUPERVISOR and principal.organization_kind == OrgKind.JUSTICE_OFFICE:
        town = orgs.get(principal.town_id or -1)
        if town is not None:
            return Named(code=town.code, name=town.name)
    return Named(code=None, name="全市")


def _horizons(now: datetime, calendar: WorkCalendar) -> dict[str, datetime]:
    return {kind: at_risk_horizon(kind, now, calendar) for kind in CLOCKS}


async def on_time(
    session: AsyncSession, principal: Principal, kind: str, start: datetime, end: datetime, now: datetime
) -> Rate:
    """Met ÷ (met + missed) of the clocks of ``kind`` due in [start, end) in the caller's scope: the same
    counts as ``GET /sla/summary`` (``app.sla.service``)."""
    total = RateCounts()
    for row in await summary_rows(session, principal, SlaFilters(kind=kind), start, end, now):
        total += counts_of(row)
    return rate(total.numerator, total.denominator)


async def overview(session: AsyncSession, principal: Principal, now: datetime) -> Overview:
    """The home page's tiles: waiting for dispatch (and due today), at risk and late per clock kind, this
    month's on-time rate per clock kind."""
    calendar = await calendar_in_force(session)
    day = today(now)
    horizons = _horizons(now, calendar)
    counts = await queries.pending_counts(
        session, principal, now, day_start(day + timedelta(days=1)), horizons["dispatch"]
    )
    first = month_start(day)
    running = await queries.running_clock_counts(session, principal, now, horizons)
    clocks = [
        ClockTiles(
            clock=kind,
            clock_label=CLOCK_LABELS[kind],
            available=True,
            at_risk=running[kind].at_risk,
            open_breaches=running[kind].late,
            on_time_rate=await on_time(session, principal, kind, day_start(first), now, now),
        )
        for kind in CLOCKS
    ]
    orgs = await case_repo.orgs_by_ids(session, [principal.town_id])
    return Overview(
        scope=scope_of(principal, orgs),
        as_of=now,
        month_start=first,
        pending=counts.pending,
        due_today=counts.due_today,
        clocks=clocks,
    )


async def daily(session: AsyncSession, principal: Principal, now: datetime, days: int) -> DailySeries:
    """Registrations and resolutions per Shanghai day, the last ``days`` days including today."""
    first = today(now) - timedelta(days=days - 1)
    registered = await queries.registrations_per_day(session, principal, day_start(first))
    resolved = await queries.resolutions_per_day(session, principal, day_start(first))
    span = [first + timedelta(days=i) for i in range(days)]
    return DailySeries(
        days=span,
        registrations=[registered.get(d, 0) for d in span],
        resolutions=[resolved.get(d, 0) for d in span],
    )


async def weekly_on_time(
    session: AsyncSession, principal: Principal, now: datetime, weeks: int, kind: str = "dispatch"
) -> WeeklyRates:
    """A clock kind's on-time rate per week (Monday to Sunday, clocks due that week), the last ``weeks``."""
    first = week_start(today(now)) - timedelta(weeks=weeks - 1)
    mondays = [first + timedelta(weeks=i) for i in range(weeks)]
    rates = [
        await on_time(
            session, principal, kind, day_start(m), min(day_start(m + timedelta(weeks=1)), now), now
        )
        for m in mondays
    ]
    return WeeklyRates(
        weeks=mondays,
        on_time_rate=[r.value for r in rates],
        numerators=[r.numerator for r in rates],
        denominators=[r.denominator for r in rates],
    )


async def open_by_place(session: AsyncSession, principal: Principal) -> Counts:
    """Open cases per town for the city; within a town, per organization holding them (待分派 when none)."""
    town_only = principal.role == Role.SUPERVISOR and principal.organization_kind == OrgKind.JUSTICE_OFFICE
    column = Case.current_org_id if town_only else Case.town_org_id
    rows = await queries.open_cases_by(session, principal, column)
    orgs = await case_repo.orgs_by_ids(session, [r[0] for r in rows])
    items = [
        NamedCount(code=orgs[i].code, name=orgs[i].name, count=n)
        if i in orgs
        else NamedCount(code=None, name="待分派", count=n)
        for i, n in rows
    ]
    return Counts(items=items)


async def by_category(session: AsyncSession, principal: Principal, now: datetime, days: int) -> Counts:
    first = today(now) - timedelta(days=days - 1)
    rows = await queries.cases_by_category(session, principal, day_start(first))
    return Counts(items=[NamedCount(code=c, name=CATEGORIES.get(c, c), count=n) for c, n in rows])


def target(org: Organization) -> Target:
    return Target(code=org.code, name=org.name, tier=org.tier, tier_label=TIER_LABELS.get(org.tier, org.tier))


async def dispatch_targets(session: AsyncSession, principal: Principal) -> list[Organization]:
    """Every active mediating organization this supervisor may dispatch to (``may_dispatch_to``)."""
    rows = await session.execute(
        select(Organization)
        .where(Organization.kind.in_(routing.MEDIATING_KINDS), Organization.active.is_(True))
        .order_by(Organization.town_id.is_not(None), Organization.town_id, Organization.id)
    )
    return [o for o in rows.scalars() if may_dispatch_to(principal, o.kind, o.town_id)]


async def queue(
    session: AsyncSession,
    principal: Principal,
    now: datetime,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[QueueItem]:
    """待分派, soonest due first: each case with its routing suggestion, the rule's explanation and the
    qualifying organizations this supervisor may choose."""
    conditions = [Case.status == CaseStatus.PENDING_DISPATCH, case_scope(principal)]
    if after is not None:
        due, last = after
        conditions.append((Case.dispatch_due_at > due) | ((Case.dispatch_due_at == due) & (Case.id > last)))
    cases = list(
        (
            await session.execute(
                select(Case).where(*conditions).order_by(Case.dispatch_due_at, Case.id).limit(limit)
            )
        ).scalars()
    )
    orgs = await case_repo.orgs_by_ids(session, [i for c in cases for i in (c.town_org_id, c.routing_org_id)])
    items = []
    for c in cases:
        found = await routing.candidates_for_case(session, c) if c.routing_selector else None
        qualifying = [
            o for o in (found.organizations if found else []) if may_dispatch_to(principal, o.kind, o.town_id)
        ]
        suggested_org = orgs.get(c.routing_org_id or -1) or (qualifying[0] if qualifying else None)
        if suggested_org is not None and not may_dispatch_to(
            principal, suggested_org.kind, suggested_org.town_id
        ):
            suggested_org = None
        town = orgs[c.town_org_id]
        items.append(
            QueueItem(
                case_id=c.id,
                reference=c.reference,
                version=c.version,
                category=c.category,
                category_label=CATEGORIES.get(c.category, c.category),
                town=Named(code=town.code, name=town.name),
                received_at=c.received_at,
                dispatch_due_at=c.dispatch_due_at,
                late=c.dispatch_due_at is not None and c.dispatch_due_at <= now,
                rule=c.routing_rule_id,
                explanation=c.routing_explanation,
                routed_to=(
                    target_label(c.routing_tier, c.routing_selector, c.routing_channel, c.category)
                    if c.routing_tier and c.routing_selector
                    else None
                ),
                suggested=target(suggested_org) if suggested_org else None,
                qualifying=[target(o) for o in qualifying],
            )
        )
    return items
