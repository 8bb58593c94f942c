"""The clock rules in force: versioned rule sets, never edited in place (a save adds a version).

Which version is in force is read at most every ``CACHE_SECONDS`` per process and database (a clock starts
on most lifecycle actions; the rules change a few times a year). The replica that saves a version forgets its
cache at once; others apply it within ``CACHE_SECONDS``. A rule change applies to clocks started after it:
each clock keeps the version, length and unit it started under.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.calendar.service import CACHE_SECONDS
from app.db import PerEngine
from app.models import SlaClockRuleSet
from app.sla.rules import DEFAULT_RULES, ClockRule, ClockRules, parse_rules

_cache: PerEngine[str, tuple[float, ClockRules]] = PerEngine()


def document(rules: tuple[ClockRule, ...]) -> dict[str, list[dict[str, Any]]]:
    return {"rules": [r.as_dict() for r in rules]}


async def _load(session: AsyncSession) -> ClockRules:
    row = (
        await session.execute(select(SlaClockRuleSet).order_by(SlaClockRuleSet.version.desc()).limit(1))
    ).scalar_one_or_none()
    if row is None:  # a database nobody seeded: the built-in defaults, as version 0
        return ClockRules(0, DEFAULT_RULES)
    return ClockRules(row.version, parse_rules(row.rules["rules"]))


async def rules_in_force(session: AsyncSession, *, fresh: bool = False) -> ClockRules:
    cache = _cache.of(session)
    hit = cache.get("in_force")
    if fresh or hit is None or time.monotonic() - hit[0] > CACHE_SECONDS:
        hit = (time.monotonic(), await _load(session))
        cache["in_force"] = hit
    return hit[1]


async def save_rules(
    session: AsyncSession, rules: tuple[ClockRule, ...], user_id: int | None, note: str | None, now: datetime
) -> SlaClockRuleSet:
    current = await rules_in_force(session, fresh=True)
    row = SlaClockRuleSet(
        version=current.version + 1,
        rules=document(rules),
        note=note,
        created_by_user_id=user_id,
        created_at=now,
    )
    session.add(row)
    await session.flush()  # a concurrent save of the same version fails here on the unique constraint
    _cache.of(session).pop("in_force", None)
    return row


async def history(session: AsyncSession) -> list[SlaClockRuleSet]:
    stmt = select(SlaClockRuleSet).order_by(SlaClockRuleSet.version.desc())
    return list((await session.execute(stmt)).scalars())
