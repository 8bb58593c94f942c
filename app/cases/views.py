"""Case endpoints: intake, reads and the timeline."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.responses import Response

from app.auth.scope import case_scope
from app.cases import repository as repo
from app.cases.action_views import case_response
from app.cases.detail import CaseDetailOut
from app.cases.intake import create_case
from app.cases.presenter import masked_text, present_cases
from app.cases.schemas import CaseIn, CaseOut, CasePage, CategoryCode, EventOut, EventPage
from app.db import utcnow
from app.deps import Context, HumanPrincipal, Session
from app.errors import NotFound
from app.idempotency import check_key
from app.models import CaseStatus, Role, Tier
from app.pagination import CASE_EVENTS, CASES, DEFAULT_LIMIT, MAX_LIMIT
from app.pii.free_text import mask_strings
from app.validation import DATE_RANGE, AwareDateTime

router = APIRouter(prefix="/cases", tags=["cases"])


POSSIBLE_DUPLICATE = {
    "description": "`case.possible_duplicate`: a party's ID number is in an open case received in the last "
    "90 days; `duplicates` lists them as {reference, status, status_label}. Nothing was stored and no case "
    'number taken: send the same body again with `"confirm_duplicate": true` to register it. (Also '
    "`idempotency_key.in_progress`.)"
}


@router.post("", status_code=201, response_model=CaseOut, responses={422: {}, 409: POSSIBLE_DUPLICATE})
async def create(
    body: CaseIn,
    session: Session,
    ctx: Context,
    principal: HumanPrincipal,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> Response:
    """Register a dispute. With `Idempotency-Key`, a retry returns the first response (same case), and never
    asks about duplicates. A party's ID number in an open case of the last 90 days makes it a possible
    duplicate (409 `case.possible_duplicate`) unless `confirm_duplicate` is true."""
    if principal.role not in (Role.MEDIATOR, Role.ADMIN):
        raise NotFound()
    key = check_key(idempotency_key) if idempotency_key is not None else None
    result = await create_case(session, ctx, principal, body, key, utcnow())
    headers = {"Location": f"/api/v1/cases/{result.case_id}", "ETag": f'"{result.version}"'}
    if result.replayed:
        headers["Idempotent-Replayed"] = "true"
    return Response(result.body, status_code=result.status, headers=headers, media_type="application/json")


@router.get("", response_model=CasePage)
async def list_cases(
    session: Session,
    ctx: Context,
    principal: HumanPrincipal,
    status: CaseStatus | None = None,
    tier: Tier | None = None,
    organization: Annotated[str | None, Query(description="Organization code the case is now with")] = None,
    town: Annotated[str | None, Query(description="Town code")] = None,
    category: CategoryCode | None = None,
    received_from: Annotated[
        AwareDateTime | None, Query(description=f"Received at or after; ISO 8601 with offset, {DATE_RANGE}")
    ] = None,
    received_to: Annotated[
        AwareDateTime | None, Query(description=f"Received before; ISO 8601 with offset, {DATE_RANGE}")
    ] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> CasePage:
    orgs = await repo.orgs_by_codes(session, [c for c in (organization, town) if c])
    if (organization and organization not in orgs) or (town and town not in orgs):
        return CasePage(items=[], next_cursor=None)
    filters = repo.CaseFilters(
        status=status,
        tier=tier,
        organization_id=orgs[organization].id if organization else None,
        town_id=orgs[town].id if town else None,
        category=category,
        received_from=received_from,
        received_to=received_to,
    )
    key = ctx.blind_index_key_bytes
    after = CASES.decode(key, cursor) if cursor else None
    found = await repo.list_cases(session, case_scope(principal), filters, after, limit + 1)
    cases, next_cursor = CASES.page(key, found, limit, lambda c: (c.received_at.isoformat(), str(c.id)))
    return CasePage(items=await present_cases(session, cases), next_cursor=next_cursor)


@router.get("/{case_id}", response_model=CaseDetailOut)
async def get_case(case_id: uuid.UUID, session: Session, principal: HumanPrincipal) -> Response:
    """The case, with what the caller may do on it now (`allowed_actions`, `outcome_choices`,
    `escalation_target`, `may_reveal_contact`)."""
    case = await repo.get_case(session, case_id, case_scope(principal))
    if case is None:
        raise NotFound("No such case.", code="case.not_found")
    return await case_response(session, principal, case, utcnow())


@router.get("/{case_id}/events", response_model=EventPage)
async def case_events(
    case_id: uuid.UUID,
    session: Session,
    ctx: Context,
    principal: HumanPrincipal,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = MAX_LIMIT,
) -> EventPage:
    if await repo.get_case(session, case_id, case_scope(principal)) is None:
        raise NotFound("No such case.", code="case.not_found")
    key = ctx.blind_index_key_bytes
    after = CASE_EVENTS.decode(key, cursor)[0] if cursor else None
    found = await repo.events_of(session, case_id, after, limit + 1)
    events, next_cursor = CASE_EVENTS.page(key, found, limit, lambda e: (e.id,))
    orgs = await repo.orgs_by_ids(session, [e.actor_org_id for e in events])
    items = [
        EventOut(
            id=e.id,
            type=e.type,
            from_status=e.from_status,
            to_status=e.to_status,
            case_version=e.case_version,
            actor=f"user:{e.actor_user_id}"
            if e.actor_user_id
            else (f"client:{e.actor_client_id}" if e.actor_client_id else None),
            organization=orgs[e.actor_org_id].code if e.actor_org_id in orgs else None,
            reason=masked_text(e.reason),
            data=mask_strings(e.data or {}),
            occurred_at=e.occurred_at,
        )
        for e in events
    ]
    return EventPage(items=items, next_cursor=next_cursor)
