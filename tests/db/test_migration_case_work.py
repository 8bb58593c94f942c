"""Migration 0006 on data: stored routing rule sets get litigation_intended for the old flag (and still
validate), the cases' column is renamed with its values, and the downgrade puts both back."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from app import migrate
from app.db import make_engine
from app.routing.engine import RuleSet
from tests.db.test_migrations import empty_db_url  # noqa: F401 - the fixture

BEFORE = "0005"
RULE_SETS = sa.table(
    "routing_rule_sets",
    sa.column("id", sa.Integer()),
    sa.column("version", sa.Integer()),
    sa.column("rules", sa.JSON().with_variant(postgresql.JSONB(), "postgresql")),
    sa.column("note", sa.Text()),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


async def _rules(url: str) -> dict[int, dict]:
    engine = make_engine(url)
    async with engine.begin() as conn:
        rows = (await conn.execute(sa.select(RULE_SETS.c.version, RULE_SETS.c.rules))).all()
    await engine.dispose()
    return {version: rules for version, rules in rows}


async def _columns(url: str) -> set[str]:
    engine = make_engine(url)
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda c: {col["name"] for col in sa.inspect(c).get_columns("cases")})
    await engine.dispose()
    return names


async def test_stored_rule_sets_and_the_column_take_the_new_name_and_go_back(empty_db_url):  # noqa: F811
    await asyncio.to_thread(migrate.upgrade, empty_db_url, BEFORE)
    (v1,) = (await _rules(empty_db_url)).values()
    old = {**v1, "version": 2}
    old["rules"] = [{**r, "when": dict(r.get("when") or {})} for r in v1["rules"]]
    old["rules"][0]["when"] = {"judicial_confirmation_requested": True}  # as an administrator saved it
    engine = make_engine(empty_db_url)
    async with engine.begin() as conn:
        await conn.execute(
            sa.insert(RULE_SETS).values(version=2, rules=old, note="by hand", created_at=datetime.now(UTC))
        )
    await engine.dispose()

    await asyncio.to_thread(migrate.upgrade, empty_db_url)
    stored = (await _rules(empty_db_url))[2]
    assert stored["rules"][0]["when"] == {"litigation_intended": True}
    assert RuleSet.model_validate(stored).rules[0].when.litigation_intended is True  # still a valid set
    columns = await _columns(empty_db_url)
    assert "litigation_intended" in columns and "judicial_confirmation_requested" not in columns

    await asyncio.to_thread(migrate.downgrade, empty_db_url, BEFORE)
    assert (await _rules(empty_db_url))[2]["rules"][0]["when"] == {"judicial_confirmation_requested": True}
    assert "judicial_confirmation_requested" in await _columns(empty_db_url)
    await asyncio.to_thread(migrate.upgrade, empty_db_url)
