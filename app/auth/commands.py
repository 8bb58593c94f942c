"""``jiefen users list | reset-password | disable | enable | unlock`` (``users create`` is in app.cli).

Registered from app.cli, which passes in how to run work in one committed session.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import users
from app.db import utcnow
from app.models import Role

RunInSession = Callable[[Callable[[AsyncSession], Awaitable[Any]]], Any]


def _list(run: RunInSession, args: argparse.Namespace) -> None:
    filters = users.UserFilters(Role(args.role) if args.role else None, args.org)

    async def work(session: AsyncSession) -> list[users.Account]:
        return await users.list_accounts(session, filters, None, 100_000)

    found = run(work)
    print(f"{'username':16} {'role':10} {'organization':16} state")
    for a in found:
        state = "active" if a.user.active else "disabled"
        if a.user.password_change_required:
            state += ", must change password"
        print(
            f"{a.user.username:16} {a.user.role:10} {a.organization.code:16} {state}  {a.organization.name}"
        )


def _reset_password(run: RunInSession, args: argparse.Namespace) -> None:
    found, password = run(lambda s: users.reset_password(s, args.username, utcnow()))
    print(f"new one-time password for {found.user.username} (shown only now; to be changed at next login):")
    print(password)


def _disable(run: RunInSession, args: argparse.Namespace) -> None:
    run(lambda s: users.disable(s, args.username, utcnow()))
    print(f"disabled {args.username}; their sessions have ended")


def _enable(run: RunInSession, args: argparse.Namespace) -> None:
    run(lambda s: users.enable(s, args.username))
    print(f"enabled {args.username}")


def _unlock(run: RunInSession, args: argparse.Namespace) -> None:
    forgotten = run(lambda s: users.unlock(s, args.username))
    print(f"unlocked {args.username}: {forgotten} failed login(s) forgotten")


def register(users_parser: Any, run: RunInSession) -> None:
    """Add the commands to the ``users`` sub-command parser (argparse's private _SubParsersAction)."""

    def bind(
        handler: Callable[[RunInSession, argparse.Namespace], None],
    ) -> Callable[[argparse.Namespace], None]:
        return lambda args: handler(run, args)

    p = users_parser.add_parser("list", help="list people, their organization and state")
    p.add_argument("--role", choices=["mediator", "supervisor", "admin"])
    p.add_argument("--org", help="organization code")
    p.set_defaults(func=bind(_list))
    for name, handler, help_text in (
        ("reset-password", _reset_password, "print a new one-time password once; to be changed at login"),
        ("disable", _disable, "refuse the person's logins and end their sessions"),
        ("enable", _enable, "allow the person's logins again"),
        ("unlock", _unlock, "clear the login throttle for the account"),
    ):
        p = users_parser.add_parser(name, help=help_text)
        p.add_argument("username")
        p.set_defaults(func=bind(handler))
