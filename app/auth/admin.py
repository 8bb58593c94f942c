"""Creating users and machine clients (CLI and admin API)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.secrets import hash_password, new_api_key, sha256_hex
from app.auth.service import MACHINE_CLIENT_ORG_KINDS
from app.errors import Conflict, FieldError, NotFound, ValidationFailed
from app.models import ApiClient, ApiClientKey, Organization, OrgKind, Role, User

KNOWN_SCOPES = frozenset({"feed:read", "case:write"})
MIN_PASSWORD_LENGTH = 10

# Which organizations may hold which human role.
ROLE_ORG_KINDS: dict[Role, set[str]] = {
    Role.MEDIATOR: {
        OrgKind.VILLAGE_COMMITTEE,
        OrgKind.TOWN_STATION,
        OrgKind.SPECIALISED_COMMITTEE,
        OrgKind.CITY_CENTER,
        OrgKind.CITY_CHANNEL,
    },
    Role.SUPERVISOR: {OrgKind.JUSTICE_OFFICE, OrgKind.JUSTICE_BUREAU},
    Role.ADMIN: {OrgKind.JUSTICE_BUREAU},
}


async def org_by_code(session: AsyncSession, code: str) -> Organization:
    org = (await session.execute(select(Organization).where(Organization.code == code))).scalar_one_or_none()
    if org is None:
        raise NotFound(f"No organization with code {code}.", code="organization.not_found")
    return org


async def create_user(
    session: AsyncSession,
    username: str,
    role: Role,
    org_code: str,
    password: str,
    display_name: str = "",
    *,
    password_change_required: bool = True,
) -> User:
    """A person with a password someone else chose: by default they must replace it at first login."""
    if role == Role.COURT:
        raise ValidationFailed(
            [FieldError("role", "role.machine_only", "The court role is for API clients.")]
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            [
                FieldError(
                    "password",
                    "password.too_short",
                    f"At least {MIN_PASSWORD_LENGTH} characters.",
                    {"min_length": MIN_PASSWORD_LENGTH},
                )
            ]
        )
    org = await org_by_code(session, org_code)
    if org.kind not in ROLE_ORG_KINDS[role]:
        raise ValidationFailed(
            [FieldError("org", "role.organization_kind", f"A {role} cannot belong to a {org.kind}.")]
        )
    if (await session.execute(select(User.id).where(User.username == username))).first():
        raise Conflict(f"User {username} exists.", code="user.exists")
    user = User(
        username=username,
        display_name=display_name,
        password_hash=hash_password(password),
        role=role,
        organization_id=org.id,
        password_change_required=password_change_required,
    )
    session.add(user)
    await session.flush()
    return user


@dataclass(frozen=True)
class IssuedKey:
    client: ApiClient
    prefix: str
    key: str


async def create_client(
    session: AsyncSession, name: str, org_code: str, scopes: list[str], now: datetime
) -> IssuedKey:
    unknown = set(scopes) - KNOWN_SCOPES
    if unknown:
        raise ValidationFailed([FieldError("scopes", "scope.unknown", f"Unknown scopes: {sorted(unknown)}")])
    org = await org_by_code(session, org_code)
    if org.kind not in MACHINE_CLIENT_ORG_KINDS:
        raise ValidationFailed(
            [
                FieldError(
                    "org",
                    "client.organization_kind",
                    f"Machine clients act for the court sub-center; {org.code} is a {org.kind}.",
                )
            ],
            detail=f"Machine clients act only for the court sub-center, and {org.code} is a {org.kind}.",
        )
    if (await session.execute(select(ApiClient.id).where(ApiClient.name == name))).first():
        raise Conflict(f"Client {name} exists.", code="client.exists")
    client = ApiClient(name=name, organization_id=org.id, scopes=sorted(set(scopes)))
    session.add(client)
    await session.flush()
    prefix, key = await _add_key(session, client.id, now)
    return IssuedKey(client, prefix, key)


async def _add_key(session: AsyncSession, client_id: int, now: datetime) -> tuple[str, str]:
    prefix, key = new_api_key()
    session.add(ApiClientKey(client_id=client_id, prefix=prefix, key_hash=sha256_hex(key), created_at=now))
    await session.flush()
    return prefix, key


async def _client_by_name(session: AsyncSession, name: str) -> ApiClient:
    client = (await session.execute(select(ApiClient).where(ApiClient.name == name))).scalar_one_or_none()
    if client is None:
        raise NotFound(f"No client named {name}.", code="client.not_found")
    return client


async def rotate_client_key(session: AsyncSession, name: str, overlap: timedelta, now: datetime) -> IssuedKey:
    """Issue a new key; the current keys stay valid for ``overlap``: the client switches without downtime."""
    client = await _client_by_name(session, name)
    if client.revoked_at is not None:
        raise Conflict(f"Client {name} is revoked.", code="client.revoked")
    await session.execute(
        update(ApiClientKey)
        .where(
            ApiClientKey.client_id == client.id,
            ApiClientKey.revoked_at.is_(None),
            (ApiClientKey.expires_at.is_(None)) | (ApiClientKey.expires_at > now + overlap),
        )
        .values(expires_at=now + overlap)
    )
    prefix, key = await _add_key(session, client.id, now)
    return IssuedKey(client, prefix, key)


async def revoke_client(session: AsyncSession, name: str, now: datetime) -> None:
    client = await _client_by_name(session, name)
    client.revoked_at = now
    await session.execute(
        update(ApiClientKey)
        .where(ApiClientKey.client_id == client.id, ApiClientKey.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def list_clients(session: AsyncSession) -> list[tuple[ApiClient, Organization, list[ApiClientKey]]]:
    rows = (
        await session.execute(
            select(ApiClient, Organization)
            .join(Organization, Organization.id == ApiClient.organization_id)
            .order_by(ApiClient.name)
        )
    ).all()
    keys = list((await session.execute(select(ApiClientKey).order_by(ApiClientKey.id))).scalars())
    return [(c, o, [k for k in keys if k.client_id == c.id]) for c, o in rows]
