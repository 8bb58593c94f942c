"""What this principal may do on this case now: the one answer the endpoints and the pages share.

An action is offered when the state table allows it (``lifecycle.allowed_actions``, for the transitions) and
the who-may rule below says yes. ``app.cases.actions`` enforces the SAME rules through :func:`require`, so
the buttons a page shows and what the endpoints accept never disagree. Adding an action is one line in
:data:`RULES` (plus its state in the lifecycle table, or its own state check for an audited event that keeps
the state, like ``request_confirmation``).

Who may act (DESIGN.md, roles): supervisors dispatch within their scope; only the organization holding the
case accepts, declines, escalates or records its outcome; withdrawal also by the supervising office, and
by the registering committee while nobody holds the case; closing (after the follow-up visit) by the
organization that resolved it, the registering committee or the supervising office. Seeing a case is not
enough to act on it (403 ``action_not_permitted``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.auth.scope import supervises_town
from app.calendar.workdays import SHANGHAI
from app.cases.lifecycle import Action, escalation_tier, next_status, outcomes_for
from app.db import utcnow
from app.errors import Conflict, DomainError, Forbidden
from app.models import (
    Assignment,
    Case,
    CaseStatus,
    ConfirmationRequest,
    ConfirmationStatus,
    Organization,
    Role,
)
from app.routing.engine import target_label

# How an escalation picks the next rung's organization: tier → (selector, channel).
ESCALATION_SELECTORS: dict[str, tuple[str, str | None]] = {
    "town": ("case_town_station", None),
    "city_center": ("city_channel", "general"),
    "court": ("court", None),
}

# An audited event that keeps the state (transitions.record), not a row of the lifecycle table.
REQUEST_CONFIRMATION = "request_confirmation"


@dataclass(frozen=True)
class CaseFacts:
    """What the who-may rules read about a case: its row, the open assignment and its organization."""

    status: str
    town_org_id: int | None
    intake_org_id: int
    resolved_org_id: int | None
    category: str
    holder_org_id: int | None = None  # the open assignment's organization
    holder_tier: str | None = None
    holder_channel: str | None = None
    outcome: str | None = None
    agreement_type: str | None = None
    judicial_confirmation_due_on: date | None = None
    # The case's confirmation request that still counts: requested (awaiting the court) or confirmed; a
    # refused one does not (a new request may follow within the 30 days).
    confirmation_status: str | None = None
    today: date | None = None  # Asia/Shanghai


@dataclass(frozen=True)
class EscalationTarget:
    tier: str
    label: str  # Chinese, e.g. "市级非诉讼服务中心"


@dataclass(frozen=True)
class CaseAbilities:
    actions: list[str]
    outcomes: list[str]
    escalation: EscalationTarget | None
    may_reveal_contact: bool
    may_read_contact_log: bool


Rule = Callable[[Principal, CaseFacts], bool]


def is_holder(principal: Principal, facts: CaseFacts) -> bool:
    return facts.holder_org_id is not None and facts.holder_org_id == principal.organization_id


def may_dispatch(principal: Principal, facts: CaseFacts) -> bool:
    return supervises_town(principal, facts.town_org_id)


def may_escalate(principal: Principal, facts: CaseFacts) -> bool:
    return is_holder(principal, facts) and escalation_of(facts) is not None


def may_withdraw(principal: Principal, facts: CaseFacts) -> bool:
    return (
        supervises_town(principal, facts.town_org_id)
        or is_holder(principal, facts)
        or (facts.holder_org_id is None and facts.intake_org_id == principal.organization_id)
    )


def may_close(principal: Principal, facts: CaseFacts) -> bool:
    return supervises_town(principal, facts.town_org_id) or principal.organization_id in (
        facts.resolved_org_id,
        facts.intake_org_id,
    )


def confirmation_refusal(principal: Principal, facts: CaseFacts) -> DomainError | None:
    """Why this caller may not request judicial confirmation now (None: it may). 人民调解法 第33条: a settled
    written agreement, by the organization that mediated it, within 30 days of it taking effect
    (``judicial_confirmation_due_on``), one open request at a time. The case keeps its state."""
    if principal.role != Role.MEDIATOR or facts.resolved_org_id != principal.organization_id:
        return refuse("request judicial confirmation of")
    if facts.status not in (CaseStatus.RESOLVED, CaseStatus.CLOSED) or facts.outcome != "settled":
        return Conflict(
            "Judicial confirmation is requested for a settled case.", code="confirmation.not_settled"
        )
    if facts.agreement_type != "written":
        return Conflict(
            "Only a written mediation agreement can be confirmed by the court.",
            code="confirmation.not_written",
        )
    due = facts.judicial_confirmation_due_on
    if due is None or facts.today is None or facts.today > due:
        return Conflict(
            f"The 30 days to apply for judicial confirmation ended on {due} (人民调解法 第33条).",
            code="confirmation.window_closed",
        )
    if facts.confirmation_status == ConfirmationStatus.REQUESTED:
        return Conflict(
            "A request for judicial confirmation already awaits the court's answer.",
            code="confirmation.already_requested",
        )
    if facts.confirmation_status == ConfirmationStatus.CONFIRMED:
        return Conflict(
            "The court has confirmed this agreement already.", code="confirmation.already_confirmed"
        )
    return None


def may_request_confirmation(principal: Principal, facts: CaseFacts) -> bool:
    return confirmation_refusal(principal, facts) is None


# action → who may do it. The lifecycle table says from which states (checked in :func:`permitted`).
RULES: dict[str, Rule] = {
    Action.DISPATCH: may_dispatch,
    Action.ACCEPT: is_holder,
    Action.DECLINE: is_holder,
    Action.ESCALATE: may_escalate,
    Action.OUTCOME: is_holder,
    Action.WITHDRAW: may_withdraw,
    Action.CLOSE: may_close,
    Action.EXTEND: is_holder,
    REQUEST_CONFIRMATION: may_request_confirmation,
}


def in_state(action: str, status: str) -> bool:
    """Transitions follow the lifecycle table; the other actions check the state in their rule."""
    if action in Action.__members__.values():
        return next_status(Action(action), status) is not None
    return True


def permitted(principal: Principal, facts: CaseFacts) -> list[str]:
    return [
        str(action)
        for action, rule in RULES.items()
        if in_state(action, facts.status) and rule(principal, facts)
    ]


def refuse(what: str) -> Forbidden:
    return Forbidden(f"Your organization may not {what} this case.", code="action_not_permitted")


def require(action: str, principal: Principal, facts: CaseFacts, what: str | None = None) -> None:
    """Refuse (403) who may not act. The state is checked by the transition itself (409), so that an action
    out of place reads as such whoever asks."""
    if not RULES[action](principal, facts):
        raise refuse(what or action)


def escalation_of(facts: CaseFacts) -> EscalationTarget | None:
    if facts.holder_tier is None:
        return None
    tier = escalation_tier(facts.holder_tier)
    if tier is None:
        return None
    selector, channel = ESCALATION_SELECTORS[tier]
    return EscalationTarget(tier, target_label(tier, selector, channel, facts.category))


def outcome_choices(facts: CaseFacts) -> list[str]:
    if facts.holder_tier is None:
        return []
    return sorted(str(o) for o in outcomes_for(facts.holder_tier, facts.holder_channel))


def may_reveal_contact(principal: Principal, facts: CaseFacts) -> bool:
    """The organization that must phone and visit the parties: the holder (and the resolver until the
    follow-up visit closes the case), and the registering committee while the case is with it (it holds it,
    or nobody does yet)."""
    if principal.role != Role.MEDIATOR:
        return False
    org = principal.organization_id
    if facts.status == CaseStatus.CLOSED:
        return False
    if facts.status == CaseStatus.RESOLVED:
        return facts.resolved_org_id == org
    if facts.holder_org_id == org:
        return True
    return facts.intake_org_id == org and facts.status == CaseStatus.PENDING_DISPATCH


def may_read_contact_log(principal: Principal, facts: CaseFacts) -> bool:
    return supervises_town(principal, facts.town_org_id)


def abilities_of(principal: Principal, facts: CaseFacts) -> CaseAbilities:
    """Pure: the caller's abilities from the facts."""
    actions = permitted(principal, facts)
    return CaseAbilities(
        actions=actions,
        outcomes=outcome_choices(facts) if Action.OUTCOME in actions else [],
        escalation=escalation_of(facts) if Action.ESCALATE in actions else None,
        may_reveal_contact=may_reveal_contact(principal, facts),
        may_read_contact_log=may_read_contact_log(principal, facts),
    )


def facts_of(
    case: Case,
    assignment: Assignment | None,
    holder: Organization | None,
    *,
    now: datetime,
    agreement_type: str | None = None,
    confirmation_status: str | None = None,
) -> CaseFacts:
    return CaseFacts(
        status=case.status,
        town_org_id=case.town_org_id,
        intake_org_id=case.intake_org_id,
        resolved_org_id=case.resolved_org_id,
        category=case.category,
        holder_org_id=assignment.organization_id if assignment else None,
        holder_tier=assignment.tier if assignment else None,
        holder_channel=holder.channel if holder else None,
        outcome=case.outcome,
        agreement_type=agreement_type,
        judicial_confirmation_due_on=case.judicial_confirmation_due_on,
        confirmation_status=confirmation_status,
        today=now.astimezone(SHANGHAI).date(),
    )


async def resolved_agreement(session: AsyncSession, case: Case) -> dict[str, Any]:
    """The agreement recorded with the outcome (type, amount, performed, effective date), or {}."""
    if case.resolved_org_id is None:
        return {}
    detail = (
        await session.execute(
            select(Assignment.outcome_detail)
            .where(
                Assignment.case_id == case.id,
                Assignment.organization_id == case.resolved_org_id,
                Assignment.end_reason == "resolved",
            )
            .order_by(Assignment.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    return detail or {}


async def load_facts(
    session: AsyncSession, case: Case, assignment: Assignment | None, now: datetime
) -> CaseFacts:
    """The facts of a case whose open assignment is already known (the actions lock it first)."""
    holder = None
    if assignment is not None:
        holder = (
            await session.execute(select(Organization).where(Organization.id == assignment.organization_id))
        ).scalar_one()
    settled = case.outcome == "settled"
    agreement = await resolved_agreement(session, case) if settled else {}
    return facts_of(
        case,
        assignment,
        holder,
        now=now,
        agreement_type=agreement.get("agreement_type"),
        confirmation_status=await _confirmation_status(session, case) if settled else None,
    )


async def _confirmation_status(session: AsyncSession, case: Case) -> str | None:
    found = await session.execute(
        select(ConfirmationRequest.status).where(
            ConfirmationRequest.case_id == case.id,
            ConfirmationRequest.status.in_([ConfirmationStatus.REQUESTED, ConfirmationStatus.CONFIRMED]),
        )
    )
    return found.scalars().first()


async def abilities(
    session: AsyncSession, principal: Principal, case: Case, now: datetime | None = None
) -> CaseAbilities:
    assignment = (
        await session.execute(
            select(Assignment).where(Assignment.case_id == case.id, Assignment.ended_at.is_(None))
        )
    ).scalar_one_or_none()
    return abilities_of(principal, await load_facts(session, case, assignment, now or utcnow()))
