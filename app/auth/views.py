"""POST /auth/login, POST /auth/logout, GET /auth/me."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from app.auth import service
from app.db import utcnow
from app.deps import Context, CurrentPrincipal, Session, bearer_token
from app.errors import problem_response

router = APIRouter(prefix="/auth", tags=["auth"])


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth 2 token type name
    expires_at: datetime


class Me(BaseModel):
    kind: str
    name: str
    role: str
    organization_id: int


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/login", response_model=TokenResponse, responses={401: {}, 429: {}})
async def login(body: LoginRequest, request: Request, session: Session, ctx: Context) -> object:
    now = utcnow()
    address = client_address(request)
    await service.check_login_throttle(session, ctx.settings, body.username, address, now)
    issued = await service.login(session, ctx.settings, body.username, body.password, address, now)
    if issued is None:
        # Returned, not raised, so the failed attempt is committed and counts towards the throttle.
        return problem_response(
            401,
            "Unauthorized",
            "Wrong username or password.",
            "invalid_credentials",
            instance=request.url.path,
        )
    return TokenResponse(access_token=issued.access_token, expires_at=issued.expires_at)


@router.post("/logout", status_code=204)
async def logout(request: Request, session: Session, principal: CurrentPrincipal) -> Response:
    token = bearer_token(request)
    if token is not None and not principal.is_machine:
        await service.logout(session, token, utcnow())
    return Response(status_code=204)


@router.get("/me", response_model=Me)
async def me(principal: CurrentPrincipal) -> Me:
    return Me(
        kind=principal.kind,
        name=principal.name,
        role=principal.role,
        organization_id=principal.organization_id,
    )
