"""Opaque keyset cursors: base64url of a small JSON list of the last row's sort key."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from app.errors import DomainError

MAX_LIMIT = 200
DEFAULT_LIMIT = 50


class InvalidCursor(DomainError):
    def __init__(self) -> None:
        super().__init__(
            detail="The cursor is not one this API issued; start again without a cursor.",
            code="cursor.invalid",
            status=400,
            title="Invalid cursor",
        )


def encode_cursor(*values: Any) -> str:
    raw = json.dumps(list(values), separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidCursor() from None
    if not isinstance(values, list) or len(values) != arity:
        raise InvalidCursor()
    return values
