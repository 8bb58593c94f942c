"""Looking after people's accounts (CLI and admin API): list, disable, enable, reset a password, unlock.

Creating one is ``app.auth.admin.create_user``. Whoever resets a password sees the new one once; its owner
must replace it at the next login (``password_change_required``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.secrets import generate_password, hash_password
from app.errors import Conflict, NotFound
from app.models import AuthToken, LoginAttempt, Organization, Role, User


@dataclass(frozen=True)
class Account:
    user: User
    organization: Organization


@dataclass(frozen=True)
class UserFilters:
    role: Role | None = None
    org_code: str | None = None


async def account(session: AsyncSession, username: str) -> Account:
    row = (
        await session.execute(
            select(User, Organization)
            .join(Organization, Organization.id == User.organization_id)
            .where(User.username == username)
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"No user named {username}.", code="user.not_found")
    return Account(*row)


async def list_accounts(
    session: AsyncSession, filters: UserFilters, after_username: str | None, limit: int
) -> list[Account]:
    """By username, from just after ``after_username`` (keyset): stable while users are added."""
    stmt = (
        select(User, Organization)
        .join(Organization, Organization.id == User.organization_id)
        .order_by(User.username)
        .limit(limit)
    )
    if filters.role is not None:
        stmt = stmt.where(User.role == filters.role)
    if filters.org_code is not None:
        stmt = stmt.where(Organization.code == filters.org_code)
    if after_username is not None:
        stmt = stmt.where(User.username > after_username)
    return [Account(u, o) for u, o in await session.execute(stmt)]


async def end_sessions(
    session: AsyncSession, user_id: int, now: datetime, *, keep_token_hash: str | None = None
) -> None:
    """Revoke every live login token of the user, but the one whose hash is ``keep_token_hash``."""
    stmt = update(AuthToken).where(AuthToken.user_id == user_id, AuthToken.revoked_at.is_(None))
    if keep_token_hash is not None:
        stmt = stmt.where(AuthToken.token_hash != keep_token_hash)
    await session.execute(stmt.values(revoked_at=now))


async def disable(
    session: AsyncSession, username: str, now: datetime, actor_id: int | None = None
) -> Account:
    """The person can no longer sign in, and every session they have ends now."""
    found = await account(session, username)
    if found.user.id == actor_id:
        # The last admin locking themselves out would need the CLI on the server to undo it.
        raise Conflict("You cannot disable your own account.", code="user.self")
    found.user.active = False
    await end_sessions(session, found.user.id, now)
    await session.flush()
    return found


async def enable(session: AsyncSession, username: str) -> Account:
    found = await account(session, username)
    found.user.active = True
    await session.flush()
    return found


async def reset_password(session: AsyncSession, username: str, now: datetime) -> tuple[Account, str]:
    """A new one-time password (returned once, stored hashed); the owner must replace it at the next login.
    Sessions made with the old password end: it may be why the reset was asked for."""
    found = await account(session, username)
    password = generate_password()
    await set_one_time_password(session, found.user, password, now)
    return found, password


async def set_one_time_password(session: AsyncSession, user: User, password: str, now: datetime) -> None:
    """``password`` becomes the user's, to be replaced at the next login; the old one's sessions end."""
    user.password_hash = hash_password(password)
    user.password_change_required = True
    await end_sessions(session, user.id, now)
    await session.flush()


async def unlock(session: AsyncSession, username: str) -> int:
    """Clear the login throttle for the account: forget its failed attempts (the throttle counts them per
    username in a window, app.auth.service). Successful logins stay recorded. Returns how many were
    forgotten. Failures from the same address against other accounts still count for that address."""
    await account(session, username)
    result = await session.execute(
        delete(LoginAttempt).where(LoginAttempt.username == username, LoginAttempt.succeeded.is_(False))
    )
    return int(getattr(result, "rowcount", 0) or 0)
