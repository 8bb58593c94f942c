"""GET /sla/breaches, /sla/at-risk, /sla/summary: supervisors (a town office its town; the bureau all)."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from app.calendar.service import calendar_in_force
from app.calendar.workdays import SHANGHAI
from app.cases import repository as repo
from app.cases.presenter import present_cases
from app.cases.schemas import CATEGORY_ENUM, CaseOut, CategoryCode, LocalDateTime
from app.db import utcnow
from app.deps import Context, Session, SupervisorPrincipal
from app.models import Case, CaseStatus, Tier
from app.organizations.lookup import codes_to_ids
from app.pagination import AT_RISK, BREACHES, DEFAULT_LIMIT, MAX_LIMIT
from app.sla import queries
from app.sla.queries import SlaFilters
from app.validation import DATE_RANGE, ApiDate

router = APIRouter(prefix="/sla", tags=["sla"])

CSV_HEADER = [
    "案件编号",
    "镇(街道)",
    "应分派组织",
    "层级",
    "纠纷类型",
    "分派期限",
    "期限为暂定",
    "记录时间",
    "状态",
    "实际分派/结束时间",
    "超期小时",
    "超期工作日",
]


class BreachOut(BaseModel):
    id: int
    case_id: uuid.UUID
    reference: str
    case_status: CaseStatus
    town: str
    organization: str | None
    tier: Tier | None
    category: str = Field(json_schema_extra=CATEGORY_ENUM)
    clock_started_at: LocalDateTime
    due_at: LocalDateTime
    due_provisional: bool
    recorded_at: LocalDateTime
    open: bool
    closed_at: LocalDateTime | None
    closed_by: str | None
    lateness_hours: float | None
    lateness_working_days: int | None


class BreachPage(BaseModel):
    items: list[BreachOut]
    next_cursor: str | None


class AtRiskPage(BaseModel):
    items: list[CaseOut]
    next_cursor: str | None
    horizon: LocalDateTime


class SummaryItem(BaseModel):
    town: str
    organization: str | None
    dispatched: int
    on_time: int
    late: int
    open_breaches: int
    on_time_rate: float | None


class SummaryOut(BaseModel):
    start: date
    end: date
    items: list[SummaryItem]
    totals: SummaryItem


Town = Annotated[str | None, Query(description="Town code, e.g. LY-LC")]
Org = Annotated[str | None, Query(description="Organization code the case was routed to")]


@dataclass(frozen=True)
class FilterParams:
    """The filters every SLA query takes (a FastAPI dependency: they are query parameters)."""

    town: Town = None
    organization: Org = None
    tier: Tier | None = None
    category: CategoryCode | None = None


Filters = Annotated[FilterParams, Depends()]


async def _filters(session: Session, p: FilterParams, **rest: Any) -> SlaFilters | None:
    ids = await codes_to_ids(session, [c for c in (p.town, p.organization) if c])
    if (p.town and p.town not in ids) or (p.organization and p.organization not in ids):
        return None  # an unknown code matches nothing
    return SlaFilters(
        town_id=ids.get(p.town) if p.town else None,
        organization_id=ids.get(p.organization) if p.organization else None,
        tier=p.tier,
        category=p.category,
        **rest,
    )


def _at_risk_position(case: Case) -> tuple[str, str]:
    # At risk means waiting for dispatch with a due time (app.sla.queries.at_risk): never None here.
    assert case.dispatch_due_at is not None
    return case.dispatch_due_at.isoformat(), str(case.id)


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time(0), SHANGHAI)


@router.get("/breaches", response_model=BreachPage, responses={200: {"content": {"text/csv": {}}}})
async def list_breaches(
    session: Session,
    ctx: Context,
    principal: SupervisorPrincipal,
    params: Filters,
    state: Literal["open", "closed"] | None = None,
    due_from: Annotated[
        ApiDate | None, Query(description=f"Due on or after this day (Asia/Shanghai), {DATE_RANGE}")
    ] = None,
    due_to: Annotated[ApiDate | None, Query(description=f"Due on or before this day, {DATE_RANGE}")] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    format: Literal["json", "csv"] = "json",
) -> object:
    f = await _filters(
        session,
        params,
        state=state,
        due_from=_day_start(due_from) if due_from else None,
        due_to=_day_start(due_to + timedelta(days=1)) if due_to else None,
    )
    key = ctx.blind_index_key_bytes
    after = BREACHES.decode(key, cursor) if cursor else None
    # CSV is the whole filtered list (for Excel), JSON is paged.
    page_size = 100_000 if format == "csv" else limit
    found = [] if f is None else list(await queries.breaches(session, principal, f, after, page_size + 1))
    rows, next_cursor = BREACHES.page(key, found, page_size, lambda r: (r[0].due_at.isoformat(), r[0].id))
    orgs = await repo.orgs_by_ids(
        session, [i for b, _, _ in rows for i in (b.town_org_id, b.organization_id)]
    )
    items = [
        BreachOut(
            id=b.id,
            case_id=b.case_id,
            reference=ref,
            case_status=status,
            town=orgs[b.town_org_id].code,
            organization=orgs[b.organization_id].code if b.organization_id in orgs else None,
            tier=b.tier,
            category=b.category,
            clock_started_at=b.clock_started_at,
            due_at=b.due_at,
            due_provisional=b.due_provisional,
            recorded_at=b.recorded_at,
            open=b.closed_at is None,
            closed_at=b.closed_at,
            closed_by=b.closed_by,
            lateness_hours=round(b.lateness_seconds / 3600, 1) if b.lateness_seconds is not None else None,
            lateness_working_days=b.lateness_working_days,
        )
        for b, ref, status in rows
    ]
    if format == "csv":
        return _csv(items, {o.code: o.name for o in orgs.values()})
    return BreachPage(items=items, next_cursor=next_cursor)


def _csv(items: list[BreachOut], names: dict[str, str]) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for b in items:
        writer.writerow(
            [
                b.reference,
                names.get(b.town, b.town),
                names.get(b.organization or "", ""),
                b.tier or "",
                b.category,
                b.due_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"),
                "是" if b.due_provisional else "否",
                b.recorded_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"),
                "未结" if b.open else "已结",
                b.closed_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if b.closed_at else "",
                "" if b.lateness_hours is None else b.lateness_hours,
                "" if b.lateness_working_days is None else b.lateness_working_days,
            ]
        )
    # The UTF-8 byte order mark makes Excel read the Chinese header correctly.
    body = "\ufeff" + out.getvalue()
    return Response(
        body.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="sla-breaches.csv"'},
    )


@router.get("/at-risk", response_model=AtRiskPage)
async def list_at_risk(
    session: Session,
    ctx: Context,
    principal: SupervisorPrincipal,
    params: Filters,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> AtRiskPage:
    """Not dispatched and due today or on the next working day (Asia/Shanghai), soonest first."""
    now = utcnow()
    calendar = await calendar_in_force(session)
    today = now.astimezone(SHANGHAI).date()
    next_working_day, _ = calendar.add_working_days(today, 1)
    horizon = _day_start(next_working_day + timedelta(days=1))
    f = await _filters(session, params)
    key = ctx.blind_index_key_bytes
    after = AT_RISK.decode(key, cursor) if cursor else None
    found = [] if f is None else await queries.at_risk(session, principal, now, horizon, f, after, limit + 1)
    cases, next_cursor = AT_RISK.page(key, found, limit, _at_risk_position)
    return AtRiskPage(items=await present_cases(session, cases), next_cursor=next_cursor, horizon=horizon)


@router.get("/summary", response_model=SummaryOut)
async def sla_summary(
    session: Session,
    principal: SupervisorPrincipal,
    start: Annotated[ApiDate, Query(description=f"First day of the period (Asia/Shanghai), {DATE_RANGE}")],
    end: Annotated[ApiDate, Query(description=f"Last day of the period, inclusive, {DATE_RANGE}")],
    params: Filters,
) -> SummaryOut:
    f = await _filters(session, params)
    rows = (
        []
        if f is None
        else await queries.summary(
            session, principal, _day_start(start), _day_start(end + timedelta(days=1)), f
        )
    )
    orgs = await repo.orgs_by_ids(session, [i for r in rows for i in (r.town_org_id, r.organization_id)])

    def item(town_code: str, org: str | None, d: int, o: int, b: int) -> SummaryItem:
        return SummaryItem(
            town=town_code,
            organization=org,
            dispatched=d,
            on_time=o,
            late=d - o,
            open_breaches=b,
            on_time_rate=round(o / d, 4) if d else None,
        )

    items = [
        item(
            orgs[r.town_org_id].code,
            orgs[r.organization_id].code if r.organization_id in orgs else None,
            r.dispatched,
            r.on_time,
            r.open_breaches,
        )
        for r in rows
    ]
    totals = item(
        "*",
        None,
        sum(r.dispatched for r in rows),
        sum(r.on_time for r in rows),
        sum(r.open_breaches for r in rows),
    )
    return SummaryOut(start=start, end=end, items=items, totals=totals)
