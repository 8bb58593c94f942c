"""The working-day morning digest: to each organization and each town justice office with something due
today or the next working day, or breached and still open, counts per clock kind and the top cases.

Working days follow the official calendar in force: none on a holiday, one on a make-up Saturday. Nothing
is sent where there is nothing to say. A day's digest is written once per channel (its dedupe key), so
every replica may run the schedule and a repeated run sends nothing twice. Today it covers the dispatch
clock; the clocks work (#13) adds the acceptance and mediation kinds in :func:`clock_items`.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.calendar.service import calendar_in_force
from app.calendar.workdays import SHANGHAI, WorkCalendar
from app.models import Case, CaseStatus, NoticeKind, Organization, SlaBreach
from app.notifications import messages
from app.notifications.outbox import Queued, case_facts, enqueue_all
from app.notifications.producers import justice_offices

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


def horizon(calendar: WorkCalendar, day: date) -> datetime:
    """The end of the next working day after ``day`` (24:00 Shanghai)."""
    next_day, _ = calendar.add_working_days(day, 1)
    return datetime.combine(next_day + timedelta(days=1), time(0), tzinfo=SHANGHAI)


async def clock_items(session: AsyncSession, now: datetime, until: datetime) -> list[ClockItem]:
    """Dispatch clocks due in (now, until], and breached clocks still open."""
    due = await session.execute(
        select(Case.id, Case.routing_org_id, Case.town_org_id, Case.dispatch_due_at).where(
            Case.status == CaseStatus.PENDING_DISPATCH,
            Case.dispatch_due_at > now,
            Case.dispatch_due_at <= until,
        )
    )
    items = [ClockItem("dispatch", cid, org, town, at, False) for cid, org, town, at in due.all() if at]
    breached = await session.execute(
        select(SlaBreach.case_id, SlaBreach.organization_id, SlaBreach.town_org_id, SlaBreach.due_at).where(
            SlaBreach.closed_at.is_(None)
        )
    )
    items += [ClockItem("dispatch", cid, org, town, at, True) for cid, org, town, at in breached.all()]
    return items


async def run_digest(
    session: AsyncSession, now: datetime, base_url: str, *, force: bool = False
) -> DigestRun:
    calendar = await calendar_in_force(session)
    day = now.astimezone(SHANGHAI).date()
    working = calendar.is_working_day(day)
    if not working and not force:
        return DigestRun(day, False, 0, 0)
    items = await clock_items(session, now, horizon(calendar, day))
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
