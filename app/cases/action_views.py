"""POST /cases/{id}/dispatch|accept|decline|escalate|outcome|withdraw|close.

Each needs the version the client last saw, as ``If-Match: "N"`` or a ``version`` field: a stale one gets
412 (reload and retry), a missing one 428, an action not allowed in the current state 409.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.cases import actions
from app.cases.lifecycle import Outcome
from app.cases.presenter import present_cases
from app.cases.transitions import Loaded, flush, load
from app.db import utcnow
from app.deps import HumanPrincipal, Session
from app.errors import DomainError, FieldError, PreconditionFailed, ValidationFailed

router = APIRouter(prefix="/cases", tags=["case lifecycle"])

IfMatch = Annotated[str | None, Header(alias="If-Match", description='The version last seen, e.g. "3"')]


class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    version: int | None = Field(default=None, ge=1, description="Alternative to If-Match")


class DispatchIn(_Action):
    organization_code: str = Field(min_length=1, max_length=40)
    note: str | None = Field(default=None, max_length=500)


class NoteIn(_Action):
    note: str | None = Field(default=None, max_length=500)


class ReasonIn(_Action):
    reason: str = Field(min_length=2, max_length=1000)


class OutcomeIn(_Action):
    outcome: Outcome
    agreement_type: Literal["written", "oral"] | None = None
    agreed_amount: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=2)
    performed: bool | None = None
    agreement_effective_on: date | None = None
    note: str | None = Field(default=None, max_length=1000)

    def detail(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"version", "outcome"}, exclude_none=True)


class CloseIn(_Action):
    follow_up_note: str = Field(min_length=2, max_length=1000, description="回访情况")


def expected_version(if_match: str | None, body: _Action) -> int:
    from_header = None
    if if_match is not None:
        raw = if_match.strip().removeprefix("W/").strip('"')
        if not raw.isdigit():
            raise ValidationFailed([FieldError("If-Match", "if_match.format", 'Use the ETag, e.g. "3".')])
        from_header = int(raw)
    if from_header is not None and body.version is not None and from_header != body.version:
        raise PreconditionFailed("If-Match and version disagree.", code="version_conflict")
    version = from_header if from_header is not None else body.version
    if version is None:
        raise DomainError(
            detail="Send the version you last saw (If-Match header or version field).",
            code="version_required",
            status=428,
            title="Precondition required",
        )
    return version


async def run_action(
    session: AsyncSession,
    principal: Principal,
    case_id: uuid.UUID,
    version: int,
    apply: Callable[[Loaded], Awaitable[None] | None],
) -> JSONResponse:
    loaded = await load(session, principal, case_id, version)
    result = apply(loaded)
    if result is not None:
        await result
    if loaded.assignment is not None and loaded.assignment not in session:
        session.add(loaded.assignment)
    await flush(session, loaded)
    (out,) = await present_cases(session, [loaded.case])
    return JSONResponse(out.model_dump(mode="json"), headers={"ETag": f'"{loaded.case.version}"'})


RESPONSES: dict[int | str, dict[str, Any]] = {403: {}, 404: {}, 409: {}, 412: {}, 422: {}, 428: {}}


@router.post("/{case_id}/dispatch", responses=RESPONSES)
async def dispatch(
    case_id: uuid.UUID,
    body: DispatchIn,
    session: Session,
    principal: HumanPrincipal,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Assign the case to an organization (supervisors, within their town; the city bureau anywhere)."""
    now = utcnow()
    return await run_action(
        session,
        principal,
        case_id,
        expected_version(if_match, body),
        lambda c: actions.dispatch(session, principal, c, body.organization_code, body.note, now),
    )


@router.post("/{case_id}/accept", responses=RESPONSES)
async def accept(
    case_id: uuid.UUID, body: NoteIn, session: Session, principal: HumanPrincipal, if_match: IfMatch = None
) -> JSONResponse:
    """受理: the assigned organization takes the case on."""
    now = utcnow()
    return await run_action(
        session,
        principal,
        case_id,
        expected_version(if_match, body),
        lambda c: actions.accept(principal, c, body.note, now),
    )


@router.post("/{case_id}/decline", responses=RESPONSES)
async def decline(
    case_id: uuid.UUID, body: ReasonIn, session: Session, principal: HumanPrincipal, if_match: IfMatch = None
) -> JSONResponse:
    """退回: back to pending dispatch with a new clock; the decliner is skipped by the next auto-dispatch."""
    now = utcnow()
    return await run_action(
        session,
        principal,
        case_id,
        expected_version(if_match, body),
        lambda c: actions.decline(session, principal, c, body.reason, now),
    )


@router.post("/{case_id}/escalate", responses=RESPONSES)
async def escalate(
    case_id: uuid.UUID, body: ReasonIn, session: Session, principal: HumanPrincipal, if_match: IfMatch = None
) -> JSONResponse:
    """上交: mediation failed or beyond competence; the case goes one tier up with a new clock."""
    now = utcnow()
    return await run_action(
        session,
        principal,
        case_id,
        expected_version(if_match, body),
        lambda c: actions.escalate(session, principal, c, body.reason, now),
    )


@router.post("/{case_id}/outcome", responses=RESPONSES)
async def outcome(
    case_id: uuid.UUID, body: OutcomeIn, session: Session, principal: HumanPrincipal, if_match: IfMatch = None
) -> JSONResponse:
    """办结: record the outcome (settled, failed, …; administrative-review decisions on that channel)."""
    now = utcnow()
    return await run_action(
        session,
        principal,
        case_id,
        expected_version(if_match, body),
        lambda c: actions.record_outcome(session, principal, c, body.outcome, body.detail(), now),
    )


@router.post("/{case_id}/withdraw", responses=RESPONSES)
async def withdraw(
    case_id: uuid.UUID, body: ReasonIn, session: Session, principal: HumanPrincipal, if_match: IfMatch = None
) -> JSONResponse:
    """撤回: the applicant withdraws; the case is resolved as withdrawn."""
    now = utcnow()
    return await run_action(
        session,
        principal,
        case_id,
        expected_version(if_match, body),
        lambda c: actions.withdraw(principal, c, body.reason, now),
    )


@router.post("/{case_id}/close", responses=RESPONSES)
async def close(
    case_id: uuid.UUID, body: CloseIn, session: Session, principal: HumanPrincipal, if_match: IfMatch = None
) -> JSONResponse:
    """归档: after the follow-up visit (回访), with its note."""
    now = utcnow()
    return await run_action(
        session,
        principal,
        case_id,
        expected_version(if_match, body),
        lambda c: actions.close(principal, c, body.follow_up_note, now),
    )
