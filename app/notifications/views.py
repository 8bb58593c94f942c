"""The admin API for notification channels: /admin/channels. Admins add, remove, test channels and retry
dead letters; supervisors read the channels and delivery logs of their scope (a town justice office its
town, the bureau all)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from app.db import utcnow
from app.deps import AdminPrincipal, Context, Session, SupervisorPrincipal
from app.models import DeliveryStatus
from app.notifications import service
from app.notifications.schemas import (
    ChannelIn,
    ChannelList,
    ChannelOut,
    DeliveryOut,
    DeliveryPage,
    NewChannelOut,
)
from app.pagination import DEFAULT_LIMIT, MAX_LIMIT

router = APIRouter(prefix="/admin/channels", tags=["notifications"])
ChannelId = Annotated[int, Path(ge=1, le=2**31 - 1)]
DeliveryId = Annotated[int, Path(ge=1, le=2**63 - 1)]


def channel_out(ctx: Context, log: service.ChannelLog) -> ChannelOut:
    c = log.channel
    return ChannelOut(
        id=c.id,
        organization=log.organization.code,
        organization_name=log.organization.name,
        kind=c.kind,
        url=c.url_masked,
        secret=service.masked_secret(ctx, c),
        events=c.events,
        active=c.active,
        created_at=c.created_at,
        last_success_at=c.last_success_at,
        last_error_at=c.last_error_at,
        last_error=c.last_error,
        queued=log.queued,
        dead=log.dead,
    )


@router.get("", response_model=ChannelList)
async def list_channels(session: Session, ctx: Context, principal: SupervisorPrincipal) -> ChannelList:
    """Channels with their delivery log (last success, last error, queue length, dead letters)."""
    logs = await service.channel_logs(session, service.scope_town(principal))
    return ChannelList(items=[channel_out(ctx, log) for log in logs])


@router.post("", status_code=201, response_model=NewChannelOut, responses={422: {}})
async def add(body: ChannelIn, session: Session, ctx: Context, principal: AdminPrincipal) -> NewChannelOut:
    """Add a channel. URLs must be https and public (unless JIEFEN_WEBHOOK_ALLOW_HOSTS lists them)."""
    new = await service.add_channel(
        session, ctx, body.org, body.kind, body.url, body.secret, body.events, utcnow()
    )
    out = channel_out(ctx, await service.channel_log(session, new.channel.id))
    return NewChannelOut(**out.model_dump(), signing_secret=new.secret)


@router.get("/{channel_id}", response_model=ChannelOut, responses={404: {}})
async def get_channel(
    channel_id: ChannelId, session: Session, ctx: Context, principal: SupervisorPrincipal
) -> ChannelOut:
    return channel_out(ctx, await service.channel_log(session, channel_id, service.scope_town(principal)))


@router.delete("/{channel_id}", status_code=204, responses={404: {}})
async def remove(channel_id: ChannelId, session: Session, principal: AdminPrincipal) -> Response:
    """Remove a channel, with its queued messages and log."""
    await service.remove_channel(session, channel_id)
    return Response(status_code=204)


@router.post("/{channel_id}/test", status_code=202, response_model=DeliveryOut, responses={404: {}})
async def test(channel_id: ChannelId, session: Session, principal: AdminPrincipal) -> DeliveryOut:
    """Queue a test message; the sender delivers it within seconds (see its status in the deliveries)."""
    return DeliveryOut.model_validate(
        await service.queue_test(session, channel_id, utcnow()), from_attributes=True
    )


@router.get("/{channel_id}/deliveries", response_model=DeliveryPage, responses={404: {}})
async def deliveries(
    channel_id: ChannelId,
    session: Session,
    principal: SupervisorPrincipal,
    status: DeliveryStatus | None = None,
    before: Annotated[
        int | None, Query(ge=1, le=2**63 - 1, description="next_before of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> DeliveryPage:
    """The channel's messages, newest first; `status=dead` lists its dead letters."""
    await service.channel_log(
        session, channel_id, service.scope_town(principal)
    )  # 404 outside the caller's scope
    rows = await service.deliveries(session, channel_id, status, before, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return DeliveryPage(
        items=[DeliveryOut.model_validate(r, from_attributes=True) for r in rows],
        next_before=rows[-1].id if more and rows else None,
    )


@router.post(
    "/{channel_id}/deliveries/{delivery_id}/retry", response_model=DeliveryOut, responses={404: {}, 409: {}}
)
async def retry(
    channel_id: ChannelId, delivery_id: DeliveryId, session: Session, principal: AdminPrincipal
) -> DeliveryOut:
    """Send a dead letter again, with the same message id and a fresh 24 hours of tries."""
    delivery = await service.retry_dead(session, channel_id, delivery_id, utcnow())
    return DeliveryOut.model_validate(delivery, from_attributes=True)
