"""GET /workspace/...: the supervisors' tiles, chart series, dispatch queue and Excel exports. The workspace's
pages draw from these, as an integrator would."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import Depends, Query
from fastapi.responses import StreamingResponse
from fastapi.routing import APIRouter

from app.db import utcnow
from app.deps import Context, Session, SupervisorPrincipal
from app.errors import FieldError, ValidationFailed
from app.pagination import DEFAULT_LIMIT, MAX_LIMIT, QUEUE
from app.sla.queries import SlaFilters
from app.validation import DATE_RANGE, ApiDate
from app.workspace import exports, service
from app.workspace.days import day_start
from app.workspace.excel import XLSX_MEDIA_TYPE, file_chunks, write_xlsx
from app.workspace.filters import FilterParams, sla_filters
from app.workspace.rates import OnTimeReport, on_time_report
from app.workspace.schemas import Counts, DailySeries, Overview, Queue, WeeklyRates

router = APIRouter(prefix="/workspace", tags=["supervisors' workspace"])
ClockParam = Annotated[
    Literal["dispatch", "acceptance", "mediation"], Query(description="The clock kind: 分派, 受理 or 调解")
]


@router.get("/overview", response_model=Overview)
async def overview(session: Session, principal: SupervisorPrincipal) -> Overview:
    """工作台 tiles: waiting for dispatch (due today), at risk and open breaches per clock kind, this month's
    on-time rate per clock kind with its numerator and denominator."""
    return await service.overview(session, principal, utcnow())


Days = Annotated[int, Query(ge=7, le=366, description="How many days back, today included")]


@router.get("/charts/daily", response_model=DailySeries)
async def daily(session: Session, principal: SupervisorPrincipal, days: Days = 90) -> DailySeries:
    """Registrations and resolutions per day (Asia/Shanghai)."""
    return await service.daily(session, principal, utcnow(), days)


@router.get("/charts/on-time-weekly", response_model=WeeklyRates)
async def on_time_weekly(
    session: Session, principal: SupervisorPrincipal, weeks: Annotated[int, Query(ge=2, le=104)] = 13
) -> WeeklyRates:
    """The dispatch clock's on-time rate per week, Monday to Sunday."""
    return await service.weekly_on_time(session, principal, utcnow(), weeks)


@router.get("/charts/open-cases", response_model=Counts)
async def open_cases(session: Session, principal: SupervisorPrincipal) -> Counts:
    """Open cases per town; for a town's office, per organization holding them in its town."""
    return await service.open_by_place(session, principal)


@router.get("/charts/categories", response_model=Counts)
async def categories(session: Session, principal: SupervisorPrincipal, days: Days = 90) -> Counts:
    """Cases registered per category."""
    return await service.by_category(session, principal, utcnow(), days)


@router.get("/queue", response_model=Queue)
async def dispatch_queue(
    session: Session,
    ctx: Context,
    principal: SupervisorPrincipal,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Queue:
    """待分派, soonest due first, with the routing suggestion, the rule's explanation and the qualifying
    organizations; ``targets`` are all the organizations this supervisor may dispatch to."""
    key = ctx.blind_index_key_bytes
    after = QUEUE.decode(key, cursor) if cursor else None
    found = await service.queue(session, principal, utcnow(), after, limit + 1)
    items, next_cursor = QUEUE.page(key, found, limit, lambda i: (i.dispatch_due_at, str(i.case_id)))
    targets = [service.target(o) for o in await service.dispatch_targets(session, principal)]
    return Queue(items=items, next_cursor=next_cursor, targets=targets)


def _xlsx(path: str, filename: str) -> StreamingResponse:
    return StreamingResponse(
        file_chunks(path),
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/breaches.xlsx", responses={200: {"content": {XLSX_MEDIA_TYPE: {}}}})
async def breaches_xlsx(
    session: Session,
    principal: SupervisorPrincipal,
    params: Annotated[FilterParams, Depends()],
    clock: ClockParam = "dispatch",
    state: Literal["open", "closed"] | None = None,
    due_from: Annotated[ApiDate | None, Query(description=f"Due on or after this day, {DATE_RANGE}")] = None,
    due_to: Annotated[ApiDate | None, Query(description=f"Due on or before this day, {DATE_RANGE}")] = None,
) -> StreamingResponse:
    """超期 as an Excel file: the rows of ``GET /sla/breaches`` with the same filters (newest due first),
    every page of them, with Chinese headers and real dates."""
    f = await sla_filters(
        session,
        params,
        kind=clock,
        state=state,
        due_from=day_start(due_from) if due_from else None,
        due_to=day_start(due_to + timedelta(days=1)) if due_to else None,
    )
    path = await write_xlsx("超期", exports.BREACH_COLUMNS, exports.breach_rows(session, principal, f))
    return _xlsx(path, f"breaches-{clock}.xlsx")


@router.get(
    "/on-time", response_model=OnTimeReport, responses={200: {"content": {XLSX_MEDIA_TYPE: {}}}, 422: {}}
)
async def on_time(
    session: Session,
    principal: SupervisorPrincipal,
    start: Annotated[ApiDate, Query(description=f"First day of the period, {DATE_RANGE}")],
    end: Annotated[ApiDate, Query(description=f"Last day of the period, inclusive, {DATE_RANGE}")],
    params: Annotated[FilterParams, Depends()],
    clock: ClockParam = "dispatch",
    format: Literal["json", "xlsx"] = "json",
) -> object:
    """按时率 per town and organization for a period, with 环比 (the previous period of the same length) and
    同比 (the same days a year before)."""
    if end < start:
        raise ValidationFailed([FieldError("end", "period.reversed", "The period ends before it starts.")])
    if (end - start).days > 366:
        raise ValidationFailed([FieldError("end", "period.too_long", "A period is at most a year.")])
    f = await sla_filters(session, params, kind=clock) or SlaFilters(kind=clock, town_id=-1)
    report = await on_time_report(session, principal, start, end, f)
    if format == "json":
        return report
    path = await write_xlsx("按时率", exports.RATE_COLUMNS, exports.rate_rows(report))
    return _xlsx(path, f"on-time-{clock}-{start}-{end}.xlsx")
