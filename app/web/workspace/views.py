"""The supervisors' pages under /s/: 工作台, 待分派, 超期/预警, 督办, a case, 按时率.

Pages only authenticate, read through the workspace's services (the JSON endpoints' own) and render; the
actions (分派, 督办, 答复, 撤回) post to the JSON API from ``s.js`` with the session's CSRF token."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.calendar.service import calendar_in_force
from app.cases import repository as case_repo
from app.db import utcnow
from app.deps import Session
from app.models import Tier
from app.routing.engine import CATEGORIES
from app.sla import queries as sla_queries
from app.urges import repository as urge_repo
from app.urges.presenter import present_urges
from app.urges.rules import CLOCK_LABELS, at_risk_horizon
from app.web.render import signed_in
from app.web.workspace import queries
from app.web.workspace.assets import serve_asset
from app.web.workspace.render import SUPERVISING_ROLES, page
from app.workspace import service
from app.workspace.days import day_start, today
from app.workspace.filters import FilterParams, sla_filters
from app.workspace.rates import on_time_report

router = APIRouter(prefix="/s", include_in_schema=False)
LIST_LIMIT = 200


@router.get("/static/{name}")
async def static_asset(name: str, request: Request) -> Response:
    return serve_asset(name, request)


async def supervisor(request: Request, session: AsyncSession) -> Principal | Response:
    """The signed-in supervisor, or where to send anyone else (the login form; a mediator to /m/)."""
    principal = await signed_in(request, session)
    if isinstance(principal, Response):
        return principal
    if principal.role not in SUPERVISING_ROLES:
        return RedirectResponse("/m/", status_code=303)
    return principal


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, session: Session) -> Response:
    principal = await supervisor(request, session)
    if isinstance(principal, Response):
        return principal
    overview = await service.overview(session, principal, utcnow())
    return page(request, principal, "s_home.html", overview=overview, charts=True)


@router.get("/queue", response_class=HTMLResponse)
async def dispatch_queue(request: Request, session: Session) -> Response:
    principal = await supervisor(request, session)
    if isinstance(principal, Response):
        return principal
    items = await service.queue(session, principal, utcnow(), None, LIST_LIMIT)
    targets = [service.target(o) for o in await service.dispatch_targets(session, principal)]
    return page(request, principal, "s_queue.html", items=items, targets=targets, limit=LIST_LIMIT)


def _filter_params(q: dict[str, str]) -> FilterParams:
    """The list filters from the page's query string; a value that is not one of the choices is ignored."""
    tier = q.get("tier") if q.get("tier") in {t.value for t in Tier} else None
    category = q.get("category") if q.get("category") in CATEGORIES else None
    return FilterParams(
        town=q.get("town") or None,
        organization=q.get("organization") or None,
        tier=Tier(tier) if tier else None,
        category=category,
    )


def _clock(value: str | None) -> str:
    return value if value is not None and value in CLOCK_LABELS else "dispatch"


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@router.get("/sla", response_class=HTMLResponse)
async def sla_lists(request: Request, session: Session) -> Response:
    """超期 (breaches) or 预警 (at risk) of one clock kind, with filters, sortable by lateness."""
    principal = await supervisor(request, session)
    if isinstance(principal, Response):
        return principal
    q = dict(request.query_params)
    kind = "at-risk" if q.get("list") == "at-risk" else "breaches"
    clock = _clock(q.get("clock"))
    state = q.get("state") if q.get("state") in ("open", "closed") else None
    sort = "lateness" if q.get("sort") == "lateness" else "due"
    start, end = _day(q.get("from")), _day(q.get("to"))
    params = _filter_params(q)
    now = utcnow()
    rows: list[Any] = []
    if kind == "breaches":
        f = await sla_filters(
            session,
            params,
            kind=clock,
            state=state,
            due_from=day_start(start) if start else None,
            due_to=day_start(end + timedelta(days=1)) if end else None,
        )
        if f is not None:
            rows = list(
                await sla_queries.breaches(
                    session, principal, f, sort=sort, now=now, after=None, limit=LIST_LIMIT
                )
            )
    else:
        f = await sla_filters(session, params, kind=clock)
        horizon = at_risk_horizon(clock, now, await calendar_in_force(session))
        if f is not None:
            rows = list(
                await sla_queries.at_risk(
                    session, principal, f, now=now, horizon=horizon, after=None, limit=LIST_LIMIT
                )
            )
    orgs = await case_repo.orgs_by_ids(
        session, [i for r in rows for i in (r[0].town_org_id, r[0].organization_id)]
    )
    export = {k: v for k, v in q.items() if k in ("town", "organization", "tier", "category", "state") and v}
    export["clock"] = clock
    if start:
        export["due_from"] = start.isoformat()
    if end:
        export["due_to"] = end.isoformat()
    return page(
        request,
        principal,
        "s_sla.html",
        kind=kind,
        clock=clock,
        rows=rows,
        orgs=orgs,
        q=q,
        now=now,
        export=export,
        choices=await queries.filter_choices(session, principal),
        limit=LIST_LIMIT,
    )


def _mine(rows: Sequence[Any], principal: Principal) -> set[int]:
    """The 督办 this supervisor's office must answer."""
    return {u.id for u, _, _ in rows if u.holder_org_id == principal.organization_id}


@router.get("/urges", response_class=HTMLResponse)
async def urges(request: Request, session: Session) -> Response:
    principal = await supervisor(request, session)
    if isinstance(principal, Response):
        return principal
    status = request.query_params.get("status")
    status = status if status in ("open", "answered", "overdue") else None
    now = utcnow()
    rows = await urge_repo.list_urges(session, principal, status, today(now), limit=LIST_LIMIT)
    items = await present_urges(session, rows, now)
    return page(
        request, principal, "s_urges.html", items=items, selected=status, answerable=_mine(rows, principal)
    )


@router.get("/cases/{case_id}", response_class=HTMLResponse)
async def case_page(case_id: str, request: Request, session: Session) -> Response:
    principal = await supervisor(request, session)
    if isinstance(principal, Response):
        return principal
    try:
        found = await queries.case_detail(session, principal, uuid.UUID(case_id))
    except ValueError:
        found = None
    if found is None:
        return page(request, principal, "missing.html", status=404)
    case, timeline = found
    now = utcnow()
    rows = await urge_repo.case_urges(session, case["id"])
    history = await present_urges(session, rows, now)
    targets = [service.target(o) for o in await service.dispatch_targets(session, principal)]
    return page(
        request,
        principal,
        "s_case.html",
        case=case,
        timeline=timeline,
        clocks=await queries.case_clocks(session, case["id"]),
        urges=history,
        answerable=_mine(rows, principal),
        targets=targets,
        min_report_day=today(now).isoformat(),
    )


@router.get("/rates", response_class=HTMLResponse)
async def rates(request: Request, session: Session) -> Response:
    """按时率 for a period (this month so far by default), with 环比 and 同比."""
    principal = await supervisor(request, session)
    if isinstance(principal, Response):
        return principal
    q = dict(request.query_params)
    day = today(utcnow())
    start = _day(q.get("start")) or day.replace(day=1)
    end = _day(q.get("end")) or day
    if end < start or (end - start).days > 366:
        start, end = day.replace(day=1), day
    try:
        params = _filter_params(q)
    except ValidationError:
        params = FilterParams()
    clock = _clock(q.get("clock"))
    f = await sla_filters(session, params, kind=clock)
    report = await on_time_report(session, principal, start, end, f) if f else None
    export = {"start": start.isoformat(), "end": end.isoformat(), "format": "xlsx", "clock": clock}
    export |= {k: v for k, v in q.items() if k in ("town", "organization") and v}
    return page(
        request,
        principal,
        "s_rates.html",
        clock=clock,
        report=report,
        start=start,
        end=end,
        q=q,
        export=export,
        choices=await queries.filter_choices(session, principal),
    )
