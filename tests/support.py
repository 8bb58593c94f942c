"""Factories and helpers shared by the tests: the demo world, logins, valid case bodies."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from app.auth.secrets import hash_password, new_api_key, sha256_hex
from app.db import session_scope, utcnow
from app.models import ApiClient, ApiClientKey, Organization, User
from app.organizations.demo import load_demo_tree
from app.pii.identity import resident_id_check_char

PASSWORD = "correct-horse-battery"
_PASSWORD_HASH = hash_password(PASSWORD)  # argon2 is slow by design: hash once per test run

USERS: dict[str, tuple[str, str]] = {
    "admin": ("admin", "LY"),
    "bureau": ("supervisor", "LY"),
    "lc_sfs": ("supervisor", "LY-LC-SFS"),
    "dt_sfs": ("supervisor", "LY-DT-SFS"),
    "lc_stn": ("mediator", "LY-LC-STN"),
    "lc_v01": ("mediator", "LY-LC-V01"),
    "lc_v02": ("mediator", "LY-LC-V02"),
    "dt_v01": ("mediator", "LY-DT-V01"),
    "dt_stn": ("mediator", "LY-DT-STN"),
    "cc": ("mediator", "LY-CC"),
    "admrev": ("mediator", "LY-CC-ADMREVIEW"),
    "labour": ("mediator", "LY-SP-LABOUR"),
}


async def reset_reference_data(conn: AsyncConnection) -> None:
    """Put back what migrations insert, after the tables were truncated (PostgreSQL isolation)."""
    from tests import reference_data

    await reference_data.restore(conn)


@dataclass
class World:
    app: Any
    orgs: dict[str, int]
    court_key: str
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}


async def build_world(app: Any) -> World:
    ctx = app.state.ctx
    async with session_scope(ctx.sessionmaker) as session:
        await load_demo_tree(session)
        orgs = {
            code: oid for code, oid in (await session.execute(select(Organization.code, Organization.id)))
        }
        await session.execute(
            insert(User),
            [
                {
                    "username": u,
                    "role": role,
                    "organization_id": orgs[org],
                    "password_hash": _PASSWORD_HASH,
                    # Known test passwords, not one-time ones: these users need not change them.
                    "password_change_required": False,
                }
                for u, (role, org) in USERS.items()
            ],
        )
        client = ApiClient(name="court", organization_id=orgs["LY-COURT"], scopes=["feed:read", "case:write"])
        session.add(client)
        await session.flush()
        prefix, key = new_api_key()
        session.add(
            ApiClientKey(client_id=client.id, prefix=prefix, key_hash=sha256_hex(key), created_at=utcnow())
        )
    world = World(app=app, orgs=orgs, court_key=key)
    world.tokens["court"] = key
    return world


async def login(client: httpx.AsyncClient, world: World, username: str) -> dict[str, str]:
    if username not in world.tokens:
        r = await client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
        world.tokens[username] = r.json()["access_token"]
    return world.headers(username)


def make_id_number(rng: random.Random | None = None, birth: date = date(1980, 5, 17)) -> str:
    rng = rng or random.Random()
    first17 = f"320481{birth:%Y%m%d}{rng.randrange(1000):03d}"
    return first17 + resident_id_check_char(first17)


def case_body(**overrides: Any) -> dict[str, Any]:
    """A realistic village dispute: two neighbours in one village."""
    body: dict[str, Any] = {
        "category": "neighbour",
        "summary": "申请人与被申请人因宅基地边界砌墙发生争执，双方多次协商未果，请求村调委会调解。",
        "claim_amount": "3000.00",
        "occurred_on": "2026-11-01",
        "risk_level": "low",
        "litigation_intended": False,
        # Every test registers the same two neighbours again and again: say so, or each second registration
        # would be a possible duplicate (409). tests/api/test_duplicates.py sends False.
        "confirm_duplicate": True,
        "parties": [
            {
                "role": "applicant",
                "kind": "person",
                "name": "张三",
                "id_number": make_id_number(random.Random(1)),
                "phone": "+86 138-0013-8000",
                "address": "溧城街道八字桥社区12号",
            },
            {
                "role": "respondent",
                "kind": "person",
                "name": "李四",
                "id_number": make_id_number(random.Random(2), date(1975, 3, 2)),
                "phone": "13900139000",
            },
        ],
    }
    body.update(overrides)
    return body


async def act(
    client: httpx.AsyncClient, headers: dict[str, str], case: dict[str, Any], action: str, **body: Any
) -> httpx.Response:
    """POST a lifecycle action with the case's current version as If-Match."""
    return await client.post(
        f"/api/v1/cases/{case['id']}/{action}",
        json=body,
        headers={**headers, "If-Match": f'"{case["version"]}"'},
    )


def person(role: str, name: str, seed: int, **extra: Any) -> dict[str, Any]:
    return {
        "role": role,
        "kind": "person",
        "name": name,
        "id_number": make_id_number(random.Random(seed)),
        **extra,
    }
