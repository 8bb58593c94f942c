"""What produces notifications: breaches recorded by the sweep, 督办, and judicial-confirmation events (a
subscriber of the case event writer). Each writes its outbox rows in the transaction of its cause.

The breach producer listens to the sweep (app.sla.sweep.on_breaches): it gets each batch of clocks of any
kind (dispatch, acceptance, mediation) that the sweep just marked breached, in the sweep's transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.calendar.workdays import SHANGHAI
from app.cases.events import subscribe
from app.models import Case, NoticeKind, Organization, OrgKind, Urge
from app.notifications import messages
from app.notifications.messages import CaseFacts
from app.notifications.outbox import (
    DELIVERIES,
    DELIVERY_COLUMNS,
    Queued,
    case_facts,
    channels_for,
    delivery_row,
    enqueue,
    enqueue_all,
)
from app.pii.free_text import mask_free_text
from app.sla.sweep import BreachedClock, on_breaches

CONFIRMATION_EVENTS = frozenset({"case.confirmation_requested", "case.confirmation_answered"})
# The 督办's audit events (app.urges.service) and who hears of each: the holder, or the office that urged.
URGE_EVENT_OF = {"case.urged": "urge.created", "case.urge_answered": "urge.answered"}
URGE_RECIPIENT_KEY = {"case.urged": "holder_org_id", "case.urge_answered": "supervisor_org_id"}
URGE_EVENTS = frozenset(messages.URGE_TITLES)


async def justice_offices(session: AsyncSession, town_ids: set[int]) -> dict[int, int]:
    """Each town's justice office (司法所), which supervises the town's deadlines."""
    if not town_ids:
        return {}
    rows = await session.execute(
        select(Organization.town_id, Organization.id).where(
            Organization.kind == OrgKind.JUSTICE_OFFICE,
            Organization.town_id.in_(town_ids),
            Organization.active.is_(True),
        )
    )
    return {town: org for town, org in rows.all() if town is not None}


async def notify_breaches(
    session: AsyncSession, breaches: Sequence[BreachedClock], now: datetime, base_url: str
) -> int:
    """One message per breach just recorded, to the holding (or routed-to) organization and to its town's
    justice office. The sweep records a breach once whichever replica runs it; the dedupe key makes a second
    call for the same breach harmless too."""
    if not breaches:
        return 0
    facts = await case_facts(session, [b.case_id for b in breaches])
    offices = await justice_offices(session, {b.town_org_id for b in breaches})
    items = []
    for b in breaches:
        case = replace(facts[b.case_id], due_at=b.due_at, clock=b.kind)
        recipients = {case.holder_id or b.organization_id, offices.get(b.town_org_id)}
        items.append(Queued(messages.breach(case, base_url), recipients, f"breach:{b.id}"))
    return await enqueue_all(session, items, NoticeKind.BREACH, now)


async def notify_urge(
    session: AsyncSession,
    event: str,
    urge_id: int | str,
    case_id: uuid.UUID,
    recipient_org_id: int,
    supervisor: str,
    note: str,
    reply_due: datetime | None,
    now: datetime,
    base_url: str,
) -> int:
    """A 督办 created or overdue (``recipient_org_id``: the holder) or answered (the supervisor's
    organization). Called by the 督办 service in its transaction; once per (督办, event)."""
    if event not in URGE_EVENTS:
        raise ValueError(f"unknown 督办 event {event}")
    facts = (await case_facts(session, [case_id]))[case_id]
    notice = messages.urge(event, facts, supervisor, mask_free_text(note), base_url, reply_due)
    return await enqueue(session, notice, [recipient_org_id], NoticeKind.URGE, now, f"{event}:{urge_id}")


def event_subscriber(base_url: str) -> Any:
    """The case event writer's subscriber for 督办 and judicial-confirmation events: a message to whoever must
    act, in the event's transaction. Costs nothing for any other event."""

    async def derive(session: AsyncSession, case: Case, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        urges = [e for e in events if e["type"] in URGE_EVENT_OF]
        rows = await _urge_rows(session, case, urges, base_url) if urges else []
        wanted = [e for e in events if e["type"] in CONFIRMATION_EVENTS]
        if not wanted:
            return rows
        channels = await channels_for(
            session, [case.current_org_id or case.resolved_org_id], NoticeKind.CONFIRMATION
        )
        if not channels:
            return []
        facts = (await case_facts(session, [case.id])).get(case.id) or CaseFacts(
            case.id, case.reference, case.category, "", "某"
        )
        for event in wanted:
            data = event.get("data") or {}
            answer = data.get("answer") or data.get("result") or data.get("decision")
            notice = messages.confirmation(
                event["type"], facts, mask_free_text(str(answer)) if answer else None, base_url
            )
            rows += [delivery_row(c, notice, event["occurred_at"], None) for c in channels]
        return rows

    return derive


async def _urge_rows(
    session: AsyncSession, case: Case, events: list[dict[str, Any]], base_url: str
) -> list[dict[str, Any]]:
    """督办 created (to the holder) or answered (to the office that raised it), in the event's transaction;
    once per (督办, event) by the dedupe key."""
    facts = (await case_facts(session, [case.id])).get(case.id) or CaseFacts(
        case.id, case.reference, case.category, "", "某"
    )
    rows = []
    for event in events:
        data = event.get("data") or {}
        recipient = data.get(URGE_RECIPIENT_KEY[event["type"]])
        channels = await channels_for(session, [recipient], NoticeKind.URGE)
        if not channels:
            continue
        actor_org = event.get("actor_org_id")
        supervisor = (
            await session.execute(select(Organization.name).where(Organization.id == actor_org))
        ).scalar_one_or_none() or ""
        report_back = data.get("report_back_by")
        reply_due = (
            datetime.combine(date.fromisoformat(report_back) + timedelta(days=1), time(0), tzinfo=SHANGHAI)
            if report_back
            else None
        )
        kind = URGE_EVENT_OF[event["type"]]
        notice = messages.urge(
            kind, facts, supervisor, mask_free_text(event.get("reason") or ""), base_url, reply_due
        )
        key = f"{kind}:{data.get('urge_id')}"
        rows += [delivery_row(c, notice, event["occurred_at"], key) for c in channels]
    return rows


# A 督办 is announced overdue once, on the first run after its report-back day; looking back a week bounds
# the scan (a replica down for longer than that does not announce the oldest ones).
OVERDUE_LOOKBACK = timedelta(days=7)


async def notify_overdue_urges(session: AsyncSession, now: datetime, base_url: str) -> int:
    """督办 not answered by their report-back day: one message to the holder each (dedupe key per 督办)."""
    today = now.astimezone(SHANGHAI).date()
    overdue = (
        await session.execute(
            select(Urge, Organization.name)
            .join(Organization, Organization.id == Urge.created_by_org_id, isouter=True)
            .where(
                Urge.answered_at.is_(None),
                Urge.report_back_by < today,
                Urge.report_back_by >= today - OVERDUE_LOOKBACK,
            )
        )
    ).all()
    sent = 0
    for urge, supervisor in overdue:
        assert urge.report_back_by is not None
        reply_due = datetime.combine(urge.report_back_by + timedelta(days=1), time(0), tzinfo=SHANGHAI)
        sent += await notify_urge(
            session,
            "urge.overdue",
            urge.id,
            urge.case_id,
            urge.holder_org_id,
            supervisor or "",
            urge.note,
            reply_due,
            now,
            base_url,
        )
    return sent


def register(base_url: str) -> None:
    subscribe("notifications", DELIVERIES, DELIVERY_COLUMNS, event_subscriber(base_url), json=["payload"])

    async def breached(session: AsyncSession, batch: Sequence[BreachedClock], now: datetime) -> int:
        return await notify_breaches(session, batch, now, base_url)

    on_breaches("notifications", breached)
