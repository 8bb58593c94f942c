"""Demo accounts and the credentials file that keeps their passwords (``var/demo-credentials.txt``).

The file is the only place a demo password is kept (the database holds hashes), so a second seed never
loses an entry: it adds what is missing and rewrites the file with every entry it knew. It is written
owner-only (0600), through a temporary file, so it is never seen half-written or world-readable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.admin import create_client, create_user, rotate_client_key
from app.auth.secrets import generate_password
from app.auth.users import set_one_time_password
from app.models import ApiClient, Organization, Role, User
from app.organizations.demo import COURT_CLIENT, COURT_CODE, DEMO_USERS

HEADER = ("username", "role", "organization_code", "organization_name", "password")
COURT_SCOPES = ["feed:read", "case:write"]


@dataclass(frozen=True)
class Credential:
    username: str
    role: str
    org_code: str
    org_name: str
    password: str  # for the court, its API key

    def line(self) -> str:
        return "\t".join((self.username, self.role, self.org_code, self.org_name, self.password))


def read_credentials(path: Path) -> dict[str, Credential]:
    """The entries of an existing file, by username (a missing file has none)."""
    if not path.exists():
        return {}
    entries = {}
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        fields = line.split("\t")
        if len(fields) == len(HEADER):
            entries[fields[0]] = Credential(*fields)
    return entries


def write_credentials(path: Path, entries: list[Credential]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.unlink(missing_ok=True)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("\t".join(HEADER) + "\n")
        f.writelines(entry.line() + "\n" for entry in entries)
    os.replace(temporary, path)
    os.chmod(path, 0o600)


@dataclass
class SeedReport:
    created: list[str] = field(default_factory=list)
    reset: list[str] = field(default_factory=list)
    # Accounts that exist but whose password the file does not have (it was deleted): --reset-passwords.
    unknown_password: list[str] = field(default_factory=list)


async def seed_accounts(session: AsyncSession, path: Path, *, reset: bool, now: datetime) -> SeedReport:
    """Create the missing demo accounts and the court key (all of them anew with ``reset``) and write
    every known credential to ``path``. Demo accounts are made by the same ``create_user`` as any other,
    so they carry the same first-login rules."""
    known = read_credentials(path)
    names = {code: name for code, name in await session.execute(select(Organization.code, Organization.name))}
    users = {u.username: u for u in (await session.execute(select(User))).scalars()}
    report = SeedReport()
    entries: list[Credential] = []
    for username, role, code in DEMO_USERS:
        user = users.get(username)
        if user is None:
            password = generate_password()
            await create_user(session, username, Role(role), code, password)
            report.created.append(username)
        elif reset:
            password = generate_password()
            await set_one_time_password(session, user, password, now)
            report.reset.append(username)
        elif username in known:
            password = known[username].password
        else:
            report.unknown_password.append(username)
            continue
        entries.append(Credential(username, role, code, names[code], password))
    entries += await _court_key(session, known, names, reset, now, report)
    write_credentials(path, entries)
    return report


async def _court_key(
    session: AsyncSession,
    known: dict[str, Credential],
    names: dict[str, str],
    reset: bool,
    now: datetime,
    report: SeedReport,
) -> list[Credential]:
    client = (
        await session.execute(select(ApiClient).where(ApiClient.name == COURT_CLIENT))
    ).scalar_one_or_none()
    if client is None:
        key = (await create_client(session, COURT_CLIENT, COURT_CODE, COURT_SCOPES, now)).key
        report.created.append(COURT_CLIENT)
    elif reset and client.revoked_at is None:
        # No overlap: a reset means the old demo key must stop working now.
        key = (await rotate_client_key(session, COURT_CLIENT, timedelta(0), now)).key
        report.reset.append(COURT_CLIENT)
    elif COURT_CLIENT in known:
        key = known[COURT_CLIENT].password
    else:
        report.unknown_password.append(COURT_CLIENT)
        return []
    return [Credential(COURT_CLIENT, Role.COURT, COURT_CODE, names[COURT_CODE], key)]
