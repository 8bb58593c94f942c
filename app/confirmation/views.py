"""POST /cases/{id}/confirmation-request (the mediating organization) and POST
/court/cases/{id}/confirmation (the court sub-center's answer)."""

import uuid
from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import Response

from app.auth.principal import Principal
from app.cases.action_views import RESPONSES, IdempotencyKeyHeader, IfMatch, act, idempotent
from app.cases.detail import confirmation_out
from app.confirmation import service
from app.confirmation.schemas import ConfirmationOut, ConfirmationRequestIn, CourtAnswerIn
from app.db import utcnow
from app.deps import Context, HumanPrincipal, Session
from app.feed.views import machine_principal

router = APIRouter(tags=["judicial confirmation"])

CourtWriter = Annotated[Principal, machine_principal("case:write")]


@router.post("/cases/{case_id}/confirmation-request", responses=RESPONSES, name="request_confirmation")
async def request_confirmation(
    case_id: uuid.UUID,
    body: ConfirmationRequestIn,
    session: Session,
    ctx: Context,
    principal: HumanPrincipal,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """申请司法确认 (人民调解法 第33条): on a case settled with a written agreement, by the organization that
    resolved it, within 30 days of the agreement taking effect (`judicial_confirmation_due_on`); one open
    request per case. The case keeps its state and outcome; the court sub-center receives the request on its
    feed (`case.confirmation_requested`). Refusals: 403 `action_not_permitted` (not the resolving
    organization), 409 `confirmation.not_settled`, `confirmation.not_written`, `confirmation.window_closed`,
    `confirmation.already_requested`."""
    return await act(
        session,
        ctx,
        principal,
        "cases.request_confirmation",
        case_id,
        body,
        if_match,
        idempotency_key,
        lambda loaded, now: service.request(session, principal, loaded, body.note, now),
    )


@router.post(
    "/court/cases/{case_id}/confirmation",
    responses={200: {"model": ConfirmationOut}, 404: {}, 409: {}, 422: {}},
    name="court_answer_confirmation",
)
async def answer_confirmation(
    case_id: uuid.UUID,
    body: CourtAnswerIn,
    session: Session,
    ctx: Context,
    principal: CourtWriter,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """The court's answer to a request for judicial confirmation: `confirmed` (确认有效, with
    `court_case_number` 案号) or `refused` (不予确认, with `reason`), and the day of the ruling. On the
    case's timeline as `case.confirmation_answered`; the case keeps its outcome. 409
    `confirmation.no_open_request` when no request awaits your answer. No version needed: the answer is to
    the request, not to the case's state."""
    now = utcnow()

    async def run() -> Response:
        row = await service.answer(session, principal, case_id, body, now)
        out = await confirmation_out(session, row)
        return Response(out.model_dump_json(), media_type="application/json")

    return await idempotent(
        session,
        ctx,
        principal,
        "court.confirmation",
        [str(case_id), body.model_dump(mode="json")],
        idempotency_key,
        run,
    )
