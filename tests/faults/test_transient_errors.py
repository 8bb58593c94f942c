"""A serialization failure or deadlock reaching a request is a 503 to retry, on either path to the driver."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app import prepared
from app.deps import Session
from tests.faults.support import assert_busy_problem

pytestmark = [pytest.mark.pg_only, pytest.mark.fault]


def raising(sqlstate: str) -> str:
    return f"DO $$ BEGIN RAISE EXCEPTION 'injected' USING ERRCODE = '{sqlstate}'; END $$"


@pytest.mark.parametrize("sqlstate", ["40001", "40P01"])
@pytest.mark.parametrize("path", ["sqlalchemy", "raw driver"])
async def test_a_serialization_failure_or_deadlock_is_a_503(app, client, sqlstate, path):
    async def injected(session: Session) -> None:
        await session.execute(text("SELECT 1"))  # begins the transaction, so the raw driver is used
        if path == "sqlalchemy":
            await session.execute(text(raising(sqlstate)))
        else:
            driver = await prepared.driver_of(session)
            assert driver is not None
            await driver.execute(raising(sqlstate))

    app.add_api_route("/injected", injected, methods=["POST"])
    assert_busy_problem(await client.post("/injected"))
    assert (await client.get("/readyz")).status_code == 200


async def test_any_other_database_error_is_not_a_503(app, client):
    async def broken(session: Session) -> None:
        await session.execute(text("SELECT * FROM no_such_table"))

    app.add_api_route("/broken", broken, methods=["POST"])
    r = await client.post("/broken")  # the 500 path, not "retry"
    assert r.status_code == 500 and r.json()["code"] == "internal_error", r.text
    assert "Retry-After" not in r.headers and "no_such_table" not in r.text
