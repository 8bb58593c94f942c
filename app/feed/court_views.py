"""The court sub-center's case endpoints (machine keys): list and read its cases, accept, decline back to the
city center, record the pre-litigation mediation outcome or the judicial-confirmation decision.

The parties' full contact data is shown only for the cases the court holds or resolved; a case it declined
(``case.routed_away`` on its feed) stays listed, masked.

The actions are the lifecycle's own (``app.cases.action_views.ACTIONS``). Each honours ``Idempotency-Key``
(a retry after a lost response returns the first response and changes nothing twice) and the version check
(If-Match or ``version``).
"""

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from fastapi.responses import JSONResponse, Response

from app.auth.principal import Principal
from app.auth.scope import case_scope
from app.cases import repository as repo
from app.cases.action_views import ACTIONS, ActionSpec, IfMatch, act
from app.cases.presenter import Reveal, present_cases
from app.cases.schemas import CaseOut, CasePage
from app.deps import Context, Session
from app.errors import NotFound
from app.feed.views import machine_principal
from app.pagination import COURT_CASES, DEFAULT_LIMIT, MAX_LIMIT

router = APIRouter(prefix="/court/cases", tags=["court cases"])

CourtReader = Annotated[Principal, machine_principal("feed:read")]
CourtWriter = Annotated[Principal, machine_principal("case:write")]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]
RESPONSES: dict[int | str, dict[str, Any]] = {404: {}, 409: {}, 412: {}, 422: {}, 428: {}}


@router.get("", response_model=CasePage)
async def list_cases(
    session: Session,
    ctx: Context,
    principal: CourtReader,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> CasePage:
    """Every case ever routed to your organization, newest first: the re-sync source for the feed."""
    key = ctx.blind_index_key_bytes
    after = COURT_CASES.decode(key, cursor) if cursor else None
    found = await repo.list_cases(session, case_scope(principal), repo.CaseFilters(), after, limit + 1)
    cases, next_cursor = COURT_CASES.page(key, found, limit, lambda c: (c.received_at.isoformat(), str(c.id)))
    items = await present_cases(session, cases, reveal=Reveal(ctx.cipher, principal.organization_id))
    return CasePage(items=items, next_cursor=next_cursor)


@router.get("/{case_id}", response_model=CaseOut)
async def get_case(
    case_id: uuid.UUID, session: Session, ctx: Context, principal: CourtReader
) -> JSONResponse:
    case = await repo.get_case(session, case_id, case_scope(principal))
    if case is None:
        raise NotFound("No such case.", code="case.not_found")
    (out,) = await present_cases(session, [case], reveal=Reveal(ctx.cipher, principal.organization_id))
    return JSONResponse(out.model_dump(mode="json"), headers={"ETag": f'"{case.version}"'})


COURT_ACTIONS = ("accept", "decline", "outcome")


def _court_endpoint(spec: ActionSpec) -> Callable[..., Awaitable[Response]]:
    async def endpoint(
        case_id: uuid.UUID,
        body: spec.body,  # type: ignore[name-defined]
        session: Session,
        ctx: Context,
        principal: CourtWriter,
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response:
        return await act(
            session,
            ctx,
            principal,
            f"court.{spec.name}",
            case_id,
            body,
            if_match,
            idempotency_key,
            lambda loaded, now: spec.apply(session, principal, loaded, body, now),
        )

    endpoint.__doc__ = spec.doc
    endpoint.__name__ = f"court_{spec.name}"
    return endpoint


for _name in COURT_ACTIONS:
    router.post(f"/{{case_id}}/{_name}", responses=RESPONSES, name=f"court_{_name}")(
        _court_endpoint(ACTIONS[_name])
    )
