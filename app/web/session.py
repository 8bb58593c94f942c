"""Who is looking at a page: the session cookie resolved to a principal, and the login form's CSRF nonce.

The session cookie itself is defined in ``app.auth.sessions`` (the JSON API accepts it too). Before login
there is no session to bind a CSRF token to, so the login form gets its own: a random nonce in a
SameSite=Strict cookie and its HMAC in the form (login CSRF would otherwise let another site sign a
mediator into the attacker's account).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import service as auth_service
from app.auth.principal import Principal
from app.auth.sessions import SESSION_COOKIE, csrf_token_for
from app.db import utcnow
from app.deps import csrf_key, get_context
from app.errors import NotAuthenticated
from app.models import Role

LOGIN_NONCE_COOKIE = "jiefen_login_nonce"
PAGE_ROLES = frozenset({Role.MEDIATOR, Role.SUPERVISOR, Role.ADMIN})


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def session_token(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or None


async def page_principal(request: Request, session: AsyncSession) -> Principal | None:
    """The signed-in person, or None (no cookie, or an expired/revoked/machine token)."""
    token = session_token(request)
    if token is None:
        return None
    try:
        principal = await auth_service.authenticate(session, token, utcnow())
    except NotAuthenticated:
        return None
    if principal.role not in PAGE_ROLES:
        return None
    request.state.principal_key = principal.key
    return principal


def page_csrf(request: Request) -> str:
    token = session_token(request)
    return csrf_token_for(token, csrf_key(get_context(request))) if token else ""


def _nonce_mac(request: Request, nonce: str) -> str:
    key = csrf_key(get_context(request))
    return hmac.new(key, b"login:" + nonce.encode(), hashlib.sha256).hexdigest()[:40]


def login_nonce(request: Request) -> tuple[str, str]:
    """(nonce for the cookie, token for the form). Reuses the browser's nonce, so two open login tabs
    both keep working."""
    nonce = request.cookies.get(LOGIN_NONCE_COOKIE)
    if not nonce or len(nonce) > 64:
        nonce = secrets.token_urlsafe(24)
    return nonce, _nonce_mac(request, nonce)


def set_login_nonce(request: Request, response: Response, nonce: str) -> None:
    response.set_cookie(
        LOGIN_NONCE_COOKIE,
        nonce,
        httponly=True,
        secure=is_https(request),
        samesite="strict",
        path="/m/login",
    )


def login_csrf_valid(request: Request, presented: str | None) -> bool:
    nonce = request.cookies.get(LOGIN_NONCE_COOKIE)
    if not nonce or not presented:
        return False
    return hmac.compare_digest(_nonce_mac(request, nonce), presented)
