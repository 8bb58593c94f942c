"""The mediators' mobile pages under /m/ (server-rendered, Simplified Chinese, phone-first).

Pages only authenticate, read through the case repository/presenter and render. Case intake itself goes
through the JSON API (``POST /api/v1/cases`` with the session cookie, ``X-CSRF-Token`` and an
``Idempotency-Key``) from the page's JavaScript, which keeps drafts and an outbox on the phone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth import service as auth_service
from app.auth.sessions import (
    CSRF_FIELD,
    clear_session_cookie,
    csrf_valid,
    set_session_cookie,
)
from app.auth.views import client_address
from app.db import utcnow
from app.deps import Context, Session, csrf_key
from app.errors import TooManyRequests, problem_response
from app.pagination import InvalidCursor
from app.validation import text_error
from app.web import labels, queries
from app.web.assets import serve_asset
from app.web.case_page import load_case_page
from app.web.inbox import InboxQuery, clock_mark, load_inbox, parse_case_id
from app.web.render import NO_STORE, can_register, page, signed_in, templates, to_login
from app.web.session import (
    is_https,
    login_csrf_valid,
    login_nonce,
    page_principal,
    session_token,
    set_login_nonce,
)
from app.web.workspace.inbox import attach_open_urges

router = APIRouter(prefix="/m", include_in_schema=False)


@router.get("/static/{name}")
async def static_asset(name: str, request: Request) -> Response:
    return serve_asset(name, request)


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, session: Session) -> Response:
    if await page_principal(request, session) is not None:
        return RedirectResponse("/m/", status_code=303)
    return _login_page(request)


def _login_page(request: Request, error: str = "", username: str = "", status: int = 200) -> HTMLResponse:
    nonce, token = login_nonce(request)
    context = {"error": error, "username": username, "csrf_field": CSRF_FIELD, "csrf_token": token}
    response = templates.TemplateResponse(
        request, "login.html", context, status_code=status, headers=NO_STORE
    )
    set_login_nonce(request, response, nonce)
    return response


@router.post("/login", response_class=HTMLResponse)
async def login_submit(
    request: Request,
    session: Session,
    ctx: Context,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    csrf_token: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    username = username.strip()
    if not login_csrf_valid(request, csrf_token):
        return _login_page(request, "页面已过期，请重新输入后登录。", username, status=403)
    if not username or not password:
        return _login_page(request, "请输入用户名和密码。", username, status=422)
    if text_error("username", username) or text_error("password", password):
        # A NUL or a lone surrogate cannot be stored or looked up (PostgreSQL refuses it in text).
        return _login_page(request, "用户名或密码含有无法识别的字符。", "", status=422)
    now = utcnow()
    address = client_address(request)
    try:
        await auth_service.check_login_throttle(session, ctx.settings, username, address, now)
    except TooManyRequests as exc:
        minutes = max(1, int(exc.headers.get("Retry-After", "900")) // 60)
        refused = _login_page(request, f"登录失败次数过多，请 {minutes} 分钟后再试。", username, status=429)
        refused.headers["Retry-After"] = exc.headers.get("Retry-After", "900")
        return refused
    issued = await auth_service.login(session, ctx.settings, username, password, address, now)
    if issued is None:
        # Returned (not raised): the failed attempt is committed and counts towards the throttle.
        return _login_page(request, "用户名或密码错误。", username, status=401)
    previous = session_token(request)
    if previous is not None:
        # Rotate: a session token that existed before this login (perhaps planted) stops working now.
        await auth_service.logout(session, previous, now)
    response = RedirectResponse("/m/", status_code=303)
    set_session_cookie(response, issued.access_token, issued.expires_at, secure=is_https(request))
    return response


@router.post("/logout")
async def logout(
    request: Request,
    session: Session,
    ctx: Context,
    csrf_token: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    token = session_token(request)
    if token is None:
        return to_login()
    if not csrf_valid(token, csrf_token or request.headers.get("X-CSRF-Token"), csrf_key(ctx)):
        return problem_response(
            403, "Forbidden", "Missing or wrong CSRF token.", "csrf_failed", instance=request.url.path
        )
    await auth_service.logout(session, token, utcnow())
    response = to_login()
    clear_session_cookie(response, secure=is_https(request))
    return response


@router.get("/", response_class=HTMLResponse)
async def my_cases(
    request: Request,
    session: Session,
    ctx: Context,
    tab: Annotated[str | None, Query(max_length=20)] = None,
    q: Annotated[str, Query(max_length=100)] = "",
    status: Annotated[str, Query(max_length=30)] = "",
    category: Annotated[str, Query(max_length=30)] = "",
    cursor: Annotated[str | None, Query(max_length=600)] = None,
) -> Response:
    principal = await signed_in(request, session)
    if isinstance(principal, Response):
        return principal
    query = InboxQuery(tab=tab, q=q, status=status, category=category, cursor=cursor or None)
    try:
        inbox = await load_inbox(session, principal, query, ctx.blind_index, csrf_key(ctx))
        await attach_open_urges(session, principal, inbox.cards)  # 督办 badge (issue #14)
    except InvalidCursor:
        return RedirectResponse("/m/", status_code=303)
    return page(
        request, principal, "cases.html", inbox=inbox, query=query, status_labels=labels.STATUS_LABELS
    )


@router.get("/cases/new", response_class=HTMLResponse)
async def new_case(request: Request, session: Session) -> Response:
    principal = await signed_in(request, session)
    if isinstance(principal, Response):
        return principal
    if not can_register(principal):
        # Said at once, not after a form whose draft could never be sent.
        return page(request, principal, "cannot_register.html", status=403)
    defaults = await queries.intake_defaults(session, principal)
    return page(request, principal, "new.html", defaults=defaults)


@router.get("/cases/{case_id}", response_class=HTMLResponse)
async def case_page(case_id: str, request: Request, session: Session) -> Response:
    principal = await signed_in(request, session)
    if isinstance(principal, Response):
        return principal
    wanted = parse_case_id(case_id)
    found = await load_case_page(session, principal, wanted) if wanted else None
    if found is None:
        return page(request, principal, "missing.html", status=404)
    case = found.case
    case["sla"] = clock_mark(found.clock, datetime.now(UTC))
    await attach_open_urges(session, principal, [case])  # 督办 note and answer (issue #14)
    return page(
        request,
        principal,
        "detail.html",
        case=case,
        timeline=found.timeline,
        actions=found.actions,
        clock=found.clock,
        status_labels=labels.STATUS_LABELS,
        sla_labels=labels.SLA_LABELS,  # the late mark in the heading (sla_badge)
    )
