"""Test harness: every database test runs on SQLite *and* PostgreSQL, schema built by the migrations.

- PostgreSQL comes from ``TEST_DATABASE_URL`` (default: the local server). Each test session creates its own
  database and drops it at the end. If PostgreSQL cannot be reached the tests that need it FAIL; they are
  never skipped. ``TEST_BACKENDS=sqlite`` is the explicit, visible way to run without it.
- Isolation: SQLite tests get a fresh copy of a migrated template file; PostgreSQL tests start from
  truncated tables (reference data that migrations insert is put back by ``reset_reference_data``).
- Tests marked ``pg_only`` (concurrency, advisory locks) are not generated for SQLite at all.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app import migrate
from app.config import Settings
from app.db import make_engine
from app.main import create_app
from app.pii.crypto import generate_key
from tests.support import World, build_world, reset_reference_data

DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
TEST_KEYS = {"encryption_key": generate_key(), "blind_index_key": generate_key()}


def _backends() -> list[str]:
    return [b.strip() for b in os.environ.get("TEST_BACKENDS", "sqlite,postgresql").split(",") if b.strip()]


def _pg_admin_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL", DEFAULT_PG_URL)
    return (
        url.replace("postgresql://", "postgresql+asyncpg://", 1) if url.startswith("postgresql://") else url
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        backends = _backends()
        if metafunc.definition.get_closest_marker("pg_only"):
            backends = [b for b in backends if b == "postgresql"]
        metafunc.parametrize("backend", backends, scope="session")


class Databases:
    """Per-session databases, created lazily: a migrated SQLite template and a migrated PostgreSQL one."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.sqlite_template: Path | None = None
        self.pg_url: str | None = None
        self.pg_name = f"jiefen_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"

    async def sqlite_url(self) -> str:
        if self.sqlite_template is None:
            template = self.workdir / "template.db"
            await asyncio.to_thread(migrate.upgrade, f"sqlite+aiosqlite:///{template}")
            self.sqlite_template = template
        copy = self.workdir / f"t_{uuid.uuid4().hex[:8]}.db"
        shutil.copyfile(self.sqlite_template, copy)
        return f"sqlite+aiosqlite:///{copy}"

    async def postgresql_url(self) -> str:
        if self.pg_url is None:
            admin = _pg_admin_url()
            engine = make_engine(admin)
            try:
                async with engine.connect() as conn:
                    await conn.execution_options(isolation_level="AUTOCOMMIT")
                    await conn.execute(text(f'CREATE DATABASE "{self.pg_name}"'))
            except OSError as exc:  # connection refused: fail loudly, never skip
                pytest.fail(f"PostgreSQL is not reachable at {make_url(admin).host}: {exc}", pytrace=False)
            finally:
                await engine.dispose()
            url = make_url(admin).set(database=self.pg_name).render_as_string(hide_password=False)
            await asyncio.to_thread(migrate.upgrade, url)
            self.pg_url = url
        await _truncate_all(self.pg_url)
        return self.pg_url

    async def drop(self) -> None:
        if self.pg_url is None:
            return
        engine = make_engine(_pg_admin_url())
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)'))
        await engine.dispose()


async def _truncate_all(url: str) -> None:
    engine = make_engine(url)
    async with engine.begin() as conn:
        tables = (
            await conn.execute(
                text(
                    "SELECT tablename FROM pg_tables "
                    "WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
                )
            )
        ).scalars()
        names = ", ".join(f'"{t}"' for t in tables)
        if names:
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        await reset_reference_data(conn)
    await engine.dispose()


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Databases:
    return Databases(tmp_path_factory.mktemp("db"))


@pytest.fixture(scope="session", autouse=True)
async def _drop_databases(databases: Databases) -> AsyncIterator[None]:
    yield
    await databases.drop()


@pytest.fixture
async def db_url(backend: str, databases: Databases) -> str:
    return await (databases.sqlite_url() if backend == "sqlite" else databases.postgresql_url())


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        env="test",
        database_url=db_url,
        encryption_key=TEST_KEYS["encryption_key"],
        blind_index_key=TEST_KEYS["blind_index_key"],
        sla_sweep_enabled=False,
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[object]:
    application = create_app(settings)
    yield application
    await application.state.ctx.close()


@pytest.fixture
async def client(app: object) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
async def world(app: object) -> World:
    """The demo organization tree, one user per role and the court client, with known credentials."""
    return await build_world(app)
