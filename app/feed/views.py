"""The court sub-center's machine API: the feed (pull, acknowledge, lag) and its cases.

Machine keys reach only these endpoints and only the cases routed to their organization; a person's token
is refused here. The long poll (``wait``) holds no database connection while it waits.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from app.auth import service as auth_service
from app.auth.principal import Principal
from app.auth.secrets import API_KEY_PREFIX
from app.cases.presenter import present_cases
from app.cases.schemas import CaseOut, LocalDateTime
from app.context import AppContext
from app.db import session_scope, utcnow
from app.deps import Session, SupervisorPrincipal, bearer_token, get_context
from app.errors import Forbidden, NotAuthenticated
from app.feed import cursor as cursors
from app.feed import service
from app.models import Case, FeedEvent

router = APIRouter(tags=["court feed"])

CURSOR_RETENTION = timedelta(days=90)
MAX_WAIT_SECONDS = 30
POLL_SECONDS = 0.5


def machine_principal(scope: str) -> Any:
    async def resolve(request: Request) -> Principal:
        token = bearer_token(request)
        if token is None:
            raise NotAuthenticated()
        if not token.startswith(API_KEY_PREFIX):
            raise Forbidden("This endpoint is for machine clients with an API key.", code="machine_only")
        ctx = get_context(request)
        # A short session of its own: a long poll must not hold a connection while it waits.
        async with session_scope(ctx.sessionmaker) as session:
            principal = await auth_service.authenticate(session, token, utcnow())
        if scope not in principal.scopes:
            raise Forbidden(f"The API key lacks the {scope} scope.", code="scope_required")
        request.state.principal_key = principal.key
        return principal

    return Depends(resolve)


FeedReader = Annotated[Principal, machine_principal("feed:read")]


class FeedItem(BaseModel):
    id: int
    type: str
    occurred_at: LocalDateTime
    case_version: int
    data: dict[str, Any]
    case: CaseOut = Field(description="The case as it is now, with the parties' full contact data")


class FeedPage(BaseModel):
    items: list[FeedItem]
    next_cursor: str = Field(description="Pass back as ?cursor=; unchanged when nothing new arrived")
    has_more: bool


class AckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cursor: str


class LagOut(BaseModel):
    client: str
    organization: str
    last_pull_at: LocalDateTime | None
    acked_at: LocalDateTime | None
    unacknowledged: int
    oldest_unacknowledged_at: LocalDateTime | None
    oldest_unacknowledged_age_seconds: int | None


def _key(ctx: AppContext) -> bytes:
    return ctx.blind_index_key_bytes


async def _page(
    ctx: AppContext, principal: Principal, position: cursors.Position, limit: int
) -> FeedPage | None:
    async with session_scope(ctx.sessionmaker) as session:
        now = utcnow()
        events = await service.read(session, principal.organization_id, position, limit + 1)
        await service.touch(session, principal.id, now)
        if not events:
            return None
        more = len(events) > limit
        events = events[:limit]
        cases = await _cases(session, ctx, [e.case_id for e in events])
        last = service.position_of(events[-1])
        return FeedPage(
            items=[_item(e, cases[e.case_id]) for e in events],
            next_cursor=cursors.encode(_key(ctx), principal.organization_id, last, now),
            has_more=more,
        )


async def _cases(session: Any, ctx: AppContext, ids: list[Any]) -> dict[Any, CaseOut]:
    rows = list((await session.execute(select(Case).where(Case.id.in_(set(ids))))).scalars())
    return {c.id: c for c in await present_cases(session, rows, reveal=ctx.cipher)}


def _item(event: FeedEvent, case: CaseOut) -> FeedItem:
    return FeedItem(
        id=event.id,
        type=event.type,
        occurred_at=event.occurred_at,
        case_version=event.case_version,
        data=event.data or {},
        case=case,
    )


@router.get("/feed", response_model=FeedPage, responses={400: {}, 410: {}})
async def pull(
    request: Request,
    principal: FeedReader,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    wait: Annotated[
        int, Query(ge=0, le=MAX_WAIT_SECONDS, description="Long-poll seconds when nothing is new")
    ] = 0,
) -> Response:
    """Events for the cases routed to your organization, in commit order, from ``cursor``. Delivery is at
    least once: process, store, then acknowledge; after a crash, resume from your last stored cursor."""
    ctx = get_context(request)
    now = utcnow()
    position = (
        cursors.decode(_key(ctx), cursor, principal.organization_id, now, CURSOR_RETENTION)
        if cursor
        else cursors.Position.start()
    )
    deadline = time.monotonic() + wait
    while True:
        page = await _page(ctx, principal, position, limit)
        if page is None and time.monotonic() >= deadline:
            same = cursors.encode(_key(ctx), principal.organization_id, position, utcnow())
            page = FeedPage(items=[], next_cursor=same, has_more=False)
        if page is not None:
            # Serialized once, here: returning the model would make FastAPI validate 100 nested cases again.
            return Response(page.model_dump_json(), media_type="application/json")
        await asyncio.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))


@router.post("/feed/ack", status_code=204, responses={400: {}, 410: {}})
async def acknowledge(body: AckIn, request: Request, principal: FeedReader, session: Session) -> None:
    """Record how far you have durably processed (shown to the city in /feed/status)."""
    ctx = get_context(request)
    now = utcnow()
    position = cursors.decode(_key(ctx), body.cursor, principal.organization_id, now, CURSOR_RETENTION)
    await service.touch(session, principal.id, now, acked=position)


@router.get("/feed/status", response_model=list[LagOut])
async def status(session: Session, principal: SupervisorPrincipal) -> list[LagOut]:
    """Per machine client: last pull, last acknowledgement and the oldest event it has not acknowledged."""
    now = utcnow()
    return [
        LagOut(
            **lag.__dict__,
            oldest_unacknowledged_age_seconds=(
                int((now - lag.oldest_unacknowledged_at).total_seconds())
                if lag.oldest_unacknowledged_at
                else None
            ),
        )
        for lag in await service.lag(session)
    ]
