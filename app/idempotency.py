"""``Idempotency-Key`` for POSTs that create or change things.

The key is claimed *in the same transaction* as the change, by an insert that a unique constraint on
(principal, key) makes race-safe: of concurrent requests with one key, one inserts; on PostgreSQL the
others' inserts wait for its commit and then conflict, and they replay the stored response. A rolled-back
request leaves no key behind. The same key with another body is refused (422).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app import metrics, prepared
from app.errors import Conflict, FieldError, ValidationFailed
from app.models import IdempotencyKey
from app.prepared import Prepared

MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class Replay:
    status: int
    body: str  # the first response's exact JSON text


def fingerprint(operation: str, payload: Any) -> str:
    canonical = json.dumps([operation, payload], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationFailed(
            [FieldError("Idempotency-Key", "idempotency_key.format", "1–200 printable characters.")]
        )
    return key


_TABLE = IdempotencyKey.__table__
assert isinstance(_TABLE, Table)
_KEYS = _TABLE.c


def _claim_statement(dialect_insert: Any) -> Any:
    return (
        dialect_insert(_TABLE)
        .on_conflict_do_nothing(index_elements=[_KEYS.principal, _KEYS.key])
        .returning(_KEYS.id)
    )


# Built once (see app/cases/sql.py for why); ON CONFLICT needs the dialect's own insert construct.
_CLAIM = Prepared(
    _claim_statement(postgresql.insert),
    keys=("principal", "key", "operation", "fingerprint", "created_at", "expires_at"),
    sqlite=_claim_statement(sqlite.insert),
)
_STORED = select(_KEYS.operation, _KEYS.fingerprint, _KEYS.response_status, _KEYS.response_body).where(
    _KEYS.principal == bindparam("principal"), _KEYS.key == bindparam("key")
)
_COMPLETE = Prepared(
    update(_TABLE)
    .where(_KEYS.id == bindparam("claim_id"))
    .values(response_status=bindparam("status"), response_body=bindparam("body"))
)


async def claim(
    session: AsyncSession,
    *,
    principal: str,
    key: str,
    operation: str,
    fingerprint_: str,
    now: datetime,
    retention: timedelta,
) -> int | Replay:
    """Claim ``key`` for this request (returns the claim's id) or return the stored response to replay."""
    row = {
        "principal": principal,
        "key": key,
        "operation": operation,
        "fingerprint": fingerprint_,
        "created_at": now,
        "expires_at": now + retention,
    }
    claimed = await prepared.fetchval(session, _CLAIM, row)
    if claimed is not None:
        return int(claimed)
    existing = (await session.execute(_STORED, {"principal": principal, "key": key})).one()
    if existing.operation != operation or existing.fingerprint != fingerprint_:
        raise ValidationFailed(
            [
                FieldError(
                    "Idempotency-Key",
                    "idempotency_key.reused",
                    "This Idempotency-Key was already used with a different request body.",
                )
            ],
            detail="The Idempotency-Key was already used for another request.",
        )
    if existing.response_body is None or existing.response_status is None:
        raise Conflict(
            "A request with this Idempotency-Key is still in progress.", code="idempotency_key.in_progress"
        )
    metrics.idempotent_replay(operation)
    return Replay(existing.response_status, existing.response_body)


async def complete(session: AsyncSession, claim_id: int, status: int, body: str) -> None:
    await prepared.execute(session, _COMPLETE, {"claim_id": claim_id, "status": status, "body": body})
