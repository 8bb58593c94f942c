"""Delivering the outbox: every replica claims due rows, sends them with a timeout, and records the result.

A claim is its own short transaction: the rows are taken with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL
(SQLite has a single process) and leased by moving their next attempt past the send's timeout. The send
happens outside any transaction; the result is recorded in another. A sender that dies between claim and
record leaves its rows leased: when the lease runs out another sender delivers them again, with the same
``message_id`` (at least once; receivers deduplicate by it).

Robots take at most 20 messages a minute: a claim leaves a robot's rows beyond that for a minute later,
counting what every replica sent to it in the last minute.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import httpx
from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app import metrics
from app.context import AppContext
from app.db import session_scope, utcnow
from app.models import ChannelKind, DeliveryStatus, NotificationChannel, NotificationDelivery
from app.notifications import policy
from app.notifications.formats import body_bytes, dingtalk_url, webhook_headers
from app.notifications.policy import Outcome, Verdict
from app.notifications.urls import AllowList, UrlRefused, check_resolved, check_url

log = logging.getLogger("jiefen.notifications")

URL_CONTEXT = b"notification_channel.url"
SECRET_CONTEXT = b"notification_channel.secret"
BATCH = 50
LEASE_MARGIN_SECONDS = 30.0


@dataclass(frozen=True)
class Claimed:
    delivery_id: int
    message_id: str
    channel_id: int
    kind: str
    url: str
    secret: str | None
    payload: dict[str, Any]
    attempts: int
    created_at: datetime


@dataclass
class DeliveryRun:
    delivered: int = 0
    retried: int = 0
    dead: int = 0


async def claim(ctx: AppContext, session: AsyncSession, now: datetime, limit: int = BATCH) -> list[Claimed]:
    """Take up to ``limit`` due rows for this sender (see the module's docstring)."""
    rows = (
        await session.execute(
            select(NotificationDelivery, NotificationChannel)
            .join(NotificationChannel, NotificationChannel.id == NotificationDelivery.channel_id)
            .where(
                NotificationDelivery.status == DeliveryStatus.PENDING,
                NotificationDelivery.next_attempt_at <= now,
            )
            .order_by(NotificationDelivery.next_attempt_at, NotificationDelivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=NotificationDelivery)
        )
    ).all()
    if not rows:
        return []
    budget = await _robot_budgets(session, {c.id for _, c in rows if c.kind != ChannelKind.WEBHOOK}, now)
    lease_until = now + timedelta(seconds=ctx.settings.webhook_timeout_seconds + LEASE_MARGIN_SECONDS)
    claimed = []
    for delivery, channel in rows:
        if channel.id in budget:
            if budget[channel.id] <= 0:
                delivery.next_attempt_at = now + timedelta(seconds=60)  # the robot's minute is used up
                continue
            budget[channel.id] -= 1
        # Compare and set: on SQLite (no row locks) a second sender that read the row too finds it leased.
        taken = await session.execute(
            update(NotificationDelivery)
            .where(
                NotificationDelivery.id == delivery.id,
                NotificationDelivery.status == DeliveryStatus.PENDING,
                NotificationDelivery.next_attempt_at == delivery.next_attempt_at,
            )
            .values(
                attempts=NotificationDelivery.attempts + 1, last_attempt_at=now, next_attempt_at=lease_until
            )
            .execution_options(synchronize_session=False)
        )
        if not cast(CursorResult[Any], taken).rowcount:
            continue
        claimed.append(
            Claimed(
                delivery_id=delivery.id,
                message_id=delivery.message_id,
                channel_id=channel.id,
                kind=channel.kind,
                url=ctx.cipher.decrypt(channel.url_encrypted, context=URL_CONTEXT),
                secret=(
                    ctx.cipher.decrypt(channel.secret_encrypted, context=SECRET_CONTEXT)
                    if channel.secret_encrypted
                    else None
                ),
                payload=delivery.payload,
                attempts=delivery.attempts + 1,
                created_at=delivery.created_at,
            )
        )
    await session.flush()
    return claimed


async def _robot_budgets(session: AsyncSession, channel_ids: set[int], now: datetime) -> dict[int, int]:
    if not channel_ids:
        return {}
    recent = dict(
        (
            await session.execute(
                select(NotificationDelivery.channel_id, func.count())
                .where(
                    NotificationDelivery.channel_id.in_(channel_ids),
                    NotificationDelivery.last_attempt_at > now - timedelta(seconds=60),
                )
                .group_by(NotificationDelivery.channel_id)
            )
        ).all()
    )
    return {c: policy.ROBOT_MESSAGES_PER_MINUTE - int(recent.get(c, 0)) for c in channel_ids}


def _request(item: Claimed, now: datetime) -> tuple[str, bytes, dict[str, str]]:
    body = body_bytes(item.payload)
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "jiefen-notifications/1"}
    url = item.url
    if item.kind == ChannelKind.DINGTALK:
        url = dingtalk_url(url, item.secret, now)
    elif item.kind == ChannelKind.WEBHOOK and item.secret:
        headers |= webhook_headers(item.secret, item.message_id, now, body)
    return url, body, headers


async def send(client: httpx.AsyncClient, allow: AllowList, item: Claimed, now: datetime) -> Outcome:
    """One try. Never raises for the receiver's failures: they are the outcome."""
    try:
        check_url(item.url, allow)
        await check_resolved(item.url, allow)
    except UrlRefused as exc:
        return Outcome(Verdict.DEAD, None, exc.message)
    url, body, headers = _request(item, now)
    try:
        response = await client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return Outcome(Verdict.RETRY, None, f"{type(exc).__name__}: {exc}"[:300])
    try:
        answer: Any = response.json()
    except ValueError:
        answer = None
    return policy.classify(item.kind, response.status_code, answer, response.headers.get("Retry-After"))


async def record(
    session: AsyncSession, item: Claimed, outcome: Outcome, now: datetime, rng: random.Random
) -> None:
    values: dict[str, Any] = {"last_status_code": outcome.status_code, "last_error": outcome.error}
    channel: dict[str, Any]
    if outcome.verdict == Verdict.DELIVERED:
        values |= {"status": DeliveryStatus.DELIVERED, "delivered_at": now}
        channel = {"last_success_at": now}
    else:
        at = policy.next_attempt(outcome, item.attempts, item.created_at, now, rng)
        values |= {"status": DeliveryStatus.DEAD} if at is None else {"next_attempt_at": at}
        channel = {"last_error_at": now, "last_error": outcome.error}
    await session.execute(
        update(NotificationDelivery).where(NotificationDelivery.id == item.delivery_id).values(**values)
    )
    await session.execute(
        update(NotificationChannel).where(NotificationChannel.id == item.channel_id).values(**channel)
    )
    metrics.NOTIFICATIONS_SENT.labels(item.kind, outcome.verdict).inc()


def http_client(ctx: AppContext) -> httpx.AsyncClient:
    # No redirects: a 3xx is a failure (a redirect could lead a channel past the URL policy).
    return httpx.AsyncClient(
        follow_redirects=False, timeout=ctx.settings.webhook_timeout_seconds, trust_env=False
    )


async def deliver_once(
    ctx: AppContext,
    now: datetime | None = None,
    client: httpx.AsyncClient | None = None,
    rng: random.Random | None = None,
) -> DeliveryRun:
    """Deliver everything due now (``now``: for tests and the CLI's replays), batch by batch."""
    rng = rng or random.Random()
    allow = AllowList.parse(ctx.settings.webhook_allow_hosts)
    run = DeliveryRun()
    own_client = client is None
    http = client or http_client(ctx)
    try:
        while True:
            at = now or utcnow()
            async with session_scope(ctx.sessionmaker) as session:
                batch = await claim(ctx, session, at)
            if not batch:
                return run
            outcomes = await asyncio.gather(*(send(http, allow, item, at) for item in batch))
            done = now or utcnow()
            async with session_scope(ctx.sessionmaker) as session:
                for item, outcome in zip(batch, outcomes, strict=True):
                    await record(session, item, outcome, done, rng)
            for outcome in outcomes:
                if outcome.verdict == Verdict.DELIVERED:
                    run.delivered += 1
                elif outcome.verdict == Verdict.DEAD:
                    run.dead += 1
                else:
                    run.retried += 1
            if any(o.verdict != Verdict.DELIVERED for o in outcomes):
                log.info(
                    "notification delivery",
                    extra={"fields": {"delivered": run.delivered, "retried": run.retried, "dead": run.dead}},
                )
    finally:
        if own_client:
            await http.aclose()
