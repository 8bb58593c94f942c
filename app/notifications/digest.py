"""The working-day morning digest: to each organization and each town justice office with something due
today or the next working day, or breached and still open, counts per clock kind and the top cases.

Working days follow the official calendar in force: none on a holiday, one on a make-up Saturday. Nothing
is sent where there is nothing to say. A day's digest is written once per channel (its dedupe key), so
every replica may run the schedule and a repeated run sends nothing twice. Every clock kind is covered, each
with its own at-risk window (app.sla.rules.at_risk_until: dispatch and acceptance due today or the next
working day, mediation within 5 days).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.calendar.service import calendar_in_force
from app.calendar.workdays import SHANGHAI, WorkCalendar
from app.models import ClockKind, NoticeKind, Organization, SlaClock
from app.notifications import messages
from app.notifications.outbox import Queued, case_facts, enqueue_all
from app.notifications.producers import justice_offices
from app.sla.rules import at_risk_until

TOP_CASES = 10


@dataclass(frozen=True)
class ClockItem:
    """A running clock the digest names: due soon, or breached and still open."""

    kind: str  # dispatch | acceptance | mediation
    case_id: uuid.UUID
    organization_id: int | None  # who holds (or is routed) the case
    town_id: int
    due_at: datetime
    breached: bool


@dataclass(frozen=True)
class DigestRun:
    day: date
    working_day: bool
    sent: int  # outbox rows written
    organizations: int  # organizations with something to say


async def clock_items(session: AsyncSession, now: datetime, calendar: WorkCalendar) -> list[ClockItem]:
    """Running clocks at risk (each kind in its own window), and breached clocks still running."""
    running = [SlaClock.stopped_at.is_(None)]
    columns = (
        SlaClock.kind,
        SlaClock.case_id,
        SlaClock.organization_id,
        SlaClock.town_org_id,
        SlaClock.due_at,
    )
    items: list[ClockItem] = []
    for kind in ClockKind:
        due = await session.execute(
            select(*columns).where(
                *running,
                SlaClock.breached_at.is_(None),
                SlaClock.kind == kind,
                SlaClock.due_at > now,
                SlaClock.due_at <= at_risk_until(kind, calendar, now),
            )
        )
        items += [ClockItem(str(k), cid, org, town, at, False) for k, cid, org, town, at in due.all()]
    breached = await session.execute(select(*columns).where(*running, SlaClock.breached_at.is_not(None)))
    items += [ClockItem(str(k), cid, org, town, at, True) for k, cid, org, town, at in breached.all()]
    return items


async def run_digest(
    session: AsyncSession, now: datetime, base_url: str, *, force: bool = False
) -> DigestRun:
    calendar = await calendar_in_force(session)
    day = now.astimezone(SHANGHAI).date()
    working = calendar.is_working_day(day)
    if not working and not force:
        return DigestRun(day, False, 0, 0)
    items = await clock_items(session, now, calendar)
    offices = await justice_offices(session, {i.town_id for i in items})
    by_org: dict[int, list[ClockItem]] = defaultdict(list)
    for item in items:
        for org in {item.organization_id, offices.get(item.town_id)} - {None}:
            assert org is not None
            by_org[org].append(item)
    if not by_org:
        return DigestRun(day, working, 0, 0)
    facts = await case_facts(session, list({i.case_id for i in items}))
    names = await _names(session, set(by_org))
    queued = []
    for org, org_items in sorted(by_org.items()):
        due_counts: dict[str, int] = defaultdict(int)
        breached_counts: dict[str, int] = defaultdict(int)
        for item in org_items:
            (breached_counts if item.breached else due_counts)[item.kind] += 1
        ranked = sorted(org_items, key=lambda i: (not i.breached, i.due_at))[:TOP_CASES]
        top = [replace(facts[i.case_id], due_at=i.due_at, clock=i.kind) for i in ranked if i.case_id in facts]
        notice = messages.digest(
            messages.DigestFacts(names.get(org, ""), day, dict(due_counts), dict(breached_counts), top),
            base_url,
        )
        queued.append(Queued(notice, [org], f"digest:{day.isoformat()}"))
    sent = await enqueue_all(session, queued, NoticeKind.DIGEST, now)
    return DigestRun(day, working, sent, len(by_org))


async def _names(session: AsyncSession, org_ids: set[int]) -> dict[int, str]:
    rows = await session.execute(
        select(Organization.id, Organization.name).where(Organization.id.in_(org_ids))
    )
    return dict(rows.all())


def digest_due(now: datetime, at: str, done_for: date | None) -> bool:
    """Whether the scheduled digest should run at ``now``: past the configured Shanghai time, within two
    hours of it (a replica started at noon does not send a morning digest), and not yet run today here."""
    local = now.astimezone(SHANGHAI)
    hour, minute = (int(p) for p in at.split(":"))
    start = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return done_for != local.date() and start <= local < start + timedelta(hours=2)
