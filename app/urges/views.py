"""POST /cases/{id}/urges (a supervisor records a 督办), POST /urges/{id}/answer (the holder answers),
GET /urges and GET /cases/{id}/urges (scoped lists)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from app.auth.scope import case_scope
from app.calendar.workdays import SHANGHAI
from app.cases import repository as case_repo
from app.db import utcnow
from app.deps import Context, HumanPrincipal, Session, SupervisorPrincipal
from app.errors import NotFound
from app.pagination import DEFAULT_LIMIT, MAX_LIMIT, URGES
from app.urges import repository as repo
from app.urges import service
from app.urges.presenter import present_urge, present_urges
from app.urges.schemas import AnswerIn, UrgeIn, UrgeOut, UrgePage

router = APIRouter(tags=["督办"])

RESPONSES: dict[int | str, dict[str, object]] = {403: {}, 404: {}, 409: {}, 422: {}}


@router.post("/cases/{case_id}/urges", status_code=201, response_model=UrgeOut, responses=RESPONSES)
async def create_urge(
    case_id: uuid.UUID, body: UrgeIn, session: Session, principal: SupervisorPrincipal
) -> UrgeOut:
    """督办: on a case whose clock is at risk or breached, ask its holder to act, optionally by a day."""
    now = utcnow()
    urge = await service.create_urge(session, principal, case_id, body.note, body.report_back_by, now)
    return await present_urge(session, urge, now)


@router.post("/urges/{urge_id}/answer", response_model=UrgeOut, responses=RESPONSES)
async def answer_urge(urge_id: int, body: AnswerIn, session: Session, principal: HumanPrincipal) -> UrgeOut:
    """答复: the organization the 督办 is addressed to answers it, which closes it."""
    now = utcnow()
    urge = await service.answer_urge(session, principal, urge_id, body.note, now)
    return await present_urge(session, urge, now)


UrgeFilter = Annotated[
    Literal["open", "answered", "overdue"] | None,
    Query(description="open: not answered; overdue: not answered past its report-back day"),
]


@router.get("/urges", response_model=UrgePage)
async def list_urges(
    session: Session,
    ctx: Context,
    principal: HumanPrincipal,
    status: UrgeFilter = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> UrgePage:
    """Supervisors: the 督办 of their town (the bureau: all); every organization: those it must answer."""
    now = utcnow()
    key = ctx.blind_index_key_bytes
    after = URGES.decode(key, cursor)[0] if cursor else None
    today = now.astimezone(SHANGHAI).date()
    rows = await repo.list_urges(session, principal, status, today, after_id=after, limit=limit + 1)
    kept, next_cursor = URGES.page(key, rows, limit, lambda r: (r[0].id,))
    return UrgePage(items=await present_urges(session, kept, now), next_cursor=next_cursor)


@router.get("/cases/{case_id}/urges", response_model=list[UrgeOut], responses={404: {}})
async def case_urges(case_id: uuid.UUID, session: Session, principal: HumanPrincipal) -> list[UrgeOut]:
    """The 督办 history of one case, newest first (what the caller may see of it)."""
    now = utcnow()
    if await case_repo.get_case(session, case_id, case_scope(principal)) is None:
        raise NotFound("No such case.", code="case.not_found")
    rows = await repo.case_urges(session, case_id)
    return await present_urges(session, rows, now)
