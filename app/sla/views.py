"""GET /sla/breaches, /sla/at-risk, /sla/summary for the three clocks (``clock=dispatch|acceptance|
mediation``, default dispatch): supervisors (a town office its town; the bureau all). Breaches and at-risk
clocks come in one row shape; every endpoint takes ``format=csv``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from app.calendar.service import calendar_in_force
from app.calendar.workdays import SHANGHAI
from app.cases import repository as repo
from app.cases.schemas import CATEGORY_ENUM, CategoryCode, LocalDateTime
from app.db import utcnow
from app.deps import Context, Session, SupervisorPrincipal
from app.models import CaseStatus, ClockKind, Organization, Tier
from app.organizations.lookup import codes_to_ids
from app.pagination import AT_RISK, BREACHES, BREACHES_BY_LATENESS, DEFAULT_LIMIT, MAX_LIMIT
from app.sla import export, queries, service
from app.sla.clock import lateness
from app.sla.queries import SlaFilters
from app.validation import DATE_RANGE, ApiDate
from app.web.labels import category_label, clock_label, status_label, tier_label

router = APIRouter(prefix="/sla", tags=["sla"])

# Mediation clocks run for weeks: "at risk" is due within this many days (the other kinds: by the end of
# the next working day).
MEDIATION_AT_RISK_DAYS = 5
CSV_MAX_ROWS = 100_000


class Named(BaseModel):
    code: str
    name: str


class ClockRow(BaseModel):
    """One clock of one case: a breach, or a clock at risk."""

    id: int = Field(description="The clock's id")
    case_id: uuid.UUID
    reference: str
    category: str = Field(json_schema_extra=CATEGORY_ENUM)
    category_label: str
    clock: ClockKind
    clock_label: str
    started_at: LocalDateTime
    due_at: LocalDateTime
    due_provisional: bool
    stopped_at: LocalDateTime | None
    stopped_by: str | None
    status: CaseStatus = Field(description="The case's status")
    status_label: str
    breached: bool
    breached_at: LocalDateTime | None
    lateness_seconds: int | None = Field(description="Stopped (or now, while running) minus due")
    lateness_working_days: int | None
    holder: Named | None = Field(
        description="Who must act: the organization holding the case (none while it waits for dispatch)"
    )
    organization: Named | None = Field(
        description="The holder, or for a dispatch clock the organization routing named"
    )
    town: Named
    tier: Tier | None
    tier_label: str
    rule_version: int
    extended_days: int


class ClockPage(BaseModel):
    clock: ClockKind
    items: list[ClockRow]
    next_cursor: str | None


class AtRiskPage(ClockPage):
    horizon: LocalDateTime


class Rate(BaseModel):
    value: float | None = Field(description="numerator ÷ denominator, 4 decimals; null when nothing came due")
    numerator: int
    denominator: int


class Counts(BaseModel):
    met: int
    missed: int
    ended_early: int
    on_time_rate: Rate


class SummaryItem(Counts):
    town: Named
    organization: Named | None
    tier: Tier | None
    tier_label: str


class SummaryOut(BaseModel):
    clock: ClockKind
    clock_label: str
    from_: date = Field(alias="from", serialization_alias="from")
    to: date
    totals: Counts
    items: list[SummaryItem]


Town = Annotated[str | None, Query(description="Town code, e.g. LY-LC")]
Org = Annotated[str | None, Query(description="Organization code: the holder, or what routing named")]
Clock = Annotated[ClockKind, Query(description="Which clock; dispatch (the default) for today's clients")]
From = Annotated[ApiDate | None, Query(alias="from", description=f"Due on or after this day, {DATE_RANGE}")]
To = Annotated[ApiDate | None, Query(description=f"Due on or before this day (Asia/Shanghai), {DATE_RANGE}")]
Format = Annotated[Literal["json", "csv"], Query(description="csv: every row of the filter, for Excel")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


@dataclass(frozen=True)
class FilterParams:
    """The filters every SLA query takes (a FastAPI dependency: they are query parameters)."""

    clock: Clock = ClockKind.DISPATCH
    town: Town = None
    organization: Org = None
    tier: Tier | None = None
    category: CategoryCode | None = None
    from_: From = None
    to: To = None


Filters = Annotated[FilterParams, Depends()]


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time(0), SHANGHAI)


async def _filters(session: Session, p: FilterParams, state: str | None = None) -> SlaFilters | None:
    ids = await codes_to_ids(session, [c for c in (p.town, p.organization) if c])
    if (p.town and p.town not in ids) or (p.organization and p.organization not in ids):
        return None  # an unknown code matches nothing
    return SlaFilters(
        kind=p.clock,
        town_id=ids.get(p.town) if p.town else None,
        organization_id=ids.get(p.organization) if p.organization else None,
        tier=p.tier,
        category=p.category,
        state=state,
        due_from=_day_start(p.from_) if p.from_ else None,
        due_to=_day_start(p.to + timedelta(days=1)) if p.to else None,
    )


def _named(org: Organization | None) -> Named | None:
    return Named(code=org.code, name=org.name) if org else None


async def _rows(session: Session, found: list[Any], now: datetime) -> list[ClockRow]:
    orgs = await repo.orgs_by_ids(
        session, [i for r in found for i in (r[0].town_org_id, r[0].organization_id)]
    )
    calendar = await calendar_in_force(session)
    out = []
    for clock, reference, status, _ in found:
        breached = clock.breached_at is not None
        seconds, days = clock.lateness_seconds, clock.lateness_working_days
        if breached and clock.stopped_at is None:  # still running: as late as it is now
            seconds, days = lateness(clock.due_at, now, calendar)
        org = orgs.get(clock.organization_id) if clock.organization_id else None
        town = _named(orgs.get(clock.town_org_id))
        assert town is not None
        out.append(
            ClockRow(
                id=clock.id,
                case_id=clock.case_id,
                reference=reference,
                category=clock.category,
                category_label=category_label(clock.category),
                clock=clock.kind,
                clock_label=clock_label(clock.kind),
                started_at=clock.started_at,
                due_at=clock.due_at,
                due_provisional=clock.due_provisional,
                stopped_at=clock.stopped_at,
                stopped_by=clock.stopped_by,
                status=status,
                status_label=status_label(status),
                breached=breached,
                breached_at=clock.breached_at,
                lateness_seconds=seconds if breached else None,
                lateness_working_days=days if breached else None,
                holder=None if clock.kind == ClockKind.DISPATCH else _named(org),
                organization=_named(org),
                town=town,
                tier=clock.tier,
                tier_label=tier_label(clock.tier),
                rule_version=clock.rule_version,
                extended_days=clock.extended_days,
            )
        )
    return out


async def _csv(session: Session, rows: list[ClockRow], filename: str) -> Any:
    accepted, parties, summaries = await queries.csv_details(session, [r.case_id for r in rows])
    return export.rows_csv(rows, accepted, parties, summaries, filename)


CSV_RESPONSE: dict[int | str, dict[str, Any]] = {200: {"content": {"text/csv": {}}}}


@router.get("/breaches", response_model=ClockPage, responses=CSV_RESPONSE)
async def list_breaches(
    session: Session,
    ctx: Context,
    principal: SupervisorPrincipal,
    params: Filters,
    status: Annotated[Literal["open", "closed"] | None, Query(description="open: still running")] = None,
    sort: Annotated[
        Literal["due", "lateness"], Query(description="due: newest due first; lateness: latest first")
    ] = "due",
    cursor: str | None = None,
    limit: Limit = DEFAULT_LIMIT,
    format: Format = "json",
) -> object:
    """Clocks that ran past their due time: open (still running) or closed (stopped late)."""
    f = await _filters(session, params, status)
    key = ctx.blind_index_key_bytes
    now = utcnow()
    by_lateness = sort == "lateness" and status != "open"  # open ones by lateness: by due (app.sla.queries)
    keyset = BREACHES_BY_LATENESS if by_lateness else BREACHES
    after: tuple[Any, ...] | None = None
    if cursor:
        after = keyset.decode(key, cursor)
        if by_lateness:  # lateness as of the first page, so that pages do not shift
            now, after = after[2], after[:2]
    page_size = CSV_MAX_ROWS if format == "csv" else limit
    found = (
        []
        if f is None
        else list(
            await queries.breaches(
                session, principal, f, sort=sort, now=now, after=after, limit=page_size + 1
            )
        )
    )

    def position(r: Any) -> tuple[Any, ...]:
        return (int(r[3]), r[0].id, now.isoformat()) if by_lateness else (r[0].due_at.isoformat(), r[0].id)

    kept, next_cursor = keyset.page(key, found, page_size, position)
    rows = await _rows(session, kept, now)
    if format == "csv":
        return await _csv(session, rows, f"sla-breaches-{params.clock}.csv")
    return ClockPage(clock=params.clock, items=rows, next_cursor=next_cursor)


async def at_risk_horizon(session: Session, kind: str, now: datetime) -> datetime:
    """dispatch and acceptance: due today or the next working day; mediation: due within 5 days."""
    today = now.astimezone(SHANGHAI).date()
    if kind == ClockKind.MEDIATION:
        return _day_start(today + timedelta(days=MEDIATION_AT_RISK_DAYS + 1))
    next_working_day, _ = (await calendar_in_force(session)).add_working_days(today, 1)
    return _day_start(next_working_day + timedelta(days=1))


@router.get("/at-risk", response_model=AtRiskPage, responses=CSV_RESPONSE)
async def list_at_risk(
    session: Session,
    ctx: Context,
    principal: SupervisorPrincipal,
    params: Filters,
    sort: Annotated[Literal["due", "lateness"], Query(description="Either way: soonest due first")] = "due",
    cursor: str | None = None,
    limit: Limit = DEFAULT_LIMIT,
    format: Format = "json",
) -> object:
    """Running clocks not yet breached that are due soon, soonest first: dispatch and acceptance due today
    or on the next working day (Asia/Shanghai), mediation due within 5 days."""
    now = utcnow()
    horizon = await at_risk_horizon(session, params.clock, now)
    f = await _filters(session, params)
    key = ctx.blind_index_key_bytes
    after = AT_RISK.decode(key, cursor) if cursor else None
    page_size = CSV_MAX_ROWS if format == "csv" else limit
    found = (
        []
        if f is None
        else list(
            await queries.at_risk(
                session, principal, f, now=now, horizon=horizon, after=after, limit=page_size + 1
            )
        )
    )
    kept, next_cursor = AT_RISK.page(key, found, page_size, lambda r: (r[0].due_at.isoformat(), r[0].id))
    rows = await _rows(session, kept, now)
    if format == "csv":
        return await _csv(session, rows, f"sla-at-risk-{params.clock}.csv")
    return AtRiskPage(clock=params.clock, items=rows, next_cursor=next_cursor, horizon=horizon)


def _counts(c: service.RateCounts) -> dict[str, Any]:
    rate = Rate(value=c.rate, numerator=c.numerator, denominator=c.denominator)
    return {"met": c.met, "missed": c.missed, "ended_early": c.ended_early, "on_time_rate": rate}


@router.get("/summary", response_model=SummaryOut, responses=CSV_RESPONSE)
async def sla_summary(
    session: Session,
    principal: SupervisorPrincipal,
    params: Filters,
    format: Format = "json",
) -> object:
    """On-time counts of the clocks that came due in the period (default: this month, Asia/Shanghai), per
    town, organization and tier: met ÷ (met + missed); withdrawals before due are counted apart."""
    today = utcnow().astimezone(SHANGHAI).date()
    first = params.from_ or today.replace(day=1)
    last = params.to or (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    scoped = FilterParams(params.clock, params.town, params.organization, params.tier, params.category)
    f = await _filters(session, scoped)
    start, end = _day_start(first), _day_start(last + timedelta(days=1))
    rows = [] if f is None else await service.summary_rows(session, principal, f, start, end)
    orgs = await repo.orgs_by_ids(session, [i for r in rows for i in (r.town_org_id, r.organization_id)])
    items, total = [], service.RateCounts()
    for r in rows:
        counts = service.counts_of(r)
        total += counts
        town = _named(orgs.get(r.town_org_id))
        assert town is not None
        items.append(
            SummaryItem(
                town=town,
                organization=_named(orgs.get(r.organization_id)) if r.organization_id else None,
                tier=r.tier,
                tier_label=tier_label(r.tier),
                **_counts(counts),
            )
        )
    out = SummaryOut.model_validate(
        {
            "clock": params.clock,
            "clock_label": clock_label(params.clock),
            "from": first,
            "to": last,
            "totals": Counts(**_counts(total)),
            "items": items,
        }
    )
    if format == "csv":
        return export.summary_csv(out)
    return out
