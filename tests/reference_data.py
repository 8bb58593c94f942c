"""Reference data the migrations insert, restored after PostgreSQL tests truncate the tables."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from app.models import RoutingRuleSet, SlaClockRuleSet

_VERSIONS = Path(__file__).resolve().parents[1] / "migrations" / "versions"


def _migration(name: str):  # returns the migration module
    spec = importlib.util.spec_from_file_location(name, _VERSIONS / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def restore(conn: AsyncConnection) -> None:
    """The same rows the migrations insert, from the migrations' own code."""
    row = _migration("2026-11-25_routing_rule_sets").default_rule_set_row()
    await conn.execute(insert(RoutingRuleSet).values(**row))
    await conn.execute(
        insert(SlaClockRuleSet).values(**_migration("2026-12-07_clocks").default_rule_set_row())
    )
