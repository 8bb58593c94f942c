"""Reference data the migrations insert, restored after PostgreSQL tests truncate the tables."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection


async def restore(conn: AsyncConnection) -> None:
    """Nothing yet: the foundation migration inserts no rows."""
