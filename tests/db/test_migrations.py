"""Migrations: up, down and up again on both databases, and the models agree with the migrated schema."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import make_url

from app import migrate
from app.db import make_engine, make_sessionmaker, session_scope
from app.models import Base, LoginAttempt
from tests.conftest import _pg_admin_url


@pytest.fixture
async def empty_db_url(backend: str, tmp_path) -> AsyncIterator[str]:
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    name = f"jiefen_mig_{uuid.uuid4().hex[:8]}"
    admin = make_engine(_pg_admin_url())
    async with admin.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(_pg_admin_url()).set(database=name).render_as_string(hide_password=False)
    async with admin.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


async def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    await engine.dispose()
    return names - {"alembic_version"}


async def _schema_diff(url: str) -> list:
    engine = make_engine(url)
    async with engine.connect() as conn:
        diff = await conn.run_sync(
            lambda c: compare_metadata(
                MigrationContext.configure(c, opts={"compare_type": True}), Base.metadata
            )
        )
    await engine.dispose()
    return diff


async def test_upgrade_downgrade_upgrade(empty_db_url):
    await asyncio.to_thread(migrate.upgrade, empty_db_url)
    assert await _tables(empty_db_url) == set(Base.metadata.tables)
    await asyncio.to_thread(migrate.downgrade, empty_db_url, "base")
    assert await _tables(empty_db_url) == set()
    await asyncio.to_thread(migrate.upgrade, empty_db_url)
    assert await _tables(empty_db_url) == set(Base.metadata.tables)


async def test_models_and_migrations_agree(empty_db_url):
    await asyncio.to_thread(migrate.upgrade, empty_db_url)
    assert await _schema_diff(empty_db_url) == []


async def test_instants_round_trip_as_utc(db_url):
    """SQLite would drop a +08:00 offset; the UTC column type keeps the instant on both databases."""
    engine = make_engine(db_url)
    local = datetime(2025, 9, 30, 23, 30, tzinfo=timezone(timedelta(hours=8)))
    async with session_scope(make_sessionmaker(engine)) as s:
        s.add(LoginAttempt(username="u", address="a", succeeded=False, attempted_at=local))
    async with session_scope(make_sessionmaker(engine)) as s:
        stored = (await s.execute(select(LoginAttempt.attempted_at))).scalar_one()
        earlier = (
            await s.execute(
                select(LoginAttempt.id).where(
                    LoginAttempt.attempted_at < datetime(2025, 9, 30, 15, 31, tzinfo=UTC)
                )
            )
        ).all()
    await engine.dispose()
    assert stored == local and stored.utcoffset() == timedelta(0)
    assert len(earlier) == 1  # compared as instants, not as strings in different offsets


async def test_audit_events_are_append_only(client, world, app):
    from app.models import CaseEvent
    from tests.support import case_body, login

    r = await client.post("/api/v1/cases", json=case_body(), headers=await login(client, world, "lc_v01"))
    assert r.status_code == 201
    with pytest.raises(Exception, match="append-only"):
        async with session_scope(app.state.ctx.sessionmaker) as s:
            await s.execute(text("UPDATE case_events SET reason = 'tampered'"))
    with pytest.raises(Exception, match="append-only"):
        async with session_scope(app.state.ctx.sessionmaker) as s:
            await s.execute(CaseEvent.__table__.delete())
