"""Migration 0005 (users.password_change_required) on data: existing users keep working, and it goes back."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from app import migrate
from app.db import make_engine
from tests.db.test_migrations import empty_db_url  # noqa: F401 - the fixture

BEFORE = "0004"


async def _execute(url: str, *statements: str) -> list:
    engine = make_engine(url)
    rows: list = []
    async with engine.begin() as conn:
        for sql in statements:
            result = await conn.execute(text(sql))
            if result.returns_rows:
                rows = list(result)
    await engine.dispose()
    return rows


async def test_existing_users_need_no_change_and_the_downgrade_keeps_their_tokens(empty_db_url):  # noqa: F811
    await asyncio.to_thread(migrate.upgrade, empty_db_url, BEFORE)
    now = "'2026-11-30 10:00:00+00:00'"
    await _execute(
        empty_db_url,
        "INSERT INTO organizations (code, name, tier, kind, active, created_at, updated_at) "
        f"VALUES ('LY', '溧阳市司法局', 'supervision', 'justice_bureau', true, {now}, {now})",
        "INSERT INTO users (username, display_name, password_hash, role, organization_id, active, "
        f"created_at, updated_at) VALUES ('old', '', 'x', 'admin', 1, true, {now}, {now})",
        "INSERT INTO auth_tokens (user_id, token_hash, created_at, expires_at) "
        f"VALUES (1, 'h', {now}, {now})",
    )
    await asyncio.to_thread(migrate.upgrade, empty_db_url)
    rows = await _execute(empty_db_url, "SELECT username, password_change_required FROM users")
    assert [(r[0], bool(r[1])) for r in rows] == [("old", False)]

    # Down with a token pointing at the user: no table rebuild that foreign keys would refuse.
    await asyncio.to_thread(migrate.downgrade, empty_db_url, BEFORE)
    joined = "SELECT u.username FROM users u JOIN auth_tokens t ON t.user_id = u.id"
    rows = await _execute(empty_db_url, joined)
    assert [r[0] for r in rows] == ["old"]
    await asyncio.to_thread(migrate.upgrade, empty_db_url)
