"""The supervisors' 统计 page (/s/statistics): the report's tables, simple bars, and the annual paragraph
with a copy button. It reads through the reporting service, as the API does, in the same scope."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from app.calendar.workdays import SHANGHAI
from app.db import utcnow
from app.deps import Session
from app.errors import DomainError
from app.models import Role
from app.reporting import narrative, service
from app.reporting.service import Period
from app.routing.engine import CITY_CHANNELS
from app.web import labels
from app.web.render import page, signed_in

router = APIRouter(prefix="/s", include_in_schema=False)
SUPERVISING = frozenset({Role.SUPERVISOR, Role.ADMIN})


def _day(raw: str | None, default: date) -> date:
    try:
        return date.fromisoformat(raw) if raw else default
    except ValueError:
        return default


@router.get("/statistics", response_class=HTMLResponse)
async def statistics_page(
    request: Request,
    session: Session,
    from_: Annotated[str | None, Query(alias="from")] = None,
    to: str | None = None,
    town: str | None = None,
) -> Response:
    principal = await signed_in(request, session)
    if isinstance(principal, Response):
        return principal
    if principal.role not in SUPERVISING:
        return page(request, principal, "missing.html", status=404)
    today = utcnow().astimezone(SHANGHAI).date()
    period = Period(_day(from_, date(today.year, 1, 1)), _day(to, today))
    try:
        scope = await service.resolve_scope(session, principal, period, town or None, None)
    except DomainError:
        return page(request, principal, "missing.html", status=404)
    report = await service.statistics(session, scope, period, utcnow())
    names = await service.queries.organization_names(session)
    place = names[scope.town_id][1] if scope.town_id is not None else "全市"
    towns = [] if not service.city_wide(principal) else await service.town_choices(session)
    return page(
        request,
        principal,
        "statistics.html",
        report=report,
        period=period,
        town=town or "",
        towns=towns,
        place=place,
        paragraph=narrative.paragraph(report, place),
        query=request.url.query,
        outcome_labels=labels.OUTCOME_LABELS,
        source_labels=labels.SOURCE_LABELS,
        referrer_labels=labels.REFERRER_LABELS,
        channels=CITY_CHANNELS,
    )
