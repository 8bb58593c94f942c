"""Login with a throttle counted in the database, logout, and resolving a bearer token to a principal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Label, bindparam, false, func, literal_column, null, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.auth.principal import Principal
from app.auth.secrets import (
    API_KEY_PREFIX,
    burn_password_check,
    new_user_token,
    sha256_hex,
    verify_password,
)
from app.config import Settings
from app.errors import Forbidden, NotAuthenticated, TooManyRequests
from app.models import ApiClient, ApiClientKey, AuthToken, LoginAttempt, Organization, OrgKind, Role, User


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_at: datetime


async def _recent_failures(
    session: AsyncSession, column: InstrumentedAttribute[str], value: str, since: datetime
) -> int:
    stmt = select(func.count()).where(
        column == value,
        LoginAttempt.attempted_at >= since,
        LoginAttempt.succeeded.is_(False),
    )
    return int((await session.execute(stmt)).scalar_one())


async def check_login_throttle(
    session: AsyncSession, settings: Settings, username: str, address: str, now: datetime
) -> None:
    """Refuse while an account or an address has too many recent failures (shared by all replicas)."""
    window = timedelta(minutes=settings.login_window_minutes)
    since = now - window
    per_account = await _recent_failures(session, LoginAttempt.username, username, since)
    per_address = await _recent_failures(session, LoginAttempt.address, address, since)
    if (
        per_account >= settings.login_max_failures_per_account
        or per_address >= settings.login_max_failures_per_address
    ):
        raise TooManyRequests(
            "Too many failed logins; try again later.",
            retry_after=int(window.total_seconds()),
            code="login_throttled",
        )


async def login(
    session: AsyncSession, settings: Settings, username: str, password: str, address: str, now: datetime
) -> IssuedToken | None:
    """Return a new token, or None for bad credentials. The attempt is recorded either way (the caller
    commits)."""
    user = (await session.execute(select(User).where(User.username == username))).scalar_one_or_none()
    if user is None:
        burn_password_check(password)
        ok = False
    else:
        ok = user.active and verify_password(user.password_hash, password)
    session.add(LoginAttempt(username=username, address=address, succeeded=ok, attempted_at=now))
    if not ok or user is None:
        return None
    token = new_user_token()
    expires_at = now + timedelta(minutes=settings.token_ttl_minutes)
    session.add(
        AuthToken(user_id=user.id, token_hash=sha256_hex(token), created_at=now, expires_at=expires_at)
    )
    await session.flush()
    return IssuedToken(token, expires_at)


async def logout(session: AsyncSession, token: str, now: datetime) -> None:
    await session.execute(
        update(AuthToken)
        .where(AuthToken.token_hash == sha256_hex(token), AuthToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


_tokens, _users, _orgs = AuthToken.__table__.c, User.__table__.c, Organization.__table__.c
_clients, _keys = ApiClient.__table__.c, ApiClientKey.__table__.c
# The credential's organization, as every Principal carries it.
_ORG = (_orgs.id.label("org_id"), _orgs.kind.label("org_kind"), _orgs.town_id, _orgs.name.label("org_name"))
# Every machine key acts for the court sub-center, with the court's full view of the parties' contact data;
# so a machine client belongs to the court sub-center or to nobody (refused at creation and on each request).
MACHINE_CLIENT_ORG_KINDS = frozenset({OrgKind.COURT_SUBCENTER})
_COURT_ROLE: Label[str] = literal_column(f"'{Role.COURT.value}'").label("role")

# Built once, the same columns for a person's token and a machine key, and only those a Principal needs: no
# entities per request. Checked against the database on every request (no cache), so a logout, a revoked key
# or a deactivated user takes effect at once on every replica.
_USER_BY_TOKEN = (
    select(
        _users.id,
        _users.role,
        _users.username.label("name"),
        null().label("scopes"),
        _users.password_change_required.label("must_change"),
        *_ORG,
    )
    .select_from(
        AuthToken.__table__.join(User.__table__, _tokens.user_id == _users.id).join(
            Organization.__table__, _orgs.id == _users.organization_id
        )
    )
    .where(
        _tokens.token_hash == bindparam("credential_hash"),
        _tokens.revoked_at.is_(None),
        _tokens.expires_at > bindparam("now"),
        _users.active.is_(True),
    )
)
_CLIENT_BY_KEY = (
    select(_clients.id, _COURT_ROLE, _clients.name, _clients.scopes, false().label("must_change"), *_ORG)
    .select_from(
        ApiClientKey.__table__.join(ApiClient.__table__, _keys.client_id == _clients.id).join(
            Organization.__table__, _orgs.id == _clients.organization_id
        )
    )
    .where(
        _keys.key_hash == bindparam("credential_hash"),
        _keys.revoked_at.is_(None),
        _keys.expires_at.is_(None) | (_keys.expires_at > bindparam("now")),
        _clients.revoked_at.is_(None),
    )
)


async def authenticate(session: AsyncSession, token: str, now: datetime) -> Principal:
    """A person's bearer token or a machine client's API key (told apart by the key's visible prefix)."""
    machine = token.startswith(API_KEY_PREFIX)
    stmt = _CLIENT_BY_KEY if machine else _USER_BY_TOKEN
    params = {"credential_hash": sha256_hex(token), "now": now}
    row = (await session.execute(stmt, params)).one_or_none()
    if row is None:
        if machine:
            raise NotAuthenticated("The API key is invalid, expired or revoked.", code="invalid_api_key")
        raise NotAuthenticated("The token is invalid, expired or revoked.", code="invalid_token")
    if machine and row.org_kind not in MACHINE_CLIENT_ORG_KINDS:
        # A key made before this rule, bound to another organization: it would act as the court.
        raise Forbidden(
            "This API key is bound to an organization that is not the court sub-center; machine clients act "
            "only for the court sub-center.",
            code="api_key.organization_not_court",
        )
    return Principal(
        kind="client" if machine else "user",
        id=row.id,
        role=Role(row.role),
        organization_id=row.org_id,
        organization_kind=row.org_kind,
        town_id=row.town_id,
        name=row.name,
        scopes=frozenset(row.scopes or ()),
        organization_name=row.org_name,
        password_change_required=bool(row.must_change),
    )
