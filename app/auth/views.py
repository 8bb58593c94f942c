"""POST /auth/login, POST /auth/logout, GET /auth/me, POST /auth/password."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from app.auth import passwords, service
from app.auth.sessions import SESSION_COOKIE
from app.db import utcnow
from app.deps import Context, Session, SignedInPrincipal, bearer_token
from app.errors import FieldError, NotFound, problem_response
from app.instants import LocalDateTime

router = APIRouter(prefix="/auth", tags=["auth"])


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth 2 token type name
    expires_at: LocalDateTime


class Me(BaseModel):
    kind: str
    name: str
    role: str
    organization_id: int
    organization_name: str
    password_change_required: bool = Field(
        description="true: the password was set by someone else (CLI, admin, demo seed). Every call but "
        "GET /auth/me, POST /auth/password and POST /auth/logout gets 403 `password_change_required` until "
        "the person sets their own with POST /auth/password."
    )


class PasswordChangeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(
        min_length=1,
        max_length=256,
        description="At least 10 characters; at least two of lower-case, upper-case, digits and other "
        "characters; not containing the username; not a common password; not the current one. Field error "
        "codes: password.too_short, password.one_class, password.contains_username, password.common, "
        "password.reused.",
    )


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
async def logout(request: Request, session: Session, principal: SignedInPrincipal) -> Response:
    token = bearer_token(request)
    if token is not None and not principal.is_machine:
        await service.logout(session, token, utcnow())
    return Response(status_code=204)


@router.get("/me", response_model=Me)
async def me(principal: SignedInPrincipal) -> Me:
    return Me(
        kind=principal.kind,
        name=principal.name,
        role=principal.role,
        organization_id=principal.organization_id,
        organization_name=principal.organization_name,
        password_change_required=principal.password_change_required,
    )


@router.post("/password", status_code=204, responses={403: {}, 422: {}, 429: {}})
async def change_password(
    body: PasswordChangeRequest,
    request: Request,
    session: Session,
    ctx: Context,
    principal: SignedInPrincipal,
) -> Response:
    """Replace your own password. The token of this request stays valid; every other session of yours ends.
    A wrong `current_password` counts as a failed login (the same throttle applies)."""
    if principal.is_machine:
        raise NotFound()  # as require_roles: to a machine key, the people's endpoints do not exist
    change = passwords.PasswordChange(
        user_id=principal.id,
        username=principal.name,
        current_password=body.current_password,
        new_password=body.new_password,
        kept_token=bearer_token(request) or request.cookies.get(SESSION_COOKIE),
    )
    if not await passwords.change_own_password(
        session, ctx.settings, change, client_address(request), utcnow()
    ):
        # Returned, not raised, so the failed attempt is committed and counts towards the throttle.
        return problem_response(
            422,
            "Invalid request",
            "The current password is wrong.",
            "validation_failed",
            instance=request.url.path,
            errors=[FieldError("current_password", "password.incorrect", "The current password is wrong.")],
        )
    return Response(status_code=204)
