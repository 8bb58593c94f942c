"""Channels and their delivery log: what the CLI and the admin API do (flush, never commit)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, delete, func, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.context import AppContext
from app.errors import Conflict, FieldError, NotFound, ValidationFailed
from app.models import (
    ChannelKind,
    DeliveryStatus,
    NoticeKind,
    NotificationChannel,
    NotificationDelivery,
    Organization,
    OrgKind,
    Role,
)
from app.notifications import messages
from app.notifications.formats import new_webhook_secret, valid_webhook_secret
from app.notifications.outbox import delivery_row
from app.notifications.sender import SECRET_CONTEXT, URL_CONTEXT
from app.notifications.urls import AllowList, UrlRefused, check_url, mask_secret, mask_url

ALL_EVENTS = tuple(k.value for k in NoticeKind)


@dataclass(frozen=True)
class ChannelLog:
    channel: NotificationChannel
    organization: Organization
    queued: int
    dead: int


@dataclass(frozen=True)
class NewChannel:
    channel: NotificationChannel
    organization: Organization
    secret: str | None  # shown once, when the service generated it (a webhook's signing secret)


def parse_events(text: str | Sequence[str] | None) -> list[str]:
    items = text.split(",") if isinstance(text, str) else list(text or ALL_EVENTS)
    events = [e.strip() for e in items if e.strip()]
    unknown = [e for e in events if e not in ALL_EVENTS]
    if unknown or not events:
        raise ValidationFailed(
            [
                FieldError(
                    "events",
                    "events.unknown",
                    f"event kinds are {', '.join(ALL_EVENTS)}; got {', '.join(unknown) or 'none'}",
                )
            ]
        )
    return sorted(set(events), key=ALL_EVENTS.index)


def _channel_url(ctx: AppContext, kind: str, url: str) -> str:
    """A WeCom channel may be given as its robot key alone: the URL is then built on the configured base."""
    if kind == ChannelKind.WECOM and "://" not in url:
        return f"{ctx.settings.wecom_base.rstrip('/')}/cgi-bin/webhook/send?key={url.strip()}"
    return url.strip()


async def add_channel(
    session: AsyncSession,
    ctx: AppContext,
    org_code: str,
    kind: str,
    url: str,
    secret: str | None,
    events: str | Sequence[str] | None,
    now: datetime,
) -> NewChannel:
    errors = []
    if kind not in tuple(ChannelKind):
        errors.append(FieldError("kind", "kind.unknown", "kind is wecom, dingtalk or webhook"))
    org = (
        await session.execute(select(Organization).where(Organization.code == org_code))
    ).scalar_one_or_none()
    if org is None:
        errors.append(FieldError("org", "org.unknown", f"no organization with code {org_code}"))
    full_url = _channel_url(ctx, kind, url)
    try:
        check_url(full_url, AllowList.parse(ctx.settings.webhook_allow_hosts))
    except UrlRefused as exc:
        errors.append(FieldError("url", exc.code, exc.message))
    generated = None
    if kind == ChannelKind.WEBHOOK:
        if not secret:
            secret = generated = new_webhook_secret()
        elif not valid_webhook_secret(secret):
            errors.append(FieldError("secret", "secret.format", "a webhook secret is whsec_ and base64"))
    try:
        wanted = parse_events(events)
    except ValidationFailed as exc:
        errors += exc.errors
        wanted = []
    if errors:
        raise ValidationFailed(errors)
    assert org is not None
    channel = NotificationChannel(
        organization_id=org.id,
        kind=kind,
        url_encrypted=ctx.cipher.encrypt(full_url, context=URL_CONTEXT),
        url_masked=mask_url(full_url),
        secret_encrypted=ctx.cipher.encrypt(secret, context=SECRET_CONTEXT) if secret else None,
        events=wanted,
        active=True,
        created_at=now,
    )
    session.add(channel)
    await session.flush()
    return NewChannel(channel, org, generated)


def masked_secret(ctx: AppContext, channel: NotificationChannel) -> str | None:
    if not channel.secret_encrypted:
        return None
    return mask_secret(ctx.cipher.decrypt(channel.secret_encrypted, context=SECRET_CONTEXT))


def scope_town(principal: Principal) -> int | None:
    """The town whose channels a supervisor sees (a town justice office's); None: city-wide (the bureau,
    admins). A supervisor with no town sees none."""
    if principal.role == Role.ADMIN or principal.organization_kind == OrgKind.JUSTICE_BUREAU:
        return None
    return principal.town_id if principal.town_id is not None else -1


def _scope(town_id: int | None) -> ColumnElement[bool]:
    return true() if town_id is None else Organization.town_id == town_id


async def channel_logs(
    session: AsyncSession, town_id: int | None = None, channel_id: int | None = None
) -> list[ChannelLog]:
    """Channels with their delivery log; ``town_id`` limits them to one town's organizations (a town
    supervisor's scope), None is city-wide."""
    queued = func.sum(case((NotificationDelivery.status == DeliveryStatus.PENDING, 1), else_=0))
    dead = func.sum(case((NotificationDelivery.status == DeliveryStatus.DEAD, 1), else_=0))
    counts = (
        select(NotificationDelivery.channel_id, queued.label("queued"), dead.label("dead"))
        .where(NotificationDelivery.status != DeliveryStatus.DELIVERED)
        .group_by(NotificationDelivery.channel_id)
        .subquery()
    )
    stmt = (
        select(NotificationChannel, Organization, counts.c.queued, counts.c.dead)
        .join(Organization, Organization.id == NotificationChannel.organization_id)
        .outerjoin(counts, counts.c.channel_id == NotificationChannel.id)
        .where(_scope(town_id))
        .order_by(NotificationChannel.id)
    )
    if channel_id is not None:
        stmt = stmt.where(NotificationChannel.id == channel_id)
    return [ChannelLog(c, o, int(q or 0), int(d or 0)) for c, o, q, d in (await session.execute(stmt)).all()]


async def channel_log(session: AsyncSession, channel_id: int, town_id: int | None = None) -> ChannelLog:
    found = await channel_logs(session, town_id, channel_id)
    if not found:
        raise NotFound("No such channel.", code="channel_not_found")
    return found[0]


async def remove_channel(session: AsyncSession, channel_id: int) -> None:
    result: Any = await session.execute(
        delete(NotificationChannel).where(NotificationChannel.id == channel_id)
    )
    if not result.rowcount:
        raise NotFound("No such channel.", code="channel_not_found")


async def queue_test(session: AsyncSession, channel_id: int, now: datetime) -> NotificationDelivery:
    """A test message for this channel, queued like any other (the sender delivers it)."""
    found = await channel_log(session, channel_id)
    row = delivery_row(found.channel, messages.test(found.organization.name, now), now, None)
    delivery = NotificationDelivery(**row)
    session.add(delivery)
    await session.flush()
    return delivery


async def deliveries(
    session: AsyncSession, channel_id: int, status: str | None, before_id: int | None, limit: int
) -> list[NotificationDelivery]:
    """A channel's messages, newest first (keyset on id)."""
    stmt = select(NotificationDelivery).where(NotificationDelivery.channel_id == channel_id)
    if status:
        stmt = stmt.where(NotificationDelivery.status == status)
    if before_id is not None:
        stmt = stmt.where(NotificationDelivery.id < before_id)
    return list((await session.execute(stmt.order_by(NotificationDelivery.id.desc()).limit(limit))).scalars())


async def retry_dead(
    session: AsyncSession, channel_id: int, delivery_id: int, now: datetime
) -> NotificationDelivery:
    """An admin sends a dead letter again: same message id, a fresh 24 hours of tries."""
    delivery = await session.get(NotificationDelivery, delivery_id)
    if delivery is None or delivery.channel_id != channel_id:
        raise NotFound("No such delivery.", code="delivery_not_found")
    if delivery.status != DeliveryStatus.DEAD:
        raise Conflict("Only a dead letter can be retried.", code="delivery_not_dead")
    await session.execute(
        update(NotificationDelivery)
        .where(NotificationDelivery.id == delivery_id)
        .values(status=DeliveryStatus.PENDING, next_attempt_at=now, created_at=now, attempts=0)
    )
    await session.refresh(delivery)
    return delivery


async def queue_counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(
        select(NotificationDelivery.status, func.count())
        .where(NotificationDelivery.status != DeliveryStatus.DELIVERED)
        .group_by(NotificationDelivery.status)
    )
    counts = {DeliveryStatus.PENDING.value: 0, DeliveryStatus.DEAD.value: 0}
    counts.update({s: int(n) for s, n in rows.all()})
    return counts
