"""The pages' 修改密码 form: the only page (with sign-out) for someone whose password another person chose.

It calls the same service as ``POST /api/v1/auth/password``: same rules, same throttle, and the session
that changed the password stays signed in while every other one ends.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import passwords
from app.auth.principal import Principal
from app.auth.sessions import csrf_valid
from app.auth.views import client_address
from app.db import utcnow
from app.deps import Context, Session, csrf_key
from app.errors import TooManyRequests, ValidationFailed
from app.web.labels import password_error_label
from app.web.render import home_for, page, signed_in
from app.web.session import session_token

router = APIRouter(prefix="/m", include_in_schema=False)


def _form(
    request: Request, principal: Principal, errors: dict[str, str] | None = None, status: int = 200
) -> HTMLResponse:
    return page(
        request,
        principal,
        "password.html",
        status=status,
        errors=errors or {},
        min_length=passwords.MIN_LENGTH,
    )


@router.get("/password", response_class=HTMLResponse)
async def password_form(request: Request, session: Session) -> Response:
    principal = await signed_in(request, session, pending_password=True)
    if isinstance(principal, Response):
        return principal
    return _form(request, principal)


async def _change(
    request: Request, session: AsyncSession, ctx: Context, principal: Principal, current: str, new: str
) -> dict[str, str]:
    """Field → Chinese message; empty when the password was changed."""
    change = passwords.PasswordChange(principal.id, principal.name, current, new, session_token(request))
    try:
        if not await passwords.change_own_password(
            session, ctx.settings, change, client_address(request), utcnow()
        ):
            return {"current_password": password_error_label("password.incorrect")}
    except TooManyRequests:
        return {"form": "尝试次数过多，请稍后再试。"}
    except ValidationFailed as exc:
        errors: dict[str, str] = {}
        for e in exc.errors:
            errors.setdefault(e.field, password_error_label(e.code))
        return errors
    return {}


@router.post("/password", response_class=HTMLResponse)
async def password_submit(
    request: Request,
    session: Session,
    ctx: Context,
    current_password: Annotated[str, Form(max_length=256)] = "",
    new_password: Annotated[str, Form(max_length=256)] = "",
    new_password_again: Annotated[str, Form(max_length=256)] = "",
    csrf_token: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    principal = await signed_in(request, session, pending_password=True)
    if isinstance(principal, Response):
        return principal
    token = session_token(request) or ""
    if not csrf_valid(token, csrf_token, csrf_key(ctx)):
        return _form(request, principal, {"form": "页面已过期，请重新输入。"}, status=403)
    if not current_password:
        return _form(request, principal, {"current_password": "请输入当前密码。"}, status=422)
    if new_password != new_password_again:
        return _form(request, principal, {"new_password_again": "两次输入的新密码不一致。"}, status=422)
    errors = await _change(request, session, ctx, principal, current_password, new_password)
    if errors:
        # Returned, not raised: a wrong current password is committed and counts towards the throttle.
        return _form(request, principal, errors, status=422)
    return RedirectResponse(home_for(principal.role) + "?password=changed", status_code=303)
