"""``jiefen sla rules show`` and ``jiefen sla rules load FILE`` (YAML or JSON: ``{rules: [...], note}``)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.db import utcnow
from app.sla import rule_store
from app.sla.rules import RuleError, parse_rules

RunInSession = Callable[[Callable[[AsyncSession], Awaitable[Any]]], Any]


def register_sla_rule_commands(sla: Any, run: RunInSession) -> None:
    rules = sla.add_parser("rules", help="the clock rules (versioned)").add_subparsers(
        dest="rules_command", required=True
    )
    rules.add_parser("show", help="print the rules in force as JSON").set_defaults(
        func=lambda args: show(run)
    )
    p = rules.add_parser("load", help="store a rules file as the next version")
    p.add_argument("file")
    p.set_defaults(func=lambda args: load(run, args))


def show(run: RunInSession) -> None:
    async def work(session: AsyncSession) -> None:
        current = await rule_store.rules_in_force(session, fresh=True)
        body = {"version": current.version, **rule_store.document(current.rules)}
        print(json.dumps(body, ensure_ascii=False, indent=2))

    run(work)


def load(run: RunInSession, args: argparse.Namespace) -> None:
    import yaml

    raw = yaml.safe_load(Path(args.file).read_text(encoding="utf-8"))
    if not isinstance(raw, dict) or not isinstance(raw.get("rules"), list):
        sys.exit(f"error: {args.file} needs a top-level 'rules' list")
    try:
        rules = parse_rules(raw["rules"])
    except RuleError as exc:
        sys.exit(f"error: rule {exc.index}, {exc.field or 'rule'}: {exc.message} ({exc.code})")

    async def work(session: AsyncSession) -> None:
        row = await rule_store.save_rules(session, rules, None, raw.get("note"), utcnow())
        print(f"clock rules version {row.version} stored ({len(rules)} rules)")

    run(work)
