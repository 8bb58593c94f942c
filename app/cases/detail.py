"""One case as its page shows it: the presented case, what the caller may do on it now, who holds it, the
agreement and the judicial-confirmation request (GET /cases/{id} and every action's response)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.cases import repository as repo
from app.cases.permissions import CaseAbilities, abilities, resolved_agreement
from app.cases.presenter import org_ref, present_cases
from app.cases.schemas import CaseOut, OrgRef
from app.instants import LocalDateTime
from app.models import Case, CaseStatus, ConfirmationRequest, ConfirmationStatus, Tier


class AgreementOut(BaseModel):
    """The mediation agreement recorded with a settled outcome (调解协议)."""

    type: Literal["written", "oral"] | None = Field(description="书面 (written) or 口头 (oral)")
    amount: Decimal | None = Field(description="The agreed amount in yuan")
    performed: bool | None = Field(description="Whether it has been performed (履行)")
    effective_on: date | None = Field(description="The day it took effect; the 30 days start from it")
    court_case_number: str | None = Field(
        default=None, description="The court's 案号, when the court sub-center mediated it"
    )


class ConfirmationOut(BaseModel):
    """A request for judicial confirmation (司法确认) and the court's answer."""

    id: int
    status: ConfirmationStatus
    requested_at: LocalDateTime
    requested_by: OrgRef
    court: OrgRef
    agreement: dict[str, Any] = Field(description="The agreement as it stood when the request was made")
    court_case_number: str | None = Field(description="案号, when confirmed")
    decided_on: date | None
    reason: str | None = Field(description="Why not, when refused")
    answered_at: LocalDateTime | None


class EscalationTargetOut(BaseModel):
    tier: Tier
    label: str = Field(description="Where 上交 would send the case, in Chinese, e.g. 市级非诉讼服务中心")


class CaseDetailOut(CaseOut):
    """One case as the caller sees it, with what the caller may do on it now (app.cases.permissions)."""

    allowed_actions: list[str] = Field(
        description="The actions the caller may take now: dispatch, accept, decline, escalate, outcome, "
        "withdraw, close, request_confirmation. An action not listed is refused (403 or 409)."
    )
    outcome_choices: list[str] = Field(
        description="The outcomes the caller may record now (empty unless `outcome` is allowed)."
    )
    escalation_target: EscalationTargetOut | None = Field(
        description="Where 上交 would send the case (null unless `escalate` is allowed)."
    )
    may_reveal_contact: bool = Field(
        description="May the caller reveal the parties' full phones and addresses (POST …/contact-reveal)?"
    )
    may_read_contact_log: bool = Field(description="May the caller read the contact-reveal log?")
    holder: OrgRef | None = Field(
        description="承办: the organization holding the case now (the one that resolved it, once resolved); "
        "null while it waits for dispatch, e.g. after a decline"
    )
    agreement: AgreementOut | None = Field(description="The agreement, on a settled case")
    confirmation: ConfirmationOut | None = Field(
        description="The latest request for judicial confirmation and the court's answer, if any"
    )


async def confirmation_out(session: AsyncSession, row: ConfirmationRequest) -> ConfirmationOut:
    orgs = await repo.orgs_by_ids(session, [row.requested_by_org_id, row.court_org_id])
    requested_by, court = org_ref(orgs.get(row.requested_by_org_id)), org_ref(orgs.get(row.court_org_id))
    assert requested_by is not None and court is not None
    return ConfirmationOut(
        id=row.id,
        status=ConfirmationStatus(row.status),
        requested_at=row.requested_at,
        requested_by=requested_by,
        court=court,
        agreement=dict(row.agreement or {}),
        court_case_number=row.court_case_number,
        decided_on=row.decided_on,
        reason=row.reason,
        answered_at=row.answered_at,
    )


def agreement_out(detail: dict[str, Any]) -> AgreementOut:
    amount = detail.get("agreed_amount")
    effective = detail.get("agreement_effective_on")
    return AgreementOut(
        type=detail.get("agreement_type"),
        amount=Decimal(amount) if amount is not None else None,
        performed=detail.get("performed"),
        effective_on=date.fromisoformat(effective) if effective else None,
        court_case_number=detail.get("court_case_number"),
    )


async def latest_confirmation(session: AsyncSession, case: Case) -> ConfirmationRequest | None:
    return (
        await session.execute(
            select(ConfirmationRequest)
            .where(ConfirmationRequest.case_id == case.id)
            .order_by(ConfirmationRequest.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


def _holder_id(case: Case) -> int | None:
    """承办: who holds it now; once resolved, who resolved it; nobody while it waits for dispatch."""
    if case.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        return case.resolved_org_id
    if case.status == CaseStatus.PENDING_DISPATCH:
        return None
    return case.current_org_id


async def present_detail(
    session: AsyncSession, principal: Principal, case: Case, now: datetime
) -> CaseDetailOut:
    (out,) = await present_cases(session, [case])
    can: CaseAbilities = await abilities(session, principal, case, now)
    holder_id = _holder_id(case)
    holder = org_ref((await repo.orgs_by_ids(session, [holder_id])).get(holder_id)) if holder_id else None
    settled = case.outcome == "settled"
    agreement = agreement_out(await resolved_agreement(session, case)) if settled else None
    confirmation = await latest_confirmation(session, case) if settled else None
    target = can.escalation
    return CaseDetailOut(
        **out.model_dump(),
        allowed_actions=can.actions,
        outcome_choices=can.outcomes,
        escalation_target=EscalationTargetOut(tier=target.tier, label=target.label) if target else None,
        may_reveal_contact=can.may_reveal_contact,
        may_read_contact_log=can.may_read_contact_log,
        holder=holder,
        agreement=agreement,
        confirmation=await confirmation_out(session, confirmation) if confirmation else None,
    )
