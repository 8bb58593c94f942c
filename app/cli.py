"""The ``jiefen`` command: database, demo data, users, machine clients, serving, OpenAPI."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import PROJECT_ROOT, ConfigurationError, get_settings
from app.db import make_engine, make_sessionmaker, session_scope, utcnow
from app.demo import commands as demo_commands
from app.errors import DomainError


def _run_in_session(work: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
    async def runner() -> Any:
        engine = make_engine(get_settings().database_url)
        try:
            async with session_scope(make_sessionmaker(engine)) as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(runner())


def cmd_db_upgrade(args: argparse.Namespace) -> None:
    from app import migrate

    migrate.upgrade(get_settings().database_url, args.revision)


def cmd_db_downgrade(args: argparse.Namespace) -> None:
    from app import migrate

    migrate.downgrade(get_settings().database_url, args.revision)


def cmd_users_create(args: argparse.Namespace) -> None:
    from app.auth.admin import create_user
    from app.models import Role

    if not args.password_stdin:
        sys.exit("use --password-stdin and pipe the password in (it must not appear in shell history)")
    password = sys.stdin.readline().rstrip("\n")
    org = args.org or "LY"

    async def work(session: AsyncSession) -> None:
        user = await create_user(session, args.username, Role(args.role), org, password)
        print(f"created user {user.username} ({user.role}) in {org}; must change the password at login")

    _run_in_session(work)


def cmd_clients_create(args: argparse.Namespace) -> None:
    from app.auth.admin import create_client

    scopes = [s for s in (args.scopes or "feed:read,case:write").split(",") if s]

    async def work(session: AsyncSession) -> None:
        issued = await create_client(session, args.name, args.org, scopes, utcnow())
        print(f"client {issued.client.name} bound to {args.org}, scopes {','.join(issued.client.scopes)}")
        print("API key (shown once; store it now):")
        print(issued.key)

    _run_in_session(work)


def cmd_clients_list(args: argparse.Namespace) -> None:
    from app.auth.admin import list_clients

    async def work(session: AsyncSession) -> None:
        now = utcnow()
        for client, org, keys in await list_clients(session):
            state = "revoked" if client.revoked_at else "active"
            live = [
                k.prefix + (f" (expires {k.expires_at:%Y-%m-%d %H:%M}Z)" if k.expires_at else "")
                for k in keys
                if k.revoked_at is None and (k.expires_at is None or k.expires_at > now)
            ]
            print(
                f"{client.name:20} {org.code:10} {state:8} {','.join(client.scopes):22} "
                f"keys: {', '.join(live)}"
            )

    _run_in_session(work)


def cmd_clients_revoke(args: argparse.Namespace) -> None:
    from app.auth.admin import revoke_client

    _run_in_session(lambda s: revoke_client(s, args.name, utcnow()))
    print(f"revoked {args.name}")


def cmd_clients_rotate(args: argparse.Namespace) -> None:
    from app.auth.admin import rotate_client_key

    hours = (
        args.overlap_hours
        if args.overlap_hours is not None
        else get_settings().api_key_rotation_overlap_hours
    )

    async def work(session: AsyncSession) -> None:
        issued = await rotate_client_key(session, args.name, timedelta(hours=hours), utcnow())
        print(f"new key for {args.name} (old keys stay valid for {hours} h):")
        print(issued.key)

    _run_in_session(work)


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from app.logging_config import logging_config
    from app.metrics.multiproc import prepare_directory

    settings = get_settings()
    prepare_directory(args.workers)  # before the workers start: they inherit PROMETHEUS_MULTIPROC_DIR
    uvicorn.run(
        "app.main:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        # JSON lines for uvicorn's own messages too, in the supervisor and in each worker.
        log_config=logging_config(settings.log_level),
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )


def openapi_document() -> dict[str, Any]:
    from app.main import create_app

    return create_app().openapi()


def cmd_openapi(args: argparse.Namespace) -> None:
    text = json.dumps(openapi_document(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if args.out == "-":
        sys.stdout.write(text)
    else:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")


def cmd_sla_sweep(args: argparse.Namespace) -> None:
    from app.sla.sweep import sweep

    async def work(session: AsyncSession) -> None:
        # The notifications listen to the sweep (installed with the subscribers in main()).
        result = await sweep(session, utcnow())
        if not result.ran:
            print("another sweep is running; skipped")
            return
        print(
            f"breaches recorded: {result.breaches_recorded}; "
            f"deadlines recomputed: {result.deadlines_recomputed}"
        )

    _run_in_session(work)


def cmd_purge(args: argparse.Namespace) -> None:
    from app.housekeeping import purge_expired

    async def work() -> None:
        engine = make_engine(get_settings().database_url)
        try:
            purged = await purge_expired(make_sessionmaker(engine), utcnow())
        finally:
            await engine.dispose()
        print(f"expired Idempotency-Keys deleted: {purged.idempotency_keys}; tokens: {purged.auth_tokens}")

    asyncio.run(work())


def cmd_calendar_load(args: argparse.Namespace) -> None:
    import yaml
    from pydantic import ValidationError

    from app.calendar.schedule_format import YearScheduleIn
    from app.calendar.service import store_year
    from app.sla.sweep import recompute_open_deadlines

    try:
        schedule = YearScheduleIn.model_validate(yaml.safe_load(Path(args.file).read_text(encoding="utf-8")))
    except ValidationError as exc:
        sys.exit(f"error: {args.file} is not a valid schedule:\n{exc}")

    async def work(session: AsyncSession) -> None:
        now = utcnow()
        calendar = await store_year(session, schedule, None, now)
        changed = await recompute_open_deadlines(session, calendar, now)
        print(f"loaded {schedule.year} ({calendar.version}); open deadlines recomputed: {changed}")

    _run_in_session(work)


def cmd_court_pull(args: argparse.Namespace) -> None:
    import httpx

    from app.feed.client import FeedError, Puller, plain_http_warning, read_key

    try:
        key, warnings = read_key(args.key_file, args.key, os.environ)
    except (FeedError, OSError) as exc:
        sys.exit(f"error: {exc}")
    for warning in [*warnings, plain_http_warning(args.url)]:
        if warning:
            print(warning, file=sys.stderr)

    async def run() -> int:
        async with httpx.AsyncClient(base_url=args.url) as client:
            puller = Puller(
                client,
                key,
                Path(args.state),
                Path(args.out),
                limit=args.limit,
                wait=args.wait,
                min_interval=args.min_interval,
                log=lambda line: print(line, file=sys.stderr),
            )
            return await puller.run(once=args.once)

    try:
        print(f"events written: {asyncio.run(run())}")
    except FeedError as exc:
        sys.exit(f"error: {exc}")
    except KeyboardInterrupt:
        print("stopped; the next run resumes from the saved cursor")


def cmd_keys_generate(args: argparse.Namespace) -> None:
    from app.pii.crypto import generate_key

    print(f"JIEFEN_ENCRYPTION_KEY={generate_key()}")
    print(f"JIEFEN_BLIND_INDEX_KEY={generate_key()}")


def cmd_cases_import(args: argparse.Namespace) -> None:
    """History from the old system (reporting, #15): all rows or none; every error with row and column."""
    from app.context import AppContext
    from app.reporting.history import import_history
    from app.reporting.history_rows import FileRejected, read_table
    from app.web.labels import IMPORT_VOCABULARY

    path = Path(args.file)
    try:
        table = read_table(path.read_bytes(), path.name)
    except FileRejected as exc:
        sys.exit("\n".join(f"row {e.row}, {e.column or '-'}: {e.code}: {e.message}" for e in exc.errors))

    async def run() -> Any:
        ctx = AppContext.from_settings(get_settings())
        try:
            async with session_scope(ctx.sessionmaker) as session:
                return await import_history(
                    session, ctx, table, IMPORT_VOCABULARY, user_id=None, now=utcnow(), dry_run=args.dry_run
                )
        finally:
            await ctx.close()

    result = asyncio.run(run())
    for e in result.errors:
        print(f"row {e.row}, {e.column or '-'}: {e.code}: {e.message}", file=sys.stderr)
    verb = "would import" if args.dry_run else "imported"
    print(f"rows: {result.rows}; {verb}: {result.imported}; already imported, skipped: {result.skipped}")
    if result.errors:
        sys.exit(f"{len(result.errors)} error(s); nothing was stored")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jiefen", description="Jiefen 解纷: dispute-mediation case routing")
    sub = parser.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    p = db.add_parser("upgrade", help="apply migrations")
    p.add_argument("revision", nargs="?", default="head")
    p.set_defaults(func=cmd_db_upgrade)
    p = db.add_parser("downgrade", help="revert migrations")
    p.add_argument("revision")
    p.set_defaults(func=cmd_db_downgrade)

    seed = sub.add_parser("seed", help="load data").add_subparsers(dest="seed_command", required=True)
    demo_commands.add_arguments(
        seed.add_parser("demo", help="the Liyang tree, demo accounts for every acting organization, history")
    )

    users = sub.add_parser("users", help="people").add_subparsers(dest="users_command", required=True)
    p = users.add_parser("create", help="create a user")
    p.add_argument("username")
    p.add_argument("--role", required=True, choices=["mediator", "supervisor", "admin"])
    p.add_argument("--org", help="organization code (default: the city bureau)")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.set_defaults(func=cmd_users_create)
    from app.auth.commands import register as register_user_commands

    register_user_commands(users, _run_in_session)

    clients = sub.add_parser("clients", help="machine clients").add_subparsers(
        dest="clients_command", required=True
    )
    p = clients.add_parser("create", help="create a client and print its key once")
    p.add_argument("name")
    p.add_argument("--org", required=True, help="organization code, e.g. LY-COURT")
    p.add_argument("--scopes", help="comma-separated: feed:read,case:write")
    p.set_defaults(func=cmd_clients_create)
    clients.add_parser("list", help="list clients and their live key prefixes").set_defaults(
        func=cmd_clients_list
    )
    p = clients.add_parser("revoke", help="revoke a client and all its keys")
    p.add_argument("name")
    p.set_defaults(func=cmd_clients_revoke)
    p = clients.add_parser("rotate", help="issue a new key; old keys expire after the overlap")
    p.add_argument("name")
    p.add_argument("--overlap-hours", type=float)
    p.set_defaults(func=cmd_clients_rotate)

    p = sub.add_parser("serve", help="run the HTTP service")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("openapi", help="write the OpenAPI document")
    p.add_argument("--out", default=str(PROJECT_ROOT / "openapi" / "openapi.json"))
    p.set_defaults(func=cmd_openapi)

    sla = sub.add_parser("sla", help="deadline clocks").add_subparsers(dest="sla_command", required=True)
    sla.add_parser("sweep", help="record breaches of clocks past due (idempotent)").set_defaults(
        func=cmd_sla_sweep
    )
    from app.sla.commands import register_sla_rule_commands

    register_sla_rule_commands(sla, _run_in_session)

    purge = sub.add_parser("purge", help="delete expired Idempotency-Keys and login tokens (idempotent)")
    purge.set_defaults(func=cmd_purge)

    cal = sub.add_parser("calendar", help="the official calendar").add_subparsers(
        dest="cal_command", required=True
    )
    p = cal.add_parser("load", help="load a year's schedule (JSON or YAML) and recompute open deadlines")
    p.add_argument("file")
    p.set_defaults(func=cmd_calendar_load)

    court = sub.add_parser("court", help="the court sub-center's reference client").add_subparsers(
        dest="court_command", required=True
    )
    p = court.add_parser("pull", help="pull the feed into a JSON Lines file, resumably, each event once")
    p.add_argument("--url", required=True, help="e.g. https://jiefen.example.cn")
    p.add_argument("--key-file", help="file holding the API key (or set JIEFEN_API_KEY)")
    p.add_argument("--key", help="deprecated: the command line is visible in ps; use --key-file")
    p.add_argument("--state", required=True, help="state file (cursor and output size)")
    p.add_argument("--out", required=True, help="JSON Lines output, appended")
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--wait", type=int, default=20, help="long-poll seconds")
    p.add_argument("--min-interval", type=float, default=1.0, help="least seconds between polls")
    p.add_argument("--once", action="store_true", help="stop when caught up")
    p.set_defaults(func=cmd_court_pull)

    cases = sub.add_parser("cases", help="cases").add_subparsers(dest="cases_command", required=True)
    p = cases.add_parser("import", help="import past years' cases from a .csv or .xlsx (all or nothing)")
    p.add_argument("file")
    p.add_argument("--dry-run", action="store_true", help="check every row, store nothing")
    p.set_defaults(func=cmd_cases_import)

    keys = sub.add_parser("keys", help="secrets").add_subparsers(dest="keys_command", required=True)
    keys.add_parser("generate", help="print new encryption and blind-index keys").set_defaults(
        func=cmd_keys_generate
    )

    from app.notifications import commands as notification_commands

    notification_commands.add_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> None:
    from app import subscribers

    args = build_parser().parse_args(argv)
    try:
        settings = get_settings()
    except ConfigurationError:
        # A command that needs the settings says so in its own words; one that refuses first (seed demo in
        # production) must still be able to.
        settings = None
    if settings is not None:
        subscribers.install(settings)
    try:
        args.func(args)
    except DomainError as exc:
        sys.exit(f"error: {exc.detail}")


if __name__ == "__main__":
    main()
