"""``jiefen channels …`` and ``jiefen notify …``: the operators' contract (mirrored by the admin API)."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import get_settings
from app.context import AppContext
from app.db import session_scope, utcnow


def _run(work: Callable[[AppContext, AsyncSession], Awaitable[Any]]) -> Any:
    async def runner() -> Any:
        ctx = AppContext.from_settings(get_settings())
        try:
            async with session_scope(ctx.sessionmaker) as session:
                return await work(ctx, session)
        finally:
            await ctx.close()

    return asyncio.run(runner())


def _at(text: str | None) -> datetime:
    if not text:
        return utcnow()
    at = datetime.fromisoformat(text)
    if at.tzinfo is None:
        from app.calendar.workdays import SHANGHAI

        at = at.replace(tzinfo=SHANGHAI)  # a time without offset is Shanghai's, as people write it
    return at


def cmd_channels_add(args: argparse.Namespace) -> None:
    from app.notifications.service import add_channel

    async def work(ctx: AppContext, session: AsyncSession) -> None:
        new = await add_channel(
            session, ctx, args.org, args.kind, args.url, args.secret, args.events, utcnow()
        )
        print(new.channel.id)
        if new.secret:
            print(f"signing secret (shown once; give it to the receiver): {new.secret}")

    _run(work)


def cmd_channels_list(args: argparse.Namespace) -> None:
    from app.notifications.service import channel_logs, masked_secret

    async def work(ctx: AppContext, session: AsyncSession) -> None:
        for log in await channel_logs(session):
            c = log.channel
            secret = masked_secret(ctx, c) or "-"
            print(
                f"{c.id}\t{log.organization.code}\t{c.kind}\t{c.url_masked}\tsecret={secret}\t"
                f"events={','.join(c.events)}\tqueued={log.queued}\tdead={log.dead}\t"
                f"last_success={c.last_success_at.isoformat() if c.last_success_at else '-'}\t"
                f"last_error={c.last_error or '-'}"
            )

    _run(work)


def cmd_channels_remove(args: argparse.Namespace) -> None:
    from app.notifications.service import remove_channel

    async def work(ctx: AppContext, session: AsyncSession) -> None:
        await remove_channel(session, args.id)
        print(f"removed channel {args.id}")

    _run(work)


def cmd_channels_test(args: argparse.Namespace) -> None:
    from app.notifications.sender import deliver_once
    from app.notifications.service import queue_test

    async def work(ctx: AppContext, session: AsyncSession) -> None:
        delivery = await queue_test(session, args.id, utcnow())
        await session.commit()
        await deliver_once(ctx)
        await session.refresh(delivery)
        error = f" ({delivery.last_error})" if delivery.last_error else ""
        print(f"test message {delivery.message_id}: {delivery.status}{error}")

    _run(work)


def cmd_notify_digest(args: argparse.Namespace) -> None:
    from app.notifications.digest import run_digest

    async def work(ctx: AppContext, session: AsyncSession) -> None:
        run = await run_digest(session, _at(args.at), ctx.settings.public_base_url, force=args.force)
        if not run.working_day and not args.force:
            print(f"{run.day} is not a working day: no digest (use --force to send anyway)")
            return
        print(f"digest for {run.day}: {run.sent} messages queued for {run.organizations} organizations")

    _run(work)


def cmd_notify_deliver(args: argparse.Namespace) -> None:
    from app.notifications.sender import deliver_once

    async def work(ctx: AppContext, session: AsyncSession) -> None:
        run = await deliver_once(ctx)
        print(f"delivered {run.delivered}, to retry {run.retried}, dead {run.dead}")

    _run(work)


def add_parsers(sub: Any) -> None:
    channels = sub.add_parser(
        "channels", help="notification channels (group robots, webhooks)"
    ).add_subparsers(dest="channels_command", required=True)
    p = channels.add_parser("add", help="add a channel to an organization; prints its id")
    p.add_argument("org", metavar="ORG_CODE")
    p.add_argument("--kind", required=True, choices=["wecom", "dingtalk", "webhook"])
    p.add_argument(
        "--url", required=True, help="the robot's or receiver's URL (a WeCom robot: its key suffices)"
    )
    p.add_argument("--secret", help="DingTalk's signing secret, or a webhook's whsec_… (generated if absent)")
    p.add_argument("--events", default="breach,digest,urge,confirmation", help="comma-separated event kinds")
    p.set_defaults(func=cmd_channels_add)
    channels.add_parser("list", help="channels, masked, with their delivery log").set_defaults(
        func=cmd_channels_list
    )
    p = channels.add_parser("remove", help="remove a channel and its queued messages")
    p.add_argument("id", type=int)
    p.set_defaults(func=cmd_channels_remove)
    p = channels.add_parser("test", help="send a test message now")
    p.add_argument("id", type=int)
    p.set_defaults(func=cmd_channels_test)

    notify = sub.add_parser("notify", help="notifications").add_subparsers(
        dest="notify_command", required=True
    )
    p = notify.add_parser("digest", help="queue the morning digest as of a time (now by default)")
    p.add_argument("--at", help="ISO 8601 time (Shanghai if no offset)")
    p.add_argument("--force", action="store_true", help="also on a day that is not a working day")
    p.set_defaults(func=cmd_notify_digest)
    p = notify.add_parser("deliver", help="deliver what is queued")
    p.add_argument("--once", action="store_true", required=True, help="deliver what is due now, then exit")
    p.set_defaults(func=cmd_notify_deliver)
