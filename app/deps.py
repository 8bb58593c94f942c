"""Request-scoped dependencies: the unit of work, the caller, role checks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import service as auth_service
from app.auth.principal import Principal
from app.auth.sessions import CSRF_HEADER, SAFE_METHODS, SESSION_COOKIE, csrf_valid
from app.context import AppContext
from app.db import utcnow
from app.errors import Forbidden, NotAuthenticated, NotFound
from app.models import Role


def get_context(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


async def _unit_of_work(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request. Commits when the endpoint returns, *before* the response is sent (scope=
    "function"), so a client never sees a success that was not stored; rolls back on any error."""
    async with get_context(request).sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


Session = Annotated[AsyncSession, Depends(_unit_of_work, scope="function")]


async def _context(request: Request) -> AppContext:
    # async: FastAPI runs a plain-def dependency in its thread pool, a thread hop on every request.
    return get_context(request)


Context = Annotated[AppContext, Depends(_context)]


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


# Declares the credential in the OpenAPI document (securitySchemes, each operation's security); the token
# itself is read by bearer_token, which also accepts the pages' cookie.
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="A person's token from POST /api/v1/auth/login, or a machine client's API key (jfk_…).",
)
BearerCredential = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]


def csrf_key(ctx: AppContext) -> bytes:
    return ctx.blind_index_key_bytes


async def signed_in_principal(request: Request, session: Session, _: BearerCredential) -> Principal:
    """The caller, whether or not they still have to replace a password someone else chose."""
    token = bearer_token(request)
    if token is None:
        token = request.cookies.get(SESSION_COOKIE)
        if token is None:
            raise NotAuthenticated()
        # A cookie is sent by the browser on its own: a state-changing request must also prove it comes from
        # our pages. (A bearer token is never sent implicitly, so it needs no such proof.)
        if request.method not in SAFE_METHODS and not csrf_valid(
            token, request.headers.get(CSRF_HEADER), csrf_key(get_context(request))
        ):
            raise Forbidden("Missing or wrong CSRF token.", code="csrf_failed")
    principal = await auth_service.authenticate(session, token, utcnow())
    request.state.principal_key = principal.key  # for the access log; never personal data
    return principal


SignedInPrincipal = Annotated[Principal, Depends(signed_in_principal)]


async def current_principal(principal: SignedInPrincipal) -> Principal:
    """The caller, once they use their own password. Only /auth/me, /auth/password and /auth/logout take
    SignedInPrincipal instead: until then every other call is refused (machine keys never need a change)."""
    if principal.password_change_required:
        raise Forbidden(
            "Set your own password first (POST /api/v1/auth/password).", code="password_change_required"
        )
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role) -> object:
    async def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in roles:
            if principal.is_machine:
                # A machine key reaches only the machine endpoints; to it the rest does not exist.
                raise NotFound()
            raise Forbidden(f"This action needs one of the roles: {', '.join(roles)}.", code="role_required")
        return principal

    return Depends(check)


HumanPrincipal = Annotated[Principal, require_roles(Role.MEDIATOR, Role.SUPERVISOR, Role.ADMIN)]
SupervisorPrincipal = Annotated[Principal, require_roles(Role.SUPERVISOR, Role.ADMIN)]
AdminPrincipal = Annotated[Principal, require_roles(Role.ADMIN)]
