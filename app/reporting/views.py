"""GET /reports/statistics (JSON, xlsx, csv) and /reports/narrative: supervisors and admins, scoped."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query
from fastapi.responses import Response

from app.db import utcnow
from app.deps import Session, SupervisorPrincipal
from app.reporting import service, xlsx
from app.reporting.schemas import NarrativeOut, StatisticsOut
from app.reporting.service import Period
from app.validation import DATE_RANGE, ApiDate
from app.web import labels

router = APIRouter(prefix="/reports", tags=["reports"])

LABELS = xlsx.Labels(labels.TIER_NAMES, labels.OUTCOME_LABELS, labels.SOURCE_LABELS, labels.REFERRER_LABELS)
TITLE = "矛盾纠纷化解统计"
Town = Annotated[str | None, Query(description="Town code, e.g. LY-LC (a town justice office: its own)")]


@router.get(
    "/statistics",
    response_model=StatisticsOut,
    responses={
        200: {
            "content": {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
                "text/csv": {},
            }
        }
    },
)
async def statistics(
    session: Session,
    principal: SupervisorPrincipal,
    from_: Annotated[ApiDate, Query(alias="from", description=f"First day (Asia/Shanghai), {DATE_RANGE}")],
    to: Annotated[ApiDate, Query(description=f"Last day, inclusive, {DATE_RANGE}")],
    town: Town = None,
    organization: Annotated[str | None, Query(description="Organization code")] = None,
    format: Literal["json", "xlsx", "csv"] = "json",
) -> object:
    """The city's dispute statistics for a period, recomputed from the case records (issue #15)."""
    period = Period(from_, to)
    scope = await service.resolve_scope(session, principal, period, town, organization)
    report = await service.statistics(session, scope, period, utcnow(), comparisons=format == "json")
    name = f"statistics-{from_}-{to}"
    if format == "xlsx":
        return Response(
            xlsx.workbook(report, TITLE, LABELS),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )
    if format == "csv":
        return Response(
            xlsx.people_mediation_csv(report, LABELS),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    return report


@router.get(
    "/narrative",
    response_model=NarrativeOut,
    responses={200: {"content": {"text/plain": {}}}},
)
async def narrative_paragraph(
    session: Session,
    principal: SupervisorPrincipal,
    year: Annotated[int, Query(ge=2000, le=2100)],
    town: Town = None,
    accept: Annotated[str | None, Header()] = None,
) -> object:
    """The annual report's paragraph in Chinese (text/plain; JSON {"text"} with Accept: application/json)."""
    text = await service.narrative(session, principal, year, town, utcnow())
    if accept and "application/json" in accept:
        return NarrativeOut(text=text)
    return Response(text, media_type="text/plain; charset=utf-8")
