"""What each lifecycle action does besides the state change: assignments, routing, clocks, outcomes.

Who may act is decided in ``app.cases.permissions`` (the same rules the case page's buttons come from):
each action here first calls ``permissions.require`` with the case's facts, then ``transition``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.auth.scope import may_dispatch_to
from app.calendar.workdays import SHANGHAI
from app.cases.lifecycle import Action, escalation_tier, outcomes_for
from app.cases.permissions import ESCALATION_SELECTORS, is_holder, refuse, require
from app.cases.transitions import Actor, Loaded, transition
from app.errors import Conflict, FieldError, ValidationFailed
from app.models import Assignment, Case, ClockKind, Organization
from app.routing import service as routing
from app.routing.engine import target_label
from app.sla import clock as clocks

# 人民调解法 第三十三条: the parties may jointly apply for judicial confirmation within 30 days of the
# mediation agreement taking effect.
JUDICIAL_CONFIRMATION_WINDOW = timedelta(days=30)


def _holder(principal: Principal, loaded: Loaded, action: str, what: str) -> Assignment:
    require(action, principal, loaded.facts, what)
    assert loaded.assignment is not None  # the holder rules need an open assignment
    return loaded.assignment


async def _org(session: AsyncSession, org_id: int) -> Organization:
    return (await session.execute(select(Organization).where(Organization.id == org_id))).scalar_one()


def dispatch_to(
    loaded: Loaded, org: Organization, actor: Actor, now: datetime, *, auto: bool, note: str | None
) -> None:
    """pending_dispatch → dispatched: a new assignment carrying the clock it stops."""
    case = loaded.case
    assert case.dispatch_clock_started_at is not None
    late = case.dispatch_due_at is not None and now > case.dispatch_due_at
    transition(
        loaded,
        Action.DISPATCH,
        actor,
        now,
        reason=note,
        data={"organization": org.code, "tier": org.tier, "auto": auto, "late": late},
    )
    loaded.assignment = Assignment(
        case_id=case.id,
        organization_id=org.id,
        tier=org.tier,
        clock_started_at=case.dispatch_clock_started_at,
        dispatch_due_at=case.dispatch_due_at,
        dispatched_at=now,
        town_org_id=case.town_org_id,
        dispatched_by_user_id=actor.user_id,
        auto_dispatched=auto,
    )
    case.current_org_id = org.id
    case.current_tier = org.tier


async def auto_dispatch(
    session: AsyncSession, loaded: Loaded, actor: Actor, now: datetime, excluded: set[int]
) -> Organization | None:
    """Dispatch at once when exactly one active organization qualifies; otherwise wait for a supervisor."""
    found = await routing.candidates_for_case(session, loaded.case, excluded)
    if found.single is None:
        return None
    await clocks.stop_running(session, loaded.case, now, "dispatched")
    dispatch_to(loaded, found.single, actor, now, auto=True, note=None)
    session.add(loaded.assignment)
    await clocks.start(session, loaded.case, ClockKind.ACCEPTANCE, now, found.single)
    return found.single


async def dispatch(
    session: AsyncSession,
    principal: Principal,
    loaded: Loaded,
    org_code: str,
    note: str | None,
    now: datetime,
) -> None:
    require(Action.DISPATCH, principal, loaded.facts)
    org = (
        await session.execute(select(Organization).where(Organization.code == org_code))
    ).scalar_one_or_none()
    if org is None or org.kind not in routing.MEDIATING_KINDS:
        raise ValidationFailed(
            [
                FieldError(
                    "organization_code",
                    "organization.not_mediating",
                    "No mediating organization with this code.",
                )
            ]
        )
    if not may_dispatch_to(principal, org.kind, org.town_id):
        # The case is in the caller's scope (so not 404) and the organizations are public: the value chosen
        # is what is wrong.
        raise ValidationFailed(
            [
                FieldError(
                    "organization_code",
                    "dispatch.target_out_of_scope",
                    "A town justice office dispatches only to its own town's organizations and to city-wide "
                    "ones (specialised committees, the city center and its channels, the court).",
                )
            ]
        )
    if not org.active:
        raise Conflict(f"{org.name} is deactivated and receives no dispatches.", code="organization.inactive")
    await clocks.stop_running(session, loaded.case, now, "dispatched")
    dispatch_to(loaded, org, Actor.of(principal), now, auto=False, note=note)
    session.add(loaded.assignment)
    await clocks.start(session, loaded.case, ClockKind.ACCEPTANCE, now, org)


async def accept(
    session: AsyncSession, principal: Principal, loaded: Loaded, note: str | None, now: datetime
) -> None:
    assignment = _holder(principal, loaded, Action.ACCEPT, "accept")
    transition(loaded, Action.ACCEPT, Actor.of(principal), now, reason=note)
    assignment.accepted_at = now
    await clocks.stop_running(session, loaded.case, now, "accepted")
    await clocks.start(
        session, loaded.case, ClockKind.MEDIATION, now, await _org(session, assignment.organization_id)
    )


async def _back_to_pending(session: AsyncSession, loaded: Loaded, now: datetime) -> None:
    case = loaded.case
    case.current_org_id = None
    case.current_tier = None
    await clocks.start(session, case, ClockKind.DISPATCH, now)


async def decline(
    session: AsyncSession,
    principal: Principal,
    loaded: Loaded,
    reason: str,
    now: datetime,
) -> None:
    """dispatched → pending_dispatch, new clock; the decliner is excluded from the next auto-dispatch."""
    assignment = _holder(principal, loaded, Action.DECLINE, "decline")
    actor = Actor.of(principal)
    transition(
        loaded,
        Action.DECLINE,
        actor,
        now,
        reason=reason,
        data={"organization_id": assignment.organization_id},
    )
    assignment.declined_at = assignment.ended_at = now
    await clocks.stop_running(session, loaded.case, now, "declined")
    assignment.decline_reason = reason
    assignment.end_reason = "declined"
    if assignment.tier == "court":
        # The court sends what it will not take back to the city non-litigation center (DESIGN: 1+1+N).
        case = loaded.case
        case.routing_tier, case.routing_selector, case.routing_channel = (
            "city_center",
            "city_channel",
            "general",
        )
        case.routing_rule_id = "court-declined"
        case.routing_explanation = f"法院分中心退回：{reason}；转市级非诉讼服务中心。"
    await _back_to_pending(session, loaded, now)
    loaded.assignment = None
    await session.flush()
    await auto_dispatch(session, loaded, actor, now, excluded={assignment.organization_id})


async def escalate(
    session: AsyncSession,
    principal: Principal,
    loaded: Loaded,
    reason: str,
    now: datetime,
) -> None:
    """in_mediation → pending_dispatch one rung up; the lower tier's attempt is recorded as failed."""
    if not is_holder(principal, loaded.facts):
        raise refuse("escalate")
    assignment = loaded.assignment
    assert assignment is not None
    case = loaded.case
    # may_escalate's second half: the court holds the top rung (409, like a transition out of place).
    to_tier = escalation_tier(assignment.tier)
    if to_tier is None:
        raise Conflict("The court sub-center is the top of the ladder.", code="escalation.top_tier")
    selector, channel = ESCALATION_SELECTORS[to_tier]
    actor = Actor.of(principal)
    transition(
        loaded,
        Action.ESCALATE,
        actor,
        now,
        reason=reason,
        data={"from_tier": assignment.tier, "to_tier": to_tier},
    )
    assignment.ended_at = now
    assignment.end_reason = "escalated"
    await clocks.stop_running(session, case, now, "escalated")
    assignment.outcome = "failed"
    where = target_label(to_tier, selector, channel, case.category)
    case.routing_tier, case.routing_selector, case.routing_channel = to_tier, selector, channel
    case.routing_rule_id = "escalation"
    case.routing_explanation = (
        f"原承办层级（{assignment.tier}）调解不成或超出职责，上交：{reason}；分派至{where}。"
    )
    found = await routing.candidates_for_case(session, case)
    case.routing_org_id = found.single.id if found.single else None
    await _back_to_pending(session, loaded, now)
    loaded.assignment = None
    await session.flush()
    if found.single is None:
        case.routing_explanation += routing.no_target_note(len(found.organizations))
    await auto_dispatch(session, loaded, actor, now, excluded=set())


def _resolve(
    case: Case, assignment: Assignment | None, outcome: str, detail: dict[str, Any], now: datetime
) -> None:
    case.outcome = outcome
    case.resolved_at = now
    if assignment is not None:
        assignment.ended_at = now
        assignment.end_reason = "withdrawn" if outcome == "withdrawn" else "resolved"
        assignment.outcome = outcome
        assignment.outcome_detail = detail
        case.resolved_tier = assignment.tier
        case.resolved_org_id = assignment.organization_id


def _check_effective_on(case: Case, effective: str | None) -> None:
    """An agreement cannot take effect before the case was received (the body bounds it in the future)."""
    received_on = case.received_at.astimezone(SHANGHAI).date()
    if effective and date.fromisoformat(effective) < received_on:
        raise ValidationFailed(
            [
                FieldError(
                    "agreement_effective_on",
                    "agreement_effective_on.before_received",
                    f"The agreement cannot take effect before the case was received ({received_on}).",
                )
            ]
        )


async def record_outcome(
    session: AsyncSession,
    principal: Principal,
    loaded: Loaded,
    outcome: str,
    detail: dict[str, Any],
    now: datetime,
) -> None:
    assignment = _holder(principal, loaded, Action.OUTCOME, "record the outcome of")
    allowed = outcomes_for(assignment.tier, loaded.facts.holder_channel)
    if outcome not in allowed:
        raise ValidationFailed(
            [
                FieldError(
                    "outcome", "outcome.not_allowed_here", f"This organization may record: {sorted(allowed)}."
                )
            ]
        )
    _check_effective_on(loaded.case, detail.get("agreement_effective_on"))
    if detail.get("court_case_number") and assignment.tier != "court":
        raise ValidationFailed(
            [
                FieldError(
                    "court_case_number",
                    "court_case_number.not_court",
                    "Only the court sub-center's outcomes carry a court case number (案号).",
                )
            ]
        )
    transition(
        loaded,
        Action.OUTCOME,
        Actor.of(principal),
        now,
        reason=detail.get("note"),
        data={"outcome": outcome, **detail},
    )
    _resolve(loaded.case, assignment, outcome, detail, now)
    await clocks.stop_running(
        session, loaded.case, now, "withdrawn" if outcome == "withdrawn" else "resolved"
    )
    if outcome == "settled":
        effective = detail.get("agreement_effective_on")
        start = date.fromisoformat(effective) if effective else now.astimezone(SHANGHAI).date()
        loaded.case.judicial_confirmation_due_on = start + JUDICIAL_CONFIRMATION_WINDOW
    loaded.assignment = None


async def withdraw(
    session: AsyncSession,
    principal: Principal,
    loaded: Loaded,
    reason: str,
    now: datetime,
) -> None:
    require(Action.WITHDRAW, principal, loaded.facts)
    case, assignment = loaded.case, loaded.assignment
    await clocks.stop_running(session, case, now, "withdrawn")
    transition(
        loaded, Action.WITHDRAW, Actor.of(principal), now, reason=reason, data={"outcome": "withdrawn"}
    )
    _resolve(case, assignment, "withdrawn", {"reason": reason}, now)
    case.current_org_id = case.current_org_id if assignment else None
    loaded.assignment = None


def close(
    principal: Principal,
    loaded: Loaded,
    follow_up_note: str,
    now: datetime,
    detail: dict[str, Any] | None = None,
) -> None:
    """resolved → closed after the follow-up visit; ``detail``: the visit's date and whether the agreement
    was performed, kept on the audit event."""
    require(Action.CLOSE, principal, loaded.facts)
    case = loaded.case
    transition(loaded, Action.CLOSE, Actor.of(principal), now, reason=follow_up_note, data=detail)
    case.closed_at = now
