"""What the case page (/m/cases/{id}) shows: the case, its timeline in words, the agreement, and the actions
this person may take on it now.

The actions come from ``app.cases.permissions.abilities``, the same answer ``GET /api/v1/cases/{id}`` gives
as ``allowed_actions``: the page offers those and no others, and the API refuses anything else anyway.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.auth.scope import case_scope
from app.cases import repository as repo
from app.cases.permissions import CaseAbilities, abilities, resolved_agreement
from app.cases.presenter import masked_text, present_cases
from app.models import CaseStatus, SlaClock
from app.web import labels
from app.web.inbox import running_clocks

# The order the page offers them in; dispatch is the supervisors' workspace's.
PAGE_ACTIONS = (
    "accept",
    "decline",
    "outcome",
    "extend",
    "escalate",
    "withdraw",
    "close",
    "request_confirmation",
)


@dataclass
class CasePage:
    case: dict[str, Any]
    timeline: list[dict[str, Any]]
    abilities: CaseAbilities
    agreement: dict[str, Any] = field(default_factory=dict)
    clock: SlaClock | None = None  # the running one, if any


def _outcome_order(code: str) -> int:
    order = list(labels.OUTCOME_LABELS)
    return order.index(code) if code in order else len(order)


async def load_case_page(session: AsyncSession, principal: Principal, case_id: uuid.UUID) -> CasePage | None:
    case = await repo.get_case(session, case_id, case_scope(principal))
    if case is None:
        return None
    (out,) = await present_cases(session, [case])
    found = await abilities(session, principal, case)
    offered = CaseAbilities(
        actions=[a for a in PAGE_ACTIONS if a in found.actions],
        outcomes=sorted(found.outcomes, key=_outcome_order),
        escalation=found.escalation,
        may_reveal_contact=found.may_reveal_contact,
        may_read_contact_log=found.may_read_contact_log,
    )
    return CasePage(
        case=out.model_dump(),
        timeline=await timeline(session, case_id),
        abilities=offered,
        agreement=await resolved_agreement(session, case) if case.outcome else {},
        clock=(await running_clocks(session, [case.id])).get(case.id),
    )


def _yes_no(value: Any, yes: str, no: str) -> str | None:
    return None if value is None else yes if value else no


def event_detail(event_type: str, data: dict[str, Any], names: dict[str, str]) -> list[str]:
    """The lines under a timeline step that say what happened, in Chinese."""
    lines: list[str] = []
    if event_type == "case.dispatched" and data.get("organization"):
        who = names.get(data["organization"], data["organization"])
        lines.append(f"{'系统自动分派' if data.get('auto') else '分派'} → {who}")
    if event_type == "case.resolved" and data.get("outcome"):
        parts = [labels.OUTCOME_LABELS.get(data["outcome"], data["outcome"])]
        if data.get("agreement_type"):
            parts.append(labels.AGREEMENT_TYPE_LABELS.get(data["agreement_type"], data["agreement_type"]))
        if data.get("agreed_amount") is not None:
            parts.append(f"协议金额 {labels.money(data['agreed_amount'])}")
        parts.append(_yes_no(data.get("performed"), "已履行", "未履行") or "")
        lines.append("，".join(p for p in parts if p))
    if event_type == "case.closed":
        parts = []
        if data.get("visited_on"):
            parts.append(f"回访日期 {data['visited_on']}")
        parts.append(_yes_no(data.get("agreement_performed"), "协议已履行", "协议未履行") or "")
        if any(parts):
            lines.append("，".join(p for p in parts if p))
    return lines


async def timeline(session: AsyncSession, case_id: uuid.UUID) -> list[dict[str, Any]]:
    events = await repo.events_of(session, case_id, None, 500)
    orgs = await repo.orgs_by_ids(session, [e.actor_org_id for e in events])
    codes = {str(e.data.get("organization")) for e in events if e.data and e.data.get("organization")}
    named = await repo.orgs_by_codes(session, codes)
    names = {code: org.name for code, org in named.items()}
    return [
        {
            "type": e.type,
            "from_status": e.from_status,
            "to_status": e.to_status,
            # The system dispatched it, not the person whose request triggered it.
            "organization": None
            if (e.data or {}).get("auto")
            else orgs[e.actor_org_id].name
            if e.actor_org_id in orgs
            else None,
            "reason": masked_text(e.reason),
            "details": event_detail(e.type, e.data or {}, names),
            "occurred_at": e.occurred_at,
        }
        for e in events
    ]


def holder_line(case: dict[str, Any]) -> str:
    org = case.get("current_organization")
    if org:
        return str(org["name"])
    return "待分派" if case["status"] == CaseStatus.PENDING_DISPATCH else "—"
