"""Expired Idempotency-Keys and login tokens are deleted; what is still valid stays and still works."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from app.db import session_scope, utcnow
from app.housekeeping import purge_expired
from app.models import AuthToken, IdempotencyKey
from tests.support import case_body, login


async def _count(app, model) -> int:
    async with session_scope(app.state.ctx.sessionmaker) as s:
        return int((await s.execute(select(func.count()).select_from(model))).scalar_one())


async def test_purge_deletes_only_what_has_expired_in_batches(client, world, app):
    headers = await login(client, world, "lc_v01")

    async def intake(key: str):
        keyed = {**headers, "Idempotency-Key": key}
        return await client.post("/api/v1/cases", json=case_body(), headers=keyed)

    created = [(await intake(f"k{i}")).json() for i in range(5)]
    stale = await login(client, world, "dt_v01")
    now = utcnow()
    async with session_scope(app.state.ctx.sessionmaker) as s:  # three keys and one token past their time
        keys = IdempotencyKey.key.in_(["k0", "k1", "k2"])
        await s.execute(update(IdempotencyKey).where(keys).values(expires_at=now - timedelta(seconds=1)))
        newest = select(AuthToken.id).order_by(AuthToken.id.desc()).limit(1).scalar_subquery()
        await s.execute(
            update(AuthToken).where(AuthToken.id == newest).values(expires_at=now - timedelta(seconds=1))
        )
    tokens_before = await _count(app, AuthToken)

    purged = await purge_expired(app.state.ctx.sessionmaker, now, batch=2)  # two batches for the keys

    assert (purged.idempotency_keys, purged.auth_tokens) == (3, 1)
    assert await _count(app, IdempotencyKey) == 2
    assert await _count(app, AuthToken) == tokens_before - 1
    assert (await client.get("/api/v1/cases", headers=stale)).status_code == 401
    replay = await intake("k4")
    assert replay.headers["idempotent-replayed"] == "true" and replay.json()["id"] == created[4]["id"]
    again = await purge_expired(app.state.ctx.sessionmaker, now)
    assert (again.idempotency_keys, again.auth_tokens) == (0, 0)
