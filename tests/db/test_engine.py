"""What every engine made by app.db.make_engine guarantees."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.db import make_engine


async def test_error_messages_carry_no_query_parameters(db_url):
    """Parameters are usernames and token hashes: they must not reach a log through an error message."""
    engine = make_engine(db_url)
    try:
        async with engine.connect() as connection:
            with pytest.raises(DBAPIError) as raised:
                await connection.execute(
                    text("SELECT token FROM no_such_table WHERE token = :token"), {"token": "secret-hash-42"}
                )
    finally:
        await engine.dispose()
    assert "no_such_table" in str(raised.value)
    assert "secret-hash-42" not in str(raised.value)
