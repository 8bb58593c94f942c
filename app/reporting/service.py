"""The statistical report for a period and scope: ``definitions``' figures on ``queries``' rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.calendar.workdays import SHANGHAI
from app.errors import FieldError, NotFound, ValidationFailed
from app.models import OrgKind, Role
from app.organizations.lookup import codes_to_ids
from app.reporting import queries
from app.reporting.definitions import (
    DEFAULT_DEFINITIONS,
    Definitions,
    administrative_review,
    court_resolved,
    people_mediation,
)
from app.reporting.narrative import paragraph
from app.reporting.queries import Scope

HEADLINE = ("mediated", "settled", "resolved_cases", "success_rate", "grassroots_share")


@dataclass(frozen=True)
class Period:
    first: date
    last: date  # inclusive

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(0), SHANGHAI)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(0), SHANGHAI)

    def previous(self) -> Period:
        """环比: the period of the same length just before."""
        days = (self.last - self.first).days + 1
        return Period(self.first - timedelta(days=days), self.first - timedelta(days=1))

    def year_before(self) -> Period:
        """同比: the same days a year earlier (29 February becomes the 28th)."""
        return Period(_year_back(self.first), _year_back(self.last))

    def as_json(self) -> dict[str, str]:
        return {"from": self.first.isoformat(), "to": self.last.isoformat()}


def _year_back(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def city_wide(principal: Principal) -> bool:
    return principal.role == Role.ADMIN or principal.organization_kind == OrgKind.JUSTICE_BUREAU


async def resolve_scope(
    session: AsyncSession,
    principal: Principal,
    period: Period,
    town: str | None,
    organization: str | None,
) -> Scope:
    """A town justice office sees its own town only; another town is 404, as everywhere."""
    if period.last < period.first:
        raise ValidationFailed([FieldError("to", "to.before_from", "The period ends before it starts.")])
    ids = await codes_to_ids(session, [c for c in (town, organization) if c])
    for field, code in (("town", town), ("organization", organization)):
        if code and code not in ids:
            raise ValidationFailed([FieldError(field, f"{field}.unknown", "No organization with this code.")])
    town_id = ids.get(town) if town else None
    if not city_wide(principal):
        if town_id is not None and town_id != principal.town_id:
            raise NotFound()
        town_id = principal.town_id
    return Scope(period.start, period.end, town_id, ids.get(organization) if organization else None)


def _shifted(scope: Scope, period: Period) -> Scope:
    return Scope(period.start, period.end, scope.town_id, scope.organization_id)


async def statistics(
    session: AsyncSession,
    scope: Scope,
    period: Period,
    now: datetime,
    definitions: Definitions = DEFAULT_DEFINITIONS,
    *,
    comparisons: bool = True,
) -> dict[str, Any]:
    """Every section of the report; with 同比 and 环比 of the headline figures."""
    names = await queries.organization_names(session)
    mediation = people_mediation(await queries.mediation_attempts(session, scope), names)
    report: dict[str, Any] = {
        "period": period.as_json(),
        "people_mediation": mediation,
        "court_subcenter": {
            "resolved": court_resolved(await queries.court_attempts(session, scope)),
            "judicial_confirmation": await queries.judicial_confirmation(session, scope),
        },
        "administrative_review": administrative_review(
            await queries.review_assignments(session, scope), scope.start, scope.end, definitions
        ),
        "dispatch": {
            "within_deadline": (await queries.dispatch_within_deadline(session, scope, now)).as_json()
        },
    }
    if comparisons:
        report["comparisons"] = {
            "year_over_year": await _headline(session, scope, period.year_before(), names),
            "period_over_period": await _headline(session, scope, period.previous(), names),
        }
    return report


async def _headline(
    session: AsyncSession, scope: Scope, period: Period, names: dict[int, tuple[str, str]]
) -> dict[str, Any]:
    figures = people_mediation(await queries.mediation_attempts(session, _shifted(scope, period)), names)
    return {"period": period.as_json(), **{key: figures[key] for key in HEADLINE}}


async def narrative(
    session: AsyncSession, principal: Principal, year: int, town: str | None, now: datetime
) -> str:
    """The annual report's paragraph for ``year``: the city's (全市), or a town's under its name."""
    period = Period(date(year, 1, 1), date(year, 12, 31))
    scope = await resolve_scope(session, principal, period, town, None)
    report = await statistics(session, scope, period, now, comparisons=False)
    place = "全市"
    if scope.town_id is not None:
        place = (await queries.organization_names(session))[scope.town_id][1]
    return paragraph(report, place)


async def town_choices(session: AsyncSession) -> list[tuple[str, str]]:
    """The towns a city-wide supervisor may pick, as (code, name)."""
    return await queries.towns(session)
