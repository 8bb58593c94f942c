"""``jiefen seed demo``: the Liyang tree, an account for every organization that acts, the credentials
file, and (``--history``, once) a year of cases."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime
from pathlib import Path

from app.config import VAR_DIR, Settings, get_settings
from app.db import session_scope, utcnow
from app.instants import SHANGHAI

CREDENTIALS_FILE = VAR_DIR / "demo-credentials.txt"


def add_arguments(p: argparse.ArgumentParser) -> None:
    from app.demo.plan import DEFAULT_SEED

    p.add_argument("--reset-passwords", action="store_true", help="new passwords for every demo account")
    p.add_argument("--history", action="store_true", help="also a year of demo cases, if none are stored")
    p.add_argument("--cases", type=int, default=2500, help="how many cases the history has (default 2500)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="the history's random seed")
    p.add_argument("--until", type=datetime.fromisoformat, help="the history's end, ISO 8601 (default: now)")
    p.add_argument("--force", action="store_true", help="seed even with JIEFEN_ENV=production")
    p.set_defaults(func=cmd_seed_demo)


def cmd_seed_demo(args: argparse.Namespace) -> None:
    # Settings() before get_settings(): production without keys must get this refusal, not a key error.
    if Settings().env == "production" and not args.force:
        print(
            "error: refusing to seed demo accounts and data with JIEFEN_ENV=production "
            "(they have published names); add --force if this really is a demo installation",
            file=sys.stderr,
        )
        sys.exit(2)
    asyncio.run(seed_demo(get_settings(), args, CREDENTIALS_FILE.resolve()))


async def seed_demo(settings: Settings, args: argparse.Namespace, credentials: Path) -> None:
    from app.context import AppContext
    from app.demo.accounts import seed_accounts
    from app.demo.history import has_cases, write_history
    from app.organizations.demo import load_demo_tree

    ctx = AppContext.from_settings(settings)
    try:
        async with session_scope(ctx.sessionmaker) as session:
            added = await load_demo_tree(session)
            report = await seed_accounts(session, credentials, reset=args.reset_passwords, now=utcnow())
            history_wanted = args.history and not await has_cases(session)
        print(f"organizations: {added} added")
        print(
            f"demo accounts: {len(report.created)} created, {len(report.reset)} given new passwords; "
            f"usernames and passwords are in {credentials} (owner-only); "
            "each account sets its own password at first login"
        )
        if report.unknown_password:
            print(
                f"  {len(report.unknown_password)} existing accounts are not in that file "
                f"({', '.join(report.unknown_password[:5])}…): `jiefen seed demo --reset-passwords` "
                "issues new passwords for all"
            )
        if args.history and not history_wanted:
            print("demo history: the database already has cases; nothing added")
        elif history_wanted:
            end = args.until or utcnow()
            if end.tzinfo is None:
                sys.exit("error: --until needs a UTC offset, e.g. 2026-12-01T18:00+08:00")
            until = f"{end.astimezone(SHANGHAI):%Y-%m-%d %H:%M} +08:00"
            print(f"demo history: writing {args.cases} cases over the year before {until}…")
            history = await write_history(ctx, count=args.cases, seed=args.seed, end=end)
            states = ", ".join(f"{k} {n}" for k, n in sorted(history.by_status.items()))
            print(
                f"demo history: {history.cases} cases in {history.seconds:.1f} s ({states}); "
                f"breaches {history.breaches} ({history.open_breaches} open)"
            )
    finally:
        await ctx.close()
