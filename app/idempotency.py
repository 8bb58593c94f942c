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

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, FieldError, ValidationFailed
from app.models import IdempotencyKey

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
    from app.db import dialect_insert

    stmt = (
        dialect_insert(session, IdempotencyKey)
        .values(
            principal=principal,
            key=key,
            operation=operation,
            fingerprint=fingerprint_,
            created_at=now,
            expires_at=now + retention,
        )
        .on_conflict_do_nothing(index_elements=["principal", "key"])
        .returning(IdempotencyKey.id)
    )
    claimed = (await session.execute(stmt)).scalar_one_or_none()
    if claimed is not None:
        return int(claimed)
    existing = (
        await session.execute(
            select(IdempotencyKey).where(IdempotencyKey.principal == principal, IdempotencyKey.key == key)
        )
    ).scalar_one()
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
    return Replay(existing.response_status, existing.response_body)


async def complete(session: AsyncSession, claim_id: int, status: int, body: str) -> None:
    await session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.id == claim_id)
        .values(response_status=status, response_body=body)
    )
