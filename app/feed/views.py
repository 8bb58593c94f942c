"""The court sub-center's machine API: the feed (pull, acknowledge, lag) and its cases.

Machine keys reach only these endpoints and only the cases routed to their organization; a person's token
is refused here. The long poll (``wait``) holds no database connection while it waits, and ends at once
when the server is shutting down.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import to_json
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import service as auth_service
from app.auth.principal import Principal
from app.auth.secrets import API_KEY_PREFIX
from app.cases.presenter import Reveal
from app.cases.schemas import CaseOut, LocalDateTime
from app.context import AppContext
from app.db import session_scope, utcnow
from app.deps import BearerCredential, Session, SupervisorPrincipal, bearer_token, get_context
from app.errors import Forbidden, NotAuthenticated
from app.feed import cursor as cursors
from app.feed import service
from app.feed.presenter import Json, feed_items
from app.shutdown import Draining

router = APIRouter(tags=["court feed"])

CURSOR_RETENTION = timedelta(days=90)
MAX_WAIT_SECONDS = 30
POLL_SECONDS = 0.5


# async: FastAPI runs a plain function in a thread
async def machine_key(request: Request, _: BearerCredential = None) -> str:
    """The caller's API key; refused before any database work when there is none or it is a person's."""
    token = bearer_token(request)
    if token is None:
        raise NotAuthenticated()
    if not token.startswith(API_KEY_PREFIX):
        raise Forbidden("This endpoint is for machine clients with an API key.", code="machine_only")
    return token


async def authorize(session: AsyncSession, request: Request, key: str, scope: str) -> Principal:
    principal = await auth_service.authenticate(session, key, utcnow())
    if scope not in principal.scopes:
        raise Forbidden(f"The API key lacks the {scope} scope.", code="scope_required")
    request.state.principal_key = principal.key
    return principal


def machine_principal(scope: str) -> Any:
    """A machine client with ``scope``, authenticated in the request's session."""

    async def resolve(request: Request, session: Session, _: BearerCredential) -> Principal:
        return await authorize(session, request, await machine_key(request), scope)

    return Depends(resolve)


FeedReader = Annotated[Principal, machine_principal("feed:read")]


class FeedItem(BaseModel):
    id: int
    type: str
    occurred_at: LocalDateTime
    case_version: int
    data: dict[str, Any]
    case: CaseOut = Field(
        description="The case as it is now: the parties' full contact data while the case is with your "
        "organization or was resolved by it; masked once it has left (case.routed_away)"
    )


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
    session: AsyncSession, ctx: AppContext, principal: Principal, position: cursors.Position, limit: int
) -> Json | None:
    """The page after ``position`` as FeedPage's JSON-ready dict, or None when nothing new is visible."""
    now = utcnow()
    events = await service.read(session, principal.organization_id, position, limit + 1)
    await service.record_pull(session, principal.id, now)
    if not events:
        return None
    more = len(events) > limit
    events = events[:limit]
    return {
        "items": await feed_items(session, events, Reveal(ctx.cipher, principal.organization_id)),
        "next_cursor": cursors.encode(
            _key(ctx), principal.organization_id, service.position_of(events[-1]), now
        ),
        "has_more": more,
    }


@router.get("/feed", response_model=FeedPage, responses={400: {}, 410: {}})
async def pull(
    request: Request,
    key: Annotated[str, Depends(machine_key)],
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    wait: Annotated[
        int, Query(ge=0, le=MAX_WAIT_SECONDS, description="Long-poll seconds when nothing is new")
    ] = 0,
) -> Response:
    """Events for the cases routed to your organization, in commit order, from ``cursor``. Delivery is at
    least once: process, store, then acknowledge; after a crash, resume from your last stored cursor.
    When the service is shutting down, a long poll ends at once with an empty page and the same cursor."""
    ctx = get_context(request)
    draining: Draining = request.app.state.draining
    deadline = time.monotonic() + wait
    principal: Principal | None = None
    position = cursors.Position.start()
    while True:
        # One short session per attempt, the first one authenticating too: none is held while waiting.
        async with session_scope(ctx.sessionmaker) as session:
            if principal is None:
                principal = await authorize(session, request, key, "feed:read")
                if cursor:
                    org_id, now = principal.organization_id, utcnow()
                    position = cursors.decode(_key(ctx), cursor, org_id, now, CURSOR_RETENTION)
            page = await _page(session, ctx, principal, position, limit)
        if page is None and (time.monotonic() >= deadline or draining.is_set()):
            # Nothing new in time, or the server is stopping: the same cursor, to resume from.
            same = cursors.encode(_key(ctx), principal.organization_id, position, utcnow())
            page = {"items": [], "next_cursor": same, "has_more": False}
        if page is not None:
            # Serialized here, in one pass: no pydantic models per case, no validation by FastAPI.
            return Response(to_json(page), media_type="application/json")
        await draining.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))


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
