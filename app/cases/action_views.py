"""POST /cases/{id}/dispatch|accept|decline|escalate|outcome|withdraw|close, from one table of actions.

Each needs the version the client last saw, as ``If-Match: "N"`` or a ``version`` field: a stale one gets
412 (reload and retry), a missing one 428, an action not allowed in the current state 409. Each honours
``Idempotency-Key`` (a double tap makes one transition). The response is the case with what the caller may
do next (``allowed_actions``, see app.cases.permissions).
"""

import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.cases import actions, extension
from app.cases.detail import CaseDetailOut, present_detail
from app.cases.lifecycle import Outcome
from app.cases.schemas import AgreementEffectiveOn, CourtCaseNumber, VisitedOn
from app.cases.transitions import Loaded, flush, load
from app.context import AppContext
from app.db import utcnow
from app.deps import Context, HumanPrincipal, Session
from app.errors import DomainError, FieldError, PreconditionFailed, ValidationFailed
from app.idempotency import Replay, check_key, claim, complete, fingerprint
from app.models import Case

router = APIRouter(prefix="/cases", tags=["case lifecycle"])

# What expected_version accepts: the ETag as sent ("3", W/"3") or the bare number.
IF_MATCH_PATTERN = r'^(W/)?"?[0-9]{1,9}"?$'
IfMatch = Annotated[
    str | None,
    Header(alias="If-Match", description='The version last seen, e.g. "3"', pattern=IF_MATCH_PATTERN),
]
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Makes a resend safe: the same key and body replay the first response; another body "
        "with the same key is refused (422).",
    ),
]


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
    performed: StrictBool | None = None
    agreement_effective_on: AgreementEffectiveOn = None
    court_case_number: CourtCaseNumber | None = Field(
        default=None, description="案号: the court sub-center's own outcomes carry its case number"
    )
    note: str | None = Field(default=None, max_length=1000)

    def detail(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"version", "outcome"}, exclude_none=True)


class ExtendIn(_Action):
    reason: str = Field(min_length=2, max_length=1000, description="e.g. 经双方当事人同意继续调解")
    days: int = Field(ge=1, le=366, description="1 to the clock rule's maximum (30 by default)")


class CloseIn(_Action):
    follow_up_note: str = Field(min_length=2, max_length=1000, description="回访情况")
    visited_on: VisitedOn = None
    agreement_performed: StrictBool | None = Field(
        default=None, description="At the visit: has the agreement been performed (协议是否履行)"
    )

    def detail(self) -> dict[str, Any]:
        return self.model_dump(mode="json", include={"visited_on", "agreement_performed"}, exclude_none=True)


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


async def case_response(
    session: AsyncSession, principal: Principal, case: Case, now: datetime, status: int = 200
) -> Response:
    """The case as the caller sees it now, with what it may do next (CaseDetailOut), as exact JSON text."""
    detail = await present_detail(session, principal, case, now)
    return Response(
        detail.model_dump_json(),
        status_code=status,
        media_type="application/json",
        headers={"ETag": f'"{case.version}"'},
    )


async def run_action(
    session: AsyncSession,
    principal: Principal,
    case_id: uuid.UUID,
    version: int,
    apply: Callable[[Loaded], Awaitable[None] | None],
    now: datetime | None = None,
) -> Response:
    now = now or utcnow()
    loaded = await load(session, principal, case_id, version, now)
    result = apply(loaded)
    if result is not None:
        await result
    if loaded.assignment is not None and loaded.assignment not in session:
        session.add(loaded.assignment)
    await flush(session, loaded)
    return await case_response(session, principal, loaded.case, now)


async def idempotent(
    session: AsyncSession,
    ctx: AppContext,
    principal: Principal,
    operation: str,
    payload: Any,
    key: str | None,
    run: Callable[[], Awaitable[Response]],
) -> Response:
    """Run ``run`` once per ``Idempotency-Key``: the key is claimed before the version check, so a resend of
    a request that succeeded gets the first response byte for byte (its ETag too) although the case's version
    has moved on since, and changes nothing twice. The same key with another body is refused (422)."""
    if key is None:
        return await run()
    claimed = await claim(
        session,
        principal=principal.key,
        key=check_key(key),
        operation=operation,
        fingerprint_=fingerprint(operation, payload),
        now=utcnow(),
        retention=timedelta(days=ctx.settings.idempotency_retention_days),
    )
    if isinstance(claimed, Replay):
        headers = {"Idempotent-Replayed": "true"}
        version = _version_of(claimed.body)
        if version is not None:
            headers["ETag"] = f'"{version}"'
        return Response(
            claimed.body, status_code=claimed.status, media_type="application/json", headers=headers
        )
    response = await run()
    await complete(session, claimed, response.status_code, bytes(response.body).decode())
    return response


def _version_of(body: str) -> int | None:
    try:
        version = json.loads(body).get("version")
    except (ValueError, AttributeError):
        return None
    return version if isinstance(version, int) else None


RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": CaseDetailOut},
    403: {},
    404: {},
    409: {},
    412: {},
    422: {},
    428: {},
}

Apply = Callable[[AsyncSession, Principal, Loaded, Any, datetime], Awaitable[None] | None]


@dataclass(frozen=True)
class ActionSpec:
    name: str
    body: type[_Action]
    apply: Apply
    doc: str


# No `from __future__ import annotations` in this module: the endpoints below are built in a loop, and
# FastAPI must see each one's real body model, not a string naming a loop variable.
ACTIONS: dict[str, ActionSpec] = {
    a.name: a
    for a in [
        ActionSpec(
            "dispatch",
            DispatchIn,
            lambda s, p, c, b, now: actions.dispatch(s, p, c, b.organization_code, b.note, now),
            "分派: assign the case to an organization (supervisors in their town; the city bureau anywhere).",
        ),
        ActionSpec(
            "accept",
            NoteIn,
            lambda s, p, c, b, now: actions.accept(s, p, c, b.note, now),
            "受理: the assignee takes it on.",
        ),
        ActionSpec(
            "decline",
            ReasonIn,
            lambda s, p, c, b, now: actions.decline(s, p, c, b.reason, now),
            "退回: back to pending dispatch with a new clock; the decliner is skipped by the next "
            "auto-dispatch (the court's declines go to the city non-litigation center).",
        ),
        ActionSpec(
            "escalate",
            ReasonIn,
            lambda s, p, c, b, now: actions.escalate(s, p, c, b.reason, now),
            "上交: mediation failed or beyond competence; one tier up, with a new clock.",
        ),
        ActionSpec(
            "outcome",
            OutcomeIn,
            lambda s, p, c, b, now: actions.record_outcome(s, p, c, b.outcome, b.detail(), now),
            "办结: the outcome (settled, failed, …; judicial confirmation at the court; decisions on the "
            "administrative-review channel).",
        ),
        ActionSpec(
            "withdraw",
            ReasonIn,
            lambda s, p, c, b, now: actions.withdraw(s, p, c, b.reason, now),
            "撤回: the applicant withdraws; the case is resolved as withdrawn.",
        ),
        ActionSpec(
            "close",
            CloseIn,
            lambda s, p, c, b, now: actions.close(p, c, b.follow_up_note, now, b.detail()),
            "归档: after the follow-up visit (回访), with its note.",
        ),
        ActionSpec(
            "extend",
            ExtendIn,
            lambda s, p, c, b, now: extension.extend(s, p, c, b.reason, b.days, now),
            "延期: extend the mediation period once, with both parties' consent; the state stays.",
        ),
    ]
}


async def act(
    session: AsyncSession,
    ctx: AppContext,
    principal: Principal,
    operation: str,
    case_id: uuid.UUID,
    body: _Action,
    if_match: str | None,
    idempotency_key: str | None,
    apply: Callable[[Loaded, datetime], Awaitable[Any] | None],
) -> Response:
    """One case action over HTTP: the version the client saw, the Idempotency-Key (a resend replays the
    first answer), then ``apply`` on the locked case. The mediators', the court's and the judicial-
    confirmation endpoints all come through here."""
    now = utcnow()
    return await idempotent(
        session,
        ctx,
        principal,
        operation,
        [str(case_id), if_match, body.model_dump(mode="json")],
        idempotency_key,
        lambda: run_action(
            session,
            principal,
            case_id,
            expected_version(if_match, body),
            lambda loaded: apply(loaded, now),
            now,
        ),
    )


def _endpoint(spec: ActionSpec) -> Callable[..., Awaitable[Response]]:
    async def endpoint(
        case_id: uuid.UUID,
        body: spec.body,  # type: ignore[name-defined]
        session: Session,
        ctx: Context,
        principal: HumanPrincipal,
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response:
        return await act(
            session,
            ctx,
            principal,
            f"cases.{spec.name}",
            case_id,
            body,
            if_match,
            idempotency_key,
            lambda loaded, now: spec.apply(session, principal, loaded, body, now),
        )

    endpoint.__doc__ = spec.doc
    endpoint.__name__ = spec.name
    return endpoint


for _spec in ACTIONS.values():
    router.post(f"/{{case_id}}/{_spec.name}", responses=RESPONSES, name=_spec.name)(_endpoint(_spec))
