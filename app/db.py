"""Engine, sessions and the column types shared by every model.

One ``AsyncSession`` per request, committed or rolled back by its dependency (``app.deps``); services and
repositories only flush. Background work opens its own session with :func:`session_scope`.
"""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import asyncpg
from sqlalchemy import DateTime, Engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool
from sqlalchemy.types import TypeDecorator

K = TypeVar("K")
V = TypeVar("V")


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware instant stored as UTC on every database.

    SQLite keeps ``DateTime(timezone=True)`` as a naive string and silently drops the offset, so values are
    converted to naive UTC on the way in and marked UTC on the way out. Naive input is a programming error.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(DateTime(timezone=False))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


POOL_RECYCLE_SECONDS = 1800


class TransientDatabaseError(Exception):
    """A database failure that the request did not cause and that its retry gets past: mapped to 503
    ``service_busy`` with ``Retry-After`` (app.errors). The request's transaction did not commit — unless it
    was its COMMIT that was lost, and then the retry's Idempotency-Key replays the stored response."""


class DatabaseUnavailable(TransientDatabaseError, ConnectionError):
    """The connection was lost (a restart, a failover, a terminated backend) or could not be made. A
    ConnectionError too, as the OSError it often wraps was."""


# SQLSTATEs of a lost connection besides class 08: admin shutdown (pg_terminate_backend, a restart), crash
# shutdown, and "the database system is starting up / shutting down".
_LOST_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})
# Serialization failure and deadlock: the transaction was rolled back; running it again can succeed.
_RETRY_SQLSTATES = frozenset({"40001", "40P01"})


def _sqlstate(exc: BaseException | None) -> str:
    state = getattr(exc, "sqlstate", None)
    return state if isinstance(state, str) else ""


def lost_connection(exc: BaseException | None) -> bool:
    """Whether a driver error (asyncpg's own, or a socket error) means the connection is gone."""
    if isinstance(exc, OSError):  # refused, reset, unreachable, timed out
        return True
    if isinstance(exc, asyncpg.exceptions.InterfaceError) and "connection is closed" in str(exc):
        return True
    state = _sqlstate(exc)
    return state.startswith("08") or state in _LOST_SQLSTATES


def retryable(exc: BaseException) -> bool:
    """Whether an error reaching a request is transient (see TransientDatabaseError): ours, a lost connection
    or a serialization failure or deadlock, raised by the driver or wrapped by SQLAlchemy."""
    if isinstance(exc, TransientDatabaseError):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        # The asyncpg adapter's error carries the SQLSTATE; asyncpg's own error is its cause.
        orig = exc.orig
        return orig is not None and (
            retryable(orig) or (orig.__cause__ is not None and retryable(orig.__cause__))
        )
    return lost_connection(exc) or _sqlstate(exc) in _RETRY_SQLSTATES


def _replace_closed_connections(engine: AsyncEngine) -> None:
    """A pooled connection the server closed is replaced when it is checked out, at no cost.

    No pool_pre_ping: it cost a round trip on every checkout (one of the intake's ~16). asyncpg marks its
    connection closed as soon as the socket reports EOF, which a terminated backend, a restart and a
    failover that closes connections all cause; the check below reads that flag (no I/O), and the pool
    replaces the connection before handing it out. A connection lost without EOF (a silent network
    failure) fails its request with a 503, which invalidates the pool (app.prepared, and SQLAlchemy on
    its own path): the requests after it get fresh connections."""

    @event.listens_for(engine.sync_engine, "checkout")
    def _closed_by_server(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if dbapi_connection.driver_connection.is_closed():
            raise DisconnectionError("the server closed this connection")

    @event.listens_for(engine.sync_engine, "do_connect")
    def _connect(dialect: Dialect, _record: Any, cargs: Any, cparams: Mapping[str, Any]) -> Any:
        # Refused, unreachable or "starting up" (a restart): a 503 to retry, not a bare OSError and a 500.
        try:
            return dialect.connect(*cargs, **cparams)
        except Exception as exc:
            if lost_connection(exc):
                raise DatabaseUnavailable(f"cannot connect to the database: {type(exc).__name__}") from exc
            raise


def make_engine(
    url: str, *, pool_size: int = 20, pool_timeout: float = 30.0, echo: bool = False
) -> AsyncEngine:
    """Every engine hides query parameters in its error messages: they hold usernames and token hashes."""
    if url.startswith("sqlite"):
        # SQLite has one writer. A pool of connections queued on its write lock gave p99 ~1 s under load, so
        # all work goes through one connection, in WAL mode with a busy timeout for other processes (CLI).
        engine = create_async_engine(
            url,
            echo=echo,
            hide_parameters=True,
            poolclass=AsyncAdaptedQueuePool,
            pool_size=1,
            max_overflow=0,
            pool_timeout=pool_timeout,
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    # Connections are recycled well before server/proxy idle timeouts; one the server closed is replaced
    # on checkout (_replace_closed_connections).
    # No overflow: an overflow connection is closed when it comes back to a full pool, so a load just above
    # pool_size opened and closed a connection (a PostgreSQL backend, a TLS handshake) for every few
    # requests — with 10 + 10 and 16 concurrent intakes, 384 req/s against 603 with 20 + 0. A request beyond
    # pool_size waits for a connection instead, up to pool_timeout (then 503, see app.errors).
    engine = create_async_engine(
        url,
        echo=echo,
        hide_parameters=True,
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=pool_timeout,
        pool_recycle=POOL_RECYCLE_SECONDS,
    )
    _replace_closed_connections(engine)
    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@asynccontextmanager
async def session_scope(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A unit of work for background jobs and the CLI: commit on success, roll back on error."""
    async with factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


def dialect_insert(session_or_conn: Any, table: Any) -> Any:
    """``INSERT`` with ``ON CONFLICT`` support for the session's database (PostgreSQL or SQLite)."""
    from sqlalchemy.dialects import postgresql, sqlite

    name = session_or_conn.get_bind().dialect.name
    return (postgresql.insert if name == "postgresql" else sqlite.insert)(table)


class PerEngine(Generic[K, V]):
    """A process-local cache of immutable facts, one dict per database engine, so that a process talking to
    several databases (the tests) never mixes them; an engine's dict goes away with the engine."""

    def __init__(self) -> None:
        self._stores: weakref.WeakKeyDictionary[Engine, dict[K, V]] = weakref.WeakKeyDictionary()

    def of(self, session: AsyncSession) -> dict[K, V]:
        engine = session.get_bind()
        assert isinstance(engine, Engine)
        return self._stores.setdefault(engine, {})
