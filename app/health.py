"""Readiness: whether this process can serve its requests now — each pool the request path uses answers.

The request pool and the case-number pool (app.context.AppContext) are each checked out and sent a
statement, on PostgreSQL through the raw driver as the hot path does (app.prepared). A connection the
server closed is replaced at checkout; one lost without notice fails the check and is invalidated with its
pool, as it would on a request: so readiness is false exactly when an intake would fail now.
"""

from __future__ import annotations

from sqlalchemy import literal_column, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app import prepared
from app.context import AppContext

_ANSWER = prepared.Prepared(select(literal_column("1")))


async def _answers(engine: AsyncEngine) -> None:
    if engine.dialect.name == "postgresql":
        await prepared.fetchval_committed(engine, _ANSWER, {})
        return
    async with engine.connect() as connection:
        await connection.execute(_ANSWER.core)


async def pool_problems(ctx: AppContext) -> dict[str, str]:
    """The pools that failed, by name, each with its error's type; empty when every pool answers."""
    pools = {"request": ctx.engine, "case_numbers": ctx.autocommit_engine}
    problems = {}
    for name, engine in pools.items():
        if engine is None:  # SQLite: no case-number pool
            continue
        try:
            await _answers(engine)
        except Exception as exc:  # any failure means "not ready"
            problems[name] = type(exc).__name__
    return problems
