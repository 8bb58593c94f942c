"""/readyz says what an intake would meet: each pool the request path uses, the case-number pool too."""

from __future__ import annotations

import socket

import pytest

from app.db import make_engine
from tests.faults.support import terminate_backends
from tests.support import case_body, login

pytestmark = [pytest.mark.pg_only, pytest.mark.fault]


def closed_port_url(db_url: str) -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return db_url.replace("127.0.0.1:5432", f"127.0.0.1:{port}")


async def test_readyz_fails_when_the_case_number_pool_cannot_reach_the_database(app, client, world, db_url):
    headers = await login(client, world, "lc_v01")
    working = app.state.ctx.autocommit_engine
    app.state.ctx.autocommit_engine = make_engine(closed_port_url(db_url), pool_size=1)
    try:
        ready = await client.get("/readyz")
        assert ready.status_code == 503, ready.text
        assert ready.json()["pools"] == {"case_numbers": "DatabaseUnavailable"}
        intake = await client.post("/api/v1/cases", json=case_body(), headers=headers)
        assert intake.status_code == 503 and intake.json()["code"] == "service_busy", intake.text
    finally:
        await app.state.ctx.autocommit_engine.dispose()
        app.state.ctx.autocommit_engine = working
    assert (await client.get("/readyz")).status_code == 200


async def test_readyz_and_intake_agree_after_the_backends_were_terminated(client, world, db_url):
    headers = await login(client, world, "lc_v01")
    assert (await client.post("/api/v1/cases", json=case_body(), headers=headers)).status_code == 201
    assert (await client.get("/readyz")).status_code == 200
    await terminate_backends(db_url)
    ready = await client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert (await client.post("/api/v1/cases", json=case_body(), headers=headers)).status_code == 201
