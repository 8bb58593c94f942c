"""Statements built once and run on the request's transaction, through asyncpg directly on PostgreSQL.

Why: even a cached Core statement costs ~0.3 ms CPU per ``session.execute`` on this service (ORM session
dispatch, greenlet hop, execution context, bind and result processors, the asyncpg adapter), against
~0.05–0.1 ms for the driver call itself; the intake runs eight of them per request. So the hot path's
statements keep their Core form (the single source of truth, and what SQLite runs) and also carry the
PostgreSQL text compiled from it once, which is sent on the session's own asyncpg connection — inside the
transaction SQLAlchemy began, committed or rolled back by the request's unit of work as before.

Rules for statements given to :class:`Prepared`: parameters are named bind parameters; constants are
written into the text with ``literal_column()`` (checked at import); values must be what asyncpg takes
as they are — the service's types (UTC-aware datetimes, UUIDs, dates, str, int, bool) are; JSON columns
are named in ``json`` and serialized here, as SQLAlchemy's JSON type does.

Errors: SQLAlchemy never sees these statements, so what its disconnect handling does is done here (see
:class:`Driver`): a lost connection is invalidated, with its pool's older connections, and raised as
:class:`app.db.DatabaseUnavailable`; a serialization failure or deadlock as
:class:`app.db.TransientDatabaseError`. Both are a 503 to retry. Other errors are asyncpg's own exceptions
(the intake expects none: its conflicts are handled by ON CONFLICT).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Executable
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from app.db import DatabaseUnavailable, TransientDatabaseError, lost_connection, retryable

_PG = asyncpg_dialect()


class Prepared:
    def __init__(
        self, core: Any, keys: Sequence[str] = (), json: Sequence[str] = (), sqlite: Any = None
    ) -> None:
        """``keys``: for an INSERT, the columns every row gives (fixes the compiled column list).
        ``sqlite``: the statement to run on SQLite when its construct differs (INSERT … ON CONFLICT)."""
        self.core: Executable = core
        self.sqlite: Executable = core if sqlite is None else sqlite
        compiled = core.compile(dialect=_PG, column_keys=list(keys) or None)
        self.pg_sql = str(compiled)
        self.pg_keys: tuple[str, ...] = tuple(compiled.positiontup or ())
        hidden = [k for k in self.pg_keys if not compiled.binds[k].required]
        if hidden:  # a constant that became a bind parameter: write it as a literal_column()
            raise ValueError(f"constant bind parameters {hidden} in {self.pg_sql}")
        self.json = frozenset(json)

    def pg_args(self, params: Mapping[str, Any]) -> list[Any]:
        if self.json:
            return [json.dumps(params[k]) if k in self.json else params[k] for k in self.pg_keys]
        return [params[k] for k in self.pg_keys]


class Driver:
    """An asyncpg connection checked out through SQLAlchemy, with the driver's errors made the service's."""

    __slots__ = ("_connection", "_raw")

    def __init__(self, connection: AsyncConnection, raw: Any) -> None:
        self._connection = connection
        self._raw = raw

    def is_in_transaction(self) -> bool:
        return bool(self._raw.is_in_transaction())

    async def fetchval(self, sql: str, *args: Any) -> Any:
        try:
            return await self._raw.fetchval(sql, *args)
        except Exception as exc:
            await self._failed(exc)
            raise

    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        try:
            return list(await self._raw.fetch(sql, *args))
        except Exception as exc:
            await self._failed(exc)
            raise

    async def execute(self, sql: str, *args: Any) -> None:
        try:
            await self._raw.execute(sql, *args)
        except Exception as exc:
            await self._failed(exc)
            raise

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        try:
            await self._raw.executemany(sql, rows)
        except Exception as exc:
            await self._failed(exc)
            raise

    async def _failed(self, exc: Exception) -> None:
        """Raise the service's error for a transient failure; return for any other (re-raised as it is)."""
        if lost_connection(exc):
            # As SQLAlchemy does on a disconnect it sees (Connection._handle_dbapi_exception): the pool
            # replaces every connection made before now at its next checkout — one lost connection may mean
            # a failover that closed them all without telling — and this one is discarded. The session's
            # rollback then has nothing to send, and the connection goes back to the pool empty.
            fairy = await self._connection.get_raw_connection()
            self._connection.sync_engine.pool._invalidate(fairy, exc, _checkin=False)
            await self._connection.invalidate(exc)
            raise DatabaseUnavailable(f"database connection lost: {type(exc).__name__}") from exc
        if retryable(exc):
            raise TransientDatabaseError(f"transaction aborted: {type(exc).__name__}") from exc


def _core(session: AsyncSession, stmt: Prepared) -> Executable:
    return stmt.sqlite if session.get_bind().dialect.name == "sqlite" else stmt.core


async def driver_of(session: AsyncSession) -> Driver | None:
    """The asyncpg connection of the session's transaction, or None: on SQLite, or when SQLAlchemy has not
    sent BEGIN yet (it does so lazily, on its first statement) — then the statement runs through
    SQLAlchemy, which begins the transaction."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    # Looked up once per transaction: after a commit the session may hold another pooled connection.
    transaction = session.sync_session.get_transaction()
    cached = session.info.get("asyncpg")
    if transaction is None or cached is None or cached[0] is not transaction:
        connection = await session.connection()
        fairy = await connection.get_raw_connection()
        driver = Driver(connection, fairy.driver_connection)
        cached = session.info["asyncpg"] = (session.sync_session.get_transaction(), driver)
    driver = cached[1]
    return driver if driver.is_in_transaction() else None


async def fetchval(session: AsyncSession, stmt: Prepared, params: Mapping[str, Any]) -> Any:
    """The first column of the first row, or None when there is no row."""
    driver = await driver_of(session)
    if driver is None:
        return (await session.execute(_core(session, stmt), params)).scalar()
    return await driver.fetchval(stmt.pg_sql, *stmt.pg_args(params))


async def fetch(session: AsyncSession, stmt: Prepared, params: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    driver = await driver_of(session)
    if driver is None:
        return [dict(m) for m in (await session.execute(_core(session, stmt), params)).mappings()]
    return await driver.fetch(stmt.pg_sql, *stmt.pg_args(params))


async def execute(session: AsyncSession, stmt: Prepared, params: Mapping[str, Any]) -> None:
    driver = await driver_of(session)
    if driver is None:
        await session.execute(_core(session, stmt), params)
    else:
        await driver.execute(stmt.pg_sql, *stmt.pg_args(params))


async def executemany(session: AsyncSession, stmt: Prepared, rows: Sequence[Mapping[str, Any]]) -> None:
    """All rows in one round trip (asyncpg pipelines executemany; SQLAlchemy's executemany likewise)."""
    driver = await driver_of(session)
    if driver is None:
        await session.execute(_core(session, stmt), list(rows))
    else:
        await driver.executemany(stmt.pg_sql, [stmt.pg_args(r) for r in rows])


async def fetchval_committed(engine: AsyncEngine, stmt: Prepared, params: Mapping[str, Any]) -> Any:
    """Run ``stmt`` on its own pooled PostgreSQL connection, outside any transaction: it commits at once
    (asyncpg outside a transaction block autocommits), so a row it locks is free when it returns."""
    async with engine.connect() as connection:
        driver = Driver(connection, (await connection.get_raw_connection()).driver_connection)
        return await driver.fetchval(stmt.pg_sql, *stmt.pg_args(params))
