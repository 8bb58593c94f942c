"""``/m/channels``: the notification channels' page (通知渠道). Supervisors see the channels of their scope
with their delivery log and dead letters; admins also add, test and remove channels and resend dead letters.
The same services as ``/api/v1/admin/channels``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth.principal import Principal
from app.auth.sessions import csrf_valid
from app.db import utcnow
from app.deps import Context, Session, csrf_key
from app.errors import DomainError, ValidationFailed
from app.models import DeliveryStatus, Role
from app.notifications import service
from app.web import labels
from app.web.render import page, signed_in
from app.web.session import session_token

router = APIRouter(prefix="/m", include_in_schema=False)
CHANNEL_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})
FIELD_LABELS = {"org": "机构代码", "kind": "类型", "url": "地址", "secret": "密钥", "events": "订阅"}
ERROR_LABELS = {
    "url.scheme": "地址必须以 https:// 开头。",
    "url.private": "不能发往内网、本机或链路本地地址（如需，请由运维配置 JIEFEN_WEBHOOK_ALLOW_HOSTS）。",
    "url.host": "地址不完整。",
    "url.format": "地址格式不正确。",
    "url.credentials": "地址中不能包含用户名或密码。",
    "org.unknown": "没有这个机构代码。",
    "secret.format": "Webhook 密钥应为 whsec_ 开头的 base64；留空则自动生成。",
    "events.unknown": "请至少选择一种订阅。",
    "kind.unknown": "请选择类型。",
}


async def _who(request: Request, session: Session) -> Principal | Response:
    principal = await signed_in(request, session)
    if isinstance(principal, Response):
        return principal
    if principal.role not in CHANNEL_ROLES:
        return page(request, principal, "missing.html", status=404)
    return principal


async def _render(
    request: Request,
    session: Session,
    ctx: Context,
    principal: Principal,
    errors: dict[str, str] | None = None,
    notice: str = "",
    status: int = 200,
) -> HTMLResponse:
    logs = await service.channel_logs(session, service.scope_town(principal))
    dead = {
        log.channel.id: await service.deliveries(session, log.channel.id, DeliveryStatus.DEAD, None, 20)
        for log in logs
        if log.dead
    }
    return page(
        request,
        principal,
        "channels.html",
        status=status,
        logs=logs,
        dead=dead,
        secrets={log.channel.id: service.masked_secret(ctx, log.channel) for log in logs},
        is_admin=principal.role == Role.ADMIN,
        kinds=labels.CHANNEL_KIND_LABELS,
        notice_kinds=labels.NOTICE_KIND_LABELS,
        delivery_states=labels.DELIVERY_STATUS_LABELS,
        errors=errors or {},
        notice=notice,
    )


@router.get("/channels", response_class=HTMLResponse)
async def channels_page(request: Request, session: Session, ctx: Context) -> Response:
    principal = await _who(request, session)
    if isinstance(principal, Response):
        return principal
    done = {"added": "已添加渠道。", "tested": "测试消息已排队，几秒内送达。", "removed": "已删除渠道。"}
    return await _render(
        request, session, ctx, principal, notice=done.get(request.query_params.get("done", ""), "")
    )


def _checked(request: Request, ctx: Context, principal: Principal, token: str) -> bool:
    return principal.role == Role.ADMIN and csrf_valid(session_token(request) or "", token, csrf_key(ctx))


@router.post("/channels", response_class=HTMLResponse)
async def add_channel(
    request: Request,
    session: Session,
    ctx: Context,
    org: Annotated[str, Form(max_length=40)] = "",
    kind: Annotated[str, Form(max_length=20)] = "",
    url: Annotated[str, Form(max_length=2000)] = "",
    secret: Annotated[str, Form(max_length=200)] = "",
    events: Annotated[list[str] | None, Form()] = None,
    csrf_token: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    principal = await _who(request, session)
    if isinstance(principal, Response):
        return principal
    if not _checked(request, ctx, principal, csrf_token):
        return await _render(request, session, ctx, principal, {"form": "页面已过期，请重试。"}, status=403)
    try:
        new = await service.add_channel(
            session, ctx, org.strip(), kind, url, secret.strip() or None, events or [], utcnow()
        )
    except ValidationFailed as exc:
        errors = {e.field.split(".")[0]: ERROR_LABELS.get(e.code, e.message) for e in exc.errors}
        return await _render(request, session, ctx, principal, errors, status=422)
    if new.secret:
        notice = f"已添加渠道。签名密钥（只显示这一次，请交给接收方）：{new.secret}"
        return await _render(request, session, ctx, principal, notice=notice, status=201)
    return RedirectResponse("/m/channels?done=added", status_code=303)


@router.post("/channels/{channel_id}/{action}", response_class=HTMLResponse)
async def channel_action(
    channel_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    action: str,
    request: Request,
    session: Session,
    ctx: Context,
    delivery_id: Annotated[int | None, Form(ge=1, le=2**63 - 1)] = None,
    csrf_token: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    principal = await _who(request, session)
    if isinstance(principal, Response):
        return principal
    if not _checked(request, ctx, principal, csrf_token):
        return await _render(request, session, ctx, principal, {"form": "页面已过期，请重试。"}, status=403)
    try:
        if action == "test":
            await service.queue_test(session, channel_id, utcnow())
        elif action == "remove":
            await service.remove_channel(session, channel_id)
        elif action == "retry" and delivery_id is not None:
            await service.retry_dead(session, channel_id, delivery_id, utcnow())
        else:
            return page(request, principal, "missing.html", status=404)
    except DomainError:
        return page(request, principal, "missing.html", status=404)
    done = {"test": "tested", "remove": "removed"}.get(action, "")
    return RedirectResponse(f"/m/channels?done={done}", status_code=303)
