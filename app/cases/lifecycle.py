"""The case state machine: which action may move a case from which state to which. Pure, no I/O.

DESIGN.md's lifecycle: pending_dispatch → dispatched → in_mediation → resolved → closed, with decline
(dispatched → pending_dispatch, new clock) and escalate (in_mediation → pending_dispatch at a higher tier,
new clock). Withdrawal (撤回) is an outcome; the applicant may withdraw before acceptance too, so it is
allowed from every open state.
"""

from __future__ import annotations

from enum import StrEnum

from app.models import CaseStatus
from app.routing.engine import tier_rank

# The states in Chinese, for what the API itself says (a possible duplicate's status_label) and for the pages
# (app.web.labels.STATUS_LABELS is this table).
STATUS_LABELS: dict[str, str] = {
    "pending_dispatch": "待分派",
    "dispatched": "已分派",
    "in_mediation": "调解中",
    "resolved": "已办结",
    "closed": "已归档",
}


class Action(StrEnum):
    DISPATCH = "dispatch"
    ACCEPT = "accept"
    DECLINE = "decline"
    ESCALATE = "escalate"
    OUTCOME = "outcome"
    WITHDRAW = "withdraw"
    CLOSE = "close"
    EXTEND = "extend"  # 延期: the mediation clock, once; the state stays (app.cases.extension)


P, D, M, R, C = (
    CaseStatus.PENDING_DISPATCH,
    CaseStatus.DISPATCHED,
    CaseStatus.IN_MEDIATION,
    CaseStatus.RESOLVED,
    CaseStatus.CLOSED,
)

# (action, from) → to. Anything not listed is refused with 409 transition_not_allowed.
TRANSITIONS: dict[tuple[Action, CaseStatus], CaseStatus] = {
    (Action.DISPATCH, P): D,
    (Action.ACCEPT, D): M,
    (Action.DECLINE, D): P,
    (Action.ESCALATE, M): P,
    (Action.OUTCOME, M): R,
    (Action.WITHDRAW, P): R,
    (Action.WITHDRAW, D): R,
    (Action.WITHDRAW, M): R,
    (Action.CLOSE, R): C,
    (Action.EXTEND, M): M,
}

EVENT_TYPES: dict[Action, str] = {
    Action.DISPATCH: "case.dispatched",
    Action.ACCEPT: "case.accepted",
    Action.DECLINE: "case.declined",
    Action.ESCALATE: "case.escalated",
    Action.OUTCOME: "case.resolved",
    Action.WITHDRAW: "case.withdrawn",
    Action.CLOSE: "case.closed",
    Action.EXTEND: "case.mediation_extended",
}


def next_status(action: Action, current: CaseStatus | str) -> CaseStatus | None:
    """The state ``action`` leads to from ``current``, or None when the action is not allowed there."""
    return TRANSITIONS.get((action, CaseStatus(current)))


def allowed_actions(current: CaseStatus | str) -> list[Action]:
    return [action for (action, state) in TRANSITIONS if state == CaseStatus(current)]


# Escalation goes one rung up the "1+1+N" ladder (上交): a specialised committee's failures go to the city
# center like a town's; the court is the top.
ESCALATION: dict[str, str] = {
    "village": "town",
    "town": "city_center",
    "specialised": "city_center",
    "city_center": "court",
}


def escalation_tier(current_tier: str) -> str | None:
    target = ESCALATION.get(current_tier)
    assert target is None or tier_rank(target) > tier_rank(current_tier), "escalation never goes down"
    return target


class Outcome(StrEnum):
    SETTLED = "settled"  # 调解成功
    FAILED = "failed"  # 调解不成
    WITHDRAWN = "withdrawn"  # 撤回
    REFERRED_TO_LITIGATION = "referred_to_litigation"  # 转诉讼
    JUDICIALLY_CONFIRMED = "judicially_confirmed"  # 司法确认
    # Administrative review (行政复议) decisions
    UPHELD = "upheld"  # 维持
    REVOKED = "revoked"  # 撤销
    CHANGED = "changed"  # 变更
    CONFIRMED_ILLEGAL = "confirmed_illegal"  # 确认违法
    ORDERED_TO_PERFORM = "ordered_to_perform"  # 责令履行
    DISMISSED = "dismissed"  # 驳回
    MEDIATED = "mediated"  # 调解结案
    RECONCILED = "reconciled"  # 和解结案


COMMON_OUTCOMES = frozenset(
    {Outcome.SETTLED, Outcome.FAILED, Outcome.WITHDRAWN, Outcome.REFERRED_TO_LITIGATION}
)
COURT_OUTCOMES = COMMON_OUTCOMES | {Outcome.JUDICIALLY_CONFIRMED}
ADMINISTRATIVE_REVIEW_OUTCOMES = frozenset(
    {
        Outcome.UPHELD,
        Outcome.REVOKED,
        Outcome.CHANGED,
        Outcome.CONFIRMED_ILLEGAL,
        Outcome.ORDERED_TO_PERFORM,
        Outcome.DISMISSED,
        Outcome.MEDIATED,
        Outcome.RECONCILED,
        Outcome.WITHDRAWN,
    }
)


def outcomes_for(tier: str, channel: str | None) -> frozenset[Outcome]:
    """Which outcomes an organization may record: the court confirms; administrative review decides."""
    if channel == "administrative_review":
        return ADMINISTRATIVE_REVIEW_OUTCOMES
    if tier == "court":
        return COURT_OUTCOMES
    return COMMON_OUTCOMES
