"""Browser sessions for the mobile pages: an HttpOnly cookie holding an opaque token, plus a CSRF token.

The cookie carries the same kind of token as ``Authorization: Bearer`` (stored hashed, expiring, revocable),
so one mechanism serves both. Requests authenticated by the cookie must prove they come from our pages on
every state-changing method: ``X-CSRF-Token`` header (or ``csrf_token`` form field) equal to an HMAC of the
session token. SameSite=Lax is defence in depth, not the defence.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from fastapi import Response

SESSION_COOKIE = "jiefen_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def csrf_token_for(session_token: str, key: bytes) -> str:
    return hmac.new(key, b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()[:40]


def csrf_valid(session_token: str, presented: str | None, key: bytes) -> bool:
    return presented is not None and hmac.compare_digest(csrf_token_for(session_token, key), presented)


def set_session_cookie(response: Response, token: str, expires_at: datetime, *, secure: bool) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        expires=expires_at,
        httponly=True,
        secure=secure,
        samesite="lax",
        path="/",
    )


def clear_session_cookie(response: Response, *, secure: bool) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, secure=secure, samesite="lax")
