"""The SQL of the statistical report: the fact rows ``definitions`` counts (mediation attempts grouped in
SQL by every fact the report breaks down by; administrative-review and court assignments one by one)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Float, String, and_, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Assignment, Case, ConfirmationRequest, ConfirmationStatus, Organization, OrgKind, Party
from app.reporting.definitions import (
    ADMINISTRATIVE_REVIEW,
    PEOPLE_MEDIATION_TIERS,
    Attempt,
    CourtAttempt,
    Rate,
    ReviewFacts,
)
from app.sla import service as sla_service


@dataclass(frozen=True)
class Scope:
    """The period [start, end) and the town / organization the figures are limited to."""

    start: datetime
    end: datetime
    town_id: int | None = None
    organization_id: int | None = None

    def conditions(self, town: Any, organization: Any) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.town_id is not None:
            found.append(town == self.town_id)
        if self.organization_id is not None:
            found.append(organization == self.organization_id)
        return found


def _ended_within(scope: Scope) -> list[ColumnElement[bool]]:
    return [Assignment.ended_at >= scope.start, Assignment.ended_at < scope.end]


_party_count = (
    select(func.count()).where(Party.case_id == Assignment.case_id).correlate(Assignment).scalar_subquery()
)
# The agreement recorded with the outcome (JSON written by the outcome action), read on both databases.
_agreement_type = Assignment.outcome_detail["agreement_type"].as_string()
# Amounts are stored as decimal strings with at most two places: × 100 and rounded, they sum exactly in fen.
_amount_fen = cast(
    func.round(cast(Assignment.outcome_detail["agreed_amount"].as_string(), Float(53)) * 100), BigInteger
)
_mass = cast(Case.routing_flags, String).like('%"mass_dispute"%')
_high_risk = Case.risk_level == "high"


async def mediation_attempts(session: AsyncSession, scope: Scope) -> list[Attempt]:
    """Accepted people's-mediation assignments that ended in the period (not declined: never accepted),
    counted in SQL by every fact the report breaks down by (one row per group, not per attempt)."""
    dimensions = (
        Assignment.organization_id,
        Assignment.tier,
        Case.town_org_id,
        Case.category,
        Assignment.end_reason,
        Assignment.outcome,
        _agreement_type,
        _high_risk,
        _mass,
        Case.source,
        Case.referred_by,
    )
    stmt = (
        select(*dimensions, func.count(), func.sum(_amount_fen), func.sum(_party_count))
        .join(Case, Case.id == Assignment.case_id)
        .join(Organization, Organization.id == Assignment.organization_id)
        .where(
            *_ended_within(scope),
            Assignment.accepted_at.is_not(None),
            Assignment.end_reason.in_(("resolved", "withdrawn", "escalated")),
            Assignment.tier.in_(PEOPLE_MEDIATION_TIERS),
            or_(Organization.channel.is_(None), Organization.channel != ADMINISTRATIVE_REVIEW),
            *scope.conditions(Case.town_org_id, Assignment.organization_id),
        )
        .group_by(*dimensions)
    )
    return [
        Attempt(
            case_id=None,
            organization_id=r[0],
            tier=r[1],
            town_id=r[2],
            category=r[3],
            end_reason=r[4],
            outcome=r[5],
            ended_at=scope.start,
            agreement_type=r[6],
            agreed_amount=Decimal(int(r[12])) / 100 if r[12] is not None else None,
            parties=int(r[13] or 0),
            risk_level="high" if r[7] else "low",
            mass_dispute=bool(r[8]),
            source=r[9],
            referred_by=r[10],
            count=int(r[11]),
        )
        for r in await session.execute(stmt)
    ]


async def review_assignments(session: AsyncSession, scope: Scope) -> list[ReviewFacts]:
    """Assignments to the administrative-review channel that entered, were accepted or ended in the period."""
    within = [
        and_(column >= scope.start, column < scope.end)
        for column in (Assignment.dispatched_at, Assignment.accepted_at, Assignment.ended_at)
    ]
    stmt = (
        select(
            Assignment.case_id,
            Assignment.dispatched_at,
            Assignment.accepted_at,
            Assignment.ended_at,
            Assignment.end_reason,
            Assignment.outcome,
        )
        .join(Case, Case.id == Assignment.case_id)
        .join(Organization, Organization.id == Assignment.organization_id)
        .where(
            Organization.channel == ADMINISTRATIVE_REVIEW,
            or_(*within),
            *scope.conditions(Case.town_org_id, Assignment.organization_id),
        )
    )
    return [ReviewFacts(*r) for r in await session.execute(stmt)]


async def court_attempts(session: AsyncSession, scope: Scope) -> list[CourtAttempt]:
    stmt = (
        select(Assignment.case_id, Assignment.outcome)
        .join(Case, Case.id == Assignment.case_id)
        .where(
            *_ended_within(scope),
            Assignment.tier == "court",
            Assignment.end_reason == "resolved",
            *scope.conditions(Case.town_org_id, Assignment.organization_id),
        )
    )
    return [CourtAttempt(*r) for r in await session.execute(stmt)]


async def judicial_confirmation(session: AsyncSession, scope: Scope) -> dict[str, int]:
    """Judicial-confirmation requests made in the period, and the court's answers given in it."""
    requests = ConfirmationRequest
    where = scope.conditions(Case.town_org_id, requests.requested_by_org_id)
    requested, confirmed, refused = (
        await session.execute(
            select(
                func.count().filter(requests.requested_at >= scope.start, requests.requested_at < scope.end),
                func.count().filter(
                    requests.status == ConfirmationStatus.CONFIRMED,
                    requests.answered_at >= scope.start,
                    requests.answered_at < scope.end,
                ),
                func.count().filter(
                    requests.status == ConfirmationStatus.REFUSED,
                    requests.answered_at >= scope.start,
                    requests.answered_at < scope.end,
                ),
            )
            .join(Case, Case.id == requests.case_id)
            .where(
                or_(
                    and_(requests.requested_at >= scope.start, requests.requested_at < scope.end),
                    and_(requests.answered_at >= scope.start, requests.answered_at < scope.end),
                ),
                *where,
            )
        )
    ).one()
    return {"requested": int(requested or 0), "confirmed": int(confirmed or 0), "refused": int(refused or 0)}


async def dispatch_within_deadline(session: AsyncSession, scope: Scope, now: datetime) -> Rate:
    """Dispatch clocks due in the period: met ÷ (met + missed), a clock still running past due being
    missed and one ended early by a withdrawal left out (the deadlines' own count, app.sla.service)."""
    counts = await sla_service.on_time(
        session,
        kind="dispatch",
        start=scope.start,
        end=scope.end,
        town_id=scope.town_id,
        organization_id=scope.organization_id,
        now=now,
    )
    return Rate(counts.met, counts.met + counts.missed)


async def organization_names(session: AsyncSession) -> dict[int, tuple[str, str]]:
    """Every organization's code and name (a city has a few hundred)."""
    rows = await session.execute(select(Organization.id, Organization.code, Organization.name))
    return {r[0]: (r[1], r[2]) for r in rows}


async def towns(session: AsyncSession) -> list[tuple[str, str]]:
    rows = await session.execute(
        select(Organization.code, Organization.name)
        .where(Organization.kind == OrgKind.TOWN)
        .order_by(Organization.code)
    )
    return [(r[0], r[1]) for r in rows]
