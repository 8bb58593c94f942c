"""Judicial confirmation (司法确认) as the law has it: 人民调解法 第33条 lets the parties apply jointly to the
court within 30 days of a mediation agreement taking effect. So the request comes after a settlement, from the
organization that mediated it; the case keeps its state and outcome. The court sub-center receives the
request on its feed (``case.confirmation_requested``, with the agreement and, in the case, the parties' full
contact data for service, 送达) and answers 确认有效 with its 案号 or 不予确认 with a reason
(``case.confirmation_answered``), stored for statistics.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.auth.scope import case_scope
from app.calendar.workdays import SHANGHAI
from app.cases import repository as case_repo
from app.cases.permissions import confirmation_refusal, resolved_agreement
from app.cases.transitions import Actor, Loaded, flush, record
from app.confirmation.schemas import CourtAnswerIn
from app.errors import Conflict, FieldError, NotFound, ValidationFailed
from app.models import ConfirmationRequest, ConfirmationStatus, Organization, OrgKind

CONFIRMATION_REQUESTED = "case.confirmation_requested"
CONFIRMATION_ANSWERED = "case.confirmation_answered"
RECORDED_EVENTS = (CONFIRMATION_REQUESTED, CONFIRMATION_ANSWERED)
AGREEMENT_FIELDS = ("agreement_type", "agreed_amount", "performed", "agreement_effective_on")


async def court_sub_center(session: AsyncSession) -> Organization:
    court = (
        await session.execute(
            select(Organization)
            .where(Organization.kind == OrgKind.COURT_SUBCENTER, Organization.active.is_(True))
            .order_by(Organization.id)
            .limit(1)
        )
    ).scalar_one_or_none()
    if court is None:
        raise Conflict(
            "No active court sub-center receives confirmation requests.", code="confirmation.no_court"
        )
    return court


async def request(
    session: AsyncSession, principal: Principal, loaded: Loaded, note: str | None, now: datetime
) -> None:
    """申请司法确认: refused (403/409) exactly when ``permissions`` does not offer it."""
    refusal = confirmation_refusal(principal, loaded.facts)
    if refusal is not None:
        raise refusal
    case = loaded.case
    court = await court_sub_center(session)
    detail = await resolved_agreement(session, case)
    agreement = {k: detail.get(k) for k in AGREEMENT_FIELDS}
    row = ConfirmationRequest(
        case_id=case.id,
        status=ConfirmationStatus.REQUESTED,
        court_org_id=court.id,
        requested_by_user_id=principal.user_id,
        requested_by_org_id=principal.organization_id,
        requested_at=now,
        agreement=agreement,
        note=note,
    )
    session.add(row)
    await session.flush()
    due = case.judicial_confirmation_due_on
    record(
        loaded,
        CONFIRMATION_REQUESTED,
        Actor.of(principal),
        now,
        reason=note,
        data={
            "request_id": row.id,
            "court": court.code,
            "judicial_confirmation_due_on": due.isoformat() if due else None,
            **agreement,
        },
        addressee=court.id,
    )


def _answer_errors(body: CourtAnswerIn, requested_on: Any, today: Any) -> list[FieldError]:
    errors = []
    if body.decision == "confirmed" and not body.court_case_number:
        errors.append(
            FieldError("court_case_number", "court_case_number.required", "A confirmation carries its 案号.")
        )
    if body.decision == "refused" and not body.reason:
        errors.append(FieldError("reason", "reason.required", "Say why the agreement is not confirmed."))
    if body.decided_on > today:
        errors.append(FieldError("decided_on", "decided_on.future", "The ruling cannot be in the future."))
    elif body.decided_on < requested_on:
        errors.append(
            FieldError("decided_on", "decided_on.before_request", f"The request was made on {requested_on}.")
        )
    return errors


async def answer(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, body: CourtAnswerIn, now: datetime
) -> ConfirmationRequest:
    """The court's 确认有效 (with its 案号) or 不予确认 (with a reason), on the request addressed to it."""
    case = await case_repo.get_case_for_update(session, case_id, case_scope(principal))
    if case is None:
        raise NotFound("No such case.", code="case.not_found")
    row = (
        await session.execute(
            select(ConfirmationRequest)
            .where(
                ConfirmationRequest.case_id == case.id,
                ConfirmationRequest.court_org_id == principal.organization_id,
                ConfirmationRequest.status == ConfirmationStatus.REQUESTED,
            )
            .with_for_update()
        )
    ).scalar_one_or_none()
    if row is None:
        raise Conflict(
            "No request for judicial confirmation of this case awaits your answer.",
            code="confirmation.no_open_request",
        )
    errors = _answer_errors(
        body, row.requested_at.astimezone(SHANGHAI).date(), now.astimezone(SHANGHAI).date()
    )
    if errors:
        raise ValidationFailed(errors)
    row.status = ConfirmationStatus(body.decision)
    row.court_case_number = body.court_case_number if body.decision == "confirmed" else None
    row.decided_on = body.decided_on
    row.reason = body.reason
    row.answered_at = now
    row.answered_by_client_id = principal.client_id
    row.updated_at = now
    loaded = Loaded(case, None)
    record(
        loaded,
        CONFIRMATION_ANSWERED,
        Actor.of(principal),
        now,
        reason=body.reason,
        data={
            "request_id": row.id,
            "decision": body.decision,
            "court_case_number": row.court_case_number,
            "decided_on": body.decided_on.isoformat(),
        },
        addressee=principal.organization_id,
    )
    await flush(session, loaded)
    return row
