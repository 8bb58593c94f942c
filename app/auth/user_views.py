"""The admin API for people's accounts: /admin/users (list, create, disable, enable, reset a password)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from app.auth import users
from app.auth.admin import create_user
from app.auth.secrets import generate_password
from app.db import utcnow
from app.deps import AdminPrincipal, Context, Session
from app.instants import LocalDateTime
from app.models import Role
from app.pagination import DEFAULT_LIMIT, MAX_LIMIT, USERS

router = APIRouter(prefix="/admin/users", tags=["admin"])

# A one-time password is in the body: no cache may keep it.
NO_STORE = {"Cache-Control": "no-store"}
PersonRole = Annotated[Role, Field(description="mediator, supervisor or admin (court is for machine keys)")]


class OrganizationRef(BaseModel):
    code: str
    name: str


class UserOut(BaseModel):
    username: str
    display_name: str
    role: str
    organization: OrganizationRef
    active: bool
    password_change_required: bool
    created_at: LocalDateTime


class UserPage(BaseModel):
    items: list[UserOut]
    next_cursor: str | None


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    username: str = Field(min_length=2, max_length=64, pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    role: PersonRole
    org: str = Field(min_length=1, max_length=40, description="Organization code, e.g. LY-LC-V01")
    display_name: str = Field(default="", max_length=100)


class IssuedPassword(BaseModel):
    user: UserOut
    one_time_password: str = Field(
        description="Shown only in this response. The person must replace it at first login."
    )


def user_out(found: users.Account) -> UserOut:
    u, org = found.user, found.organization
    return UserOut(
        username=u.username,
        display_name=u.display_name,
        role=u.role,
        organization=OrganizationRef(code=org.code, name=org.name),
        active=u.active,
        password_change_required=u.password_change_required,
        created_at=u.created_at,
    )


def _issued(found: users.Account, password: str, status: int = 200) -> JSONResponse:
    body = IssuedPassword(user=user_out(found), one_time_password=password)
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=NO_STORE)


@router.get("", response_model=UserPage)
async def list_users(
    session: Session,
    ctx: Context,
    principal: AdminPrincipal,
    role: Role | None = None,
    org: Annotated[str | None, Query(description="Organization code")] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> UserPage:
    """People by username, keyset-paginated (`next_cursor`)."""
    after = USERS.decode(ctx.blind_index_key_bytes, cursor)[0] if cursor else None
    found = await users.list_accounts(session, users.UserFilters(role, org), after, limit + 1)
    accounts, next_cursor = USERS.page(ctx.blind_index_key_bytes, found, limit, lambda a: (a.user.username,))
    return UserPage(items=[user_out(a) for a in accounts], next_cursor=next_cursor)


@router.post("", status_code=201, response_model=IssuedPassword, responses={409: {}, 422: {}})
async def create(body: UserIn, session: Session, principal: AdminPrincipal) -> JSONResponse:
    """Create a person with a one-time password, returned only here."""
    password = generate_password()
    await create_user(session, body.username, body.role, body.org, password, body.display_name)
    return _issued(await users.account(session, body.username), password, status=201)


@router.post("/{username}/disable", response_model=UserOut, responses={404: {}, 409: {}})
async def disable(username: str, session: Session, principal: AdminPrincipal) -> UserOut:
    """The person can no longer sign in; their sessions end now. Your own account cannot be disabled."""
    return user_out(await users.disable(session, username, utcnow(), actor_id=principal.id))


@router.post("/{username}/enable", response_model=UserOut, responses={404: {}})
async def enable(username: str, session: Session, principal: AdminPrincipal) -> UserOut:
    return user_out(await users.enable(session, username))


@router.post("/{username}/reset-password", response_model=IssuedPassword, responses={404: {}})
async def reset_password(username: str, session: Session, principal: AdminPrincipal) -> JSONResponse:
    """A new one-time password, returned only here; the person's sessions end and they must replace it at
    their next login."""
    found, password = await users.reset_password(session, username, utcnow())
    return _issued(found, password)
