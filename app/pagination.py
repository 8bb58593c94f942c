"""Opaque keyset cursors: base64url of a small JSON list of the last row's sort key, signed.

The signature (an HMAC keyed from the blind-index key with its own label, as CSRF tokens are) binds the
cursor to the list that issued it, so a cursor the API did not issue, or one of another list, is a 400
``cursor.invalid`` and never reaches a query as a value of the wrong type.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from app.errors import DomainError

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
MAX_CURSOR_LENGTH = 512  # what we issue is under 150 characters
Row = TypeVar("Row")


class InvalidCursor(DomainError):
    def __init__(self) -> None:
        super().__init__(
            detail="The cursor is not one this API issued for this list; start again without a cursor.",
            code="cursor.invalid",
            status=400,
            title="Invalid cursor",
        )


def _aware_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise TypeError(value)
    return datetime.fromisoformat(value)


def _uuid(value: Any) -> uuid.UUID:
    if not isinstance(value, str):
        raise TypeError(value)
    return uuid.UUID(value)


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(value)
    return value


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(value)
    return value


@dataclass(frozen=True)
class Keyset:
    """One list's cursor: a name (part of what is signed) and how to read each value of the sort key."""

    name: str
    parsers: tuple[Callable[[Any], Any], ...]

    def _sign(self, key: bytes, raw: bytes) -> str:
        message = b"list-cursor:" + self.name.encode() + b":" + raw
        return hmac.new(key, message, hashlib.sha256).hexdigest()[:24]

    def encode(self, key: bytes, *values: Any) -> str:
        raw = json.dumps(list(values), separators=(",", ":"), default=str).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=") + "." + self._sign(key, raw)

    def page(
        self, key: bytes, rows: Sequence[Row], limit: int, sort_key: Callable[[Row], tuple[Any, ...]]
    ) -> tuple[list[Row], str | None]:
        """A page from ``rows`` fetched with ``limit + 1``: the first ``limit``, and the cursor after the last
        of them when there were more (``sort_key`` gives a row's values as ``encode`` takes them)."""
        if len(rows) <= limit:
            return list(rows), None
        kept = list(rows[:limit])
        return kept, self.encode(key, *sort_key(kept[-1]))

    def decode(self, key: bytes, cursor: str) -> tuple[Any, ...]:
        try:
            if len(cursor) > MAX_CURSOR_LENGTH:
                raise ValueError("too long")
            body, signature = cursor.rsplit(".", 1)
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            if not hmac.compare_digest(self._sign(key, raw), signature):
                raise ValueError("not signed by us")
            # Signed by us, so well formed; still, a bad value is the client's 400, never a 500.
            values = json.loads(raw)
            if not isinstance(values, list) or len(values) != len(self.parsers):
                raise ValueError(values)
            return tuple(parse(v) for parse, v in zip(self.parsers, values, strict=True))
        except (ValueError, TypeError, binascii.Error):
            raise InvalidCursor() from None


# The lists' sort keys, newest or soonest first.
CASES = Keyset("cases", (_aware_time, _uuid))  # (received_at, id)
COURT_CASES = Keyset("court-cases", (_aware_time, _uuid))
CASE_EVENTS = Keyset("case-events", (_int,))  # (event id,)
BREACHES = Keyset("sla-breaches", (_aware_time, _int))  # (due_at, clock id)
BREACHES_BY_LATENESS = Keyset("sla-breaches-lateness", (_int, _int, _aware_time))  # (lateness, id, as of)
AT_RISK = Keyset("sla-at-risk", (_aware_time, _int))  # (due_at, clock id)
USERS = Keyset("users", (_str,))  # (username,)
URGES = Keyset("urges", (_int,))  # (urge id,): newest first
QUEUE = Keyset("dispatch-queue", (_aware_time, _uuid))  # (dispatch_due_at, case id): soonest first
