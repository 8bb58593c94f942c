"""The baseline of the intake benchmark: the least a service can do with the same request.

``POST /api/v1/cases`` validates the body with the service's own pydantic model (``CaseIn``: the same
field and cross-field checks, resident-ID checksums, phone normalization) and inserts one row with raw
asyncpg — no auth, no ORM, no idempotency, no case number, no encryption. Full intake ÷ this is the
price of everything the real endpoint does on top.

    BENCH_BASELINE_DSN=postgresql://postgres@127.0.0.1:5432/jiefen_bench \
        uvicorn bench.baseline_app:app --no-access-log
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import asyncpg
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from app.cases.schemas import CaseIn

TABLE_DDL = """
CREATE TABLE IF NOT EXISTS bench_intake (
    id uuid PRIMARY KEY,
    received_at timestamptz NOT NULL,
    body jsonb NOT NULL
)
"""
INSERT = "INSERT INTO bench_intake (id, received_at, body) VALUES ($1, $2, $3)"
DSN = os.environ.get("BENCH_BASELINE_DSN", "postgresql://postgres@127.0.0.1:5432/jiefen_bench")
# The same pool size as the service's engine (pool_size 10 + max_overflow 10).
POOL_MIN, POOL_MAX = 10, 20


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(DSN, min_size=POOL_MIN, max_size=POOL_MAX)
    try:
        yield
    finally:
        await app.state.pool.close()


app = FastAPI(title="intake baseline", lifespan=lifespan)


@app.post("/api/v1/cases", status_code=201)
async def create(body: CaseIn, request: Request) -> Response:
    case_id = uuid.uuid4()
    now = datetime.now(UTC)
    pool: asyncpg.Pool = request.app.state.pool
    await pool.execute(INSERT, case_id, now, body.model_dump_json())
    return Response(
        json.dumps({"id": str(case_id), "received_at": now.isoformat()}),
        status_code=201,
        media_type="application/json",
        headers={"Location": f"/api/v1/cases/{case_id}"},
    )


@app.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    pool: asyncpg.Pool = request.app.state.pool
    await pool.fetchval("SELECT 1")
    return JSONResponse({"status": "ok"})
