"""Opaque feed cursors: a position (txid, id), the organization, and when it was issued — signed.

A cursor the API did not issue (or one for another organization) is refused with 400; one older than the
outbox retention is refused with 410 Gone: in both cases the client re-syncs from ``GET /court/cases``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.errors import DomainError, Gone

RESYNC = "Re-synchronise from GET /api/v1/court/cases, then pull the feed without a cursor."


@dataclass(frozen=True)
class Position:
    txid: int
    id: int

    @classmethod
    def start(cls) -> Position:
        return cls(0, 0)


def _sign(key: bytes, raw: bytes) -> str:
    return hmac.new(key, b"feed-cursor:" + raw, hashlib.sha256).hexdigest()[:24]


def encode(key: bytes, org_id: int, position: Position, issued: datetime) -> str:
    raw = json.dumps(
        [position.txid, position.id, org_id, int(issued.timestamp())], separators=(",", ":")
    ).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=") + "." + _sign(key, raw)


def decode(key: bytes, cursor: str, org_id: int, now: datetime, retention: timedelta) -> Position:
    try:
        body, signature = cursor.rsplit(".", 1)
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        txid, event_id, cursor_org, issued = json.loads(raw)
    except (ValueError, binascii.Error, TypeError):
        raise _invalid() from None
    if not hmac.compare_digest(_sign(key, raw), signature) or cursor_org != org_id:
        raise _invalid()
    if now - datetime.fromtimestamp(issued, now.tzinfo) > retention:
        raise Gone(
            f"The cursor is older than the feed's retention ({retention.days} days). {RESYNC}",
            code="cursor.expired",
        )
    return Position(int(txid), int(event_id))


def _invalid() -> DomainError:
    return DomainError(
        detail=f"The cursor is not one this API issued for your organization. {RESYNC}",
        code="cursor.invalid",
        status=400,
        title="Invalid cursor",
    )
