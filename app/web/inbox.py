"""The receiving organization's inbox (/m/): tabs with counts, search, filters and keyset pages.

Every query is the API's scope (``case_scope``) AND a tab's condition, so a tab never shows a case the
person may not open. Search is exact and index-backed: a case number, a party's exact name, or an ID
number through its blind index (the number is hashed like at intake, never compared decrypted).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.auth.scope import case_scope
from app.calendar.workdays import SHANGHAI
from app.cases.presenter import present_cases
from app.models import Case, CaseStatus, ClockKind, Party, Role, SlaClock
from app.pagination import CASES, Keyset
from app.pii.contexts import ID_CONTEXT
from app.pii.crypto import BlindIndex
from app.web import labels

PAGE_SIZE = 20
INBOX = Keyset("m-inbox", CASES.parsers)  # (received_at, id), newest first
REFERENCE = re.compile(r"^[A-Z]{2,8}-[0-9]{4}-[0-9]{6}$")
ID_NUMBER = re.compile(r"^[0-9]{17}[0-9X]$")
TABS = tuple(labels.TAB_LABELS)


@dataclass(frozen=True)
class InboxQuery:
    tab: str | None = None
    q: str = ""
    status: str = ""
    category: str = ""
    cursor: str | None = None


@dataclass
class Inbox:
    tab: str | None
    tabs: list[tuple[str, str, int]]  # (code, label, count)
    cards: list[dict[str, Any]] = field(default_factory=list)
    next_cursor: str | None = None


def _tab_condition(principal: Principal, tab: str) -> ColumnElement[bool]:
    """Mediators see their organization's work; supervisors and admins see their scope by state."""
    org = principal.organization_id
    if principal.role == Role.MEDIATOR:
        mine_to_follow_up = and_(Case.status == CaseStatus.RESOLVED, Case.resolved_org_id == org)
        return {
            "incoming": and_(Case.status == CaseStatus.DISPATCHED, Case.current_org_id == org),
            "mediating": and_(Case.status == CaseStatus.IN_MEDIATION, Case.current_org_id == org),
            "follow_up": mine_to_follow_up,
            "registered": Case.intake_org_id == org,
            # What it resolved or registered, finished (its own follow-ups wait in 待回访). Said with
            # the organization's own columns, so that the count needs no scan of every closed case.
            "done": and_(
                Case.status.in_([CaseStatus.RESOLVED, CaseStatus.CLOSED]),
                or_(Case.resolved_org_id == org, Case.intake_org_id == org),
                ~mine_to_follow_up,
            ),
        }[tab]
    return {
        "incoming": Case.status.in_([CaseStatus.PENDING_DISPATCH, CaseStatus.DISPATCHED]),
        "mediating": Case.status == CaseStatus.IN_MEDIATION,
        "follow_up": Case.status == CaseStatus.RESOLVED,
        "registered": Case.intake_org_id == org if principal.role == Role.ADMIN else false(),
        "done": Case.status == CaseStatus.CLOSED,
    }[tab]


def visible_tabs(principal: Principal) -> tuple[str, ...]:
    """我登记的 only for the roles that register cases."""
    if principal.role in (Role.MEDIATOR, Role.ADMIN):
        return TABS
    return tuple(t for t in TABS if t != "registered")


def _search_condition(q: str, blind_index: BlindIndex) -> ColumnElement[bool]:
    text = q.strip()
    upper = text.upper()
    if REFERENCE.match(upper):
        return Case.reference == upper
    if ID_NUMBER.match(upper):
        digest = blind_index.compute(upper, context=ID_CONTEXT)
        return Case.id.in_(select(Party.case_id).where(Party.id_number_bidx == digest))
    return Case.id.in_(select(Party.case_id).where(Party.name == text))


def _filters(query: InboxQuery, blind_index: BlindIndex) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if query.q.strip():
        conditions.append(_search_condition(query.q, blind_index))
    if query.status in labels.STATUS_LABELS:
        conditions.append(Case.status == query.status)
    if query.category:
        conditions.append(Case.category == query.category)
    return conditions


async def _count(session: AsyncSession, *conditions: ColumnElement[bool]) -> int:
    stmt = select(func.count()).select_from(Case).where(*conditions)
    return int((await session.execute(stmt)).scalar_one())


async def load_inbox(
    session: AsyncSession, principal: Principal, query: InboxQuery, blind_index: BlindIndex, key: bytes
) -> Inbox:
    scope = case_scope(principal)
    tabs = visible_tabs(principal)
    counts = {t: await _count(session, scope, _tab_condition(principal, t)) for t in tabs}
    searching = bool(query.q.strip())
    # Searching looks through every tab; otherwise the tab asked for, or the first with work in it.
    tab = (
        None
        if searching
        else query.tab
        if query.tab in tabs
        else next((t for t in tabs if counts[t]), tabs[0])
    )
    conditions = [scope, _tab_condition(principal, tab) if tab else true(), *_filters(query, blind_index)]
    if query.cursor:
        at, last_id = INBOX.decode(key, query.cursor)
        conditions.append(or_(Case.received_at < at, and_(Case.received_at == at, Case.id < last_id)))
    stmt = (
        select(Case).where(*conditions).order_by(Case.received_at.desc(), Case.id.desc()).limit(PAGE_SIZE + 1)
    )
    found = list((await session.execute(stmt)).scalars())
    cases, next_cursor = INBOX.page(key, found, PAGE_SIZE, lambda c: (c.received_at.isoformat(), str(c.id)))
    inbox = Inbox(
        tab=tab,
        tabs=[(t, labels.TAB_LABELS[t], counts[t]) for t in tabs],
        next_cursor=next_cursor,
    )
    clocks = await running_clocks(session, [c.id for c in cases])
    now = datetime.now(SHANGHAI)
    inbox.cards = [card(c.model_dump(), clocks.get(c.id), now) for c in await present_cases(session, cases)]
    return inbox


async def running_clocks(session: AsyncSession, case_ids: list[uuid.UUID]) -> dict[uuid.UUID, SlaClock]:
    """Each case's running clock (at most one: dispatch, then acceptance, then mediation)."""
    if not case_ids:
        return {}
    rows = await session.execute(
        select(SlaClock).where(SlaClock.case_id.in_(case_ids), SlaClock.stopped_at.is_(None))
    )
    return {clock.case_id: clock for clock in rows.scalars()}


def place_name(org: dict[str, Any] | None) -> str:
    """The place, not the committee: 八字桥社区, not 八字桥社区人民调解委员会."""
    if not org:
        return ""
    return str(org["name"]).removesuffix("人民调解委员会")


def _days_since(value: datetime | None, now: datetime) -> int | None:
    if value is None:
        return None
    if value.tzinfo is None:  # stored as UTC
        value = value.replace(tzinfo=UTC)
    return (now.astimezone(SHANGHAI).date() - value.astimezone(SHANGHAI).date()).days


def clock_line(case: dict[str, Any], clock: SlaClock | None, now: datetime) -> str:
    """The one clock that matters now, as a card says it: the running one (the 分派期限 only while the case
    waits for dispatch), or what the case is waiting for once no clock runs."""
    provisional = "（暂定）" if clock is not None and clock.due_provisional else ""
    if clock is not None and clock.kind == ClockKind.MEDIATION:
        days = _days_since(clock.started_at, now)
        since = f"调解已 {days} 天" if days else "今日受理"
        return f"{since} · 调解期限 {labels.local_time(clock.due_at)}{provisional}"
    if clock is not None:
        return f"{labels.clock_label(clock.kind)} {labels.local_time(clock.due_at)}{provisional}"
    status = case["status"]
    if status == CaseStatus.PENDING_DISPATCH:
        return "待分派"
    if status == CaseStatus.RESOLVED:
        due = case.get("judicial_confirmation_due_on")
        if case.get("outcome") == "settled" and due:
            return f"待回访 · 司法确认期限 {due:%Y-%m-%d}"
        return f"{labels.case_status_label(case)}，待回访"
    return labels.case_status_label(case)


def clock_mark(clock: SlaClock | None, now: datetime) -> str | None:
    """已超期 / 即将超期 for the running clock only: it disappears when that clock stops."""
    if clock is None:
        return None
    due = clock.due_at if clock.due_at.tzinfo else clock.due_at.replace(tzinfo=UTC)
    if clock.breached_at is not None or now > due:
        return "late"
    if due - now <= labels.AT_RISK_WINDOW:
        return "at_risk"
    return None


def card(case: dict[str, Any], clock: SlaClock | None = None, now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(SHANGHAI)
    applicants = "、".join(p["name"] for p in case["parties"] if p["role"] == "applicant")
    respondents = "、".join(p["name"] for p in case["parties"] if p["role"] == "respondent")
    return {
        "id": case["id"],
        "reference": case["reference"],
        "category": labels.category_label(case["category"]),
        "names": f"{applicants} 与 {respondents}",
        "place": " ".join(filter(None, [place_name(case["town"]), place_name(case.get("village"))])),
        "status": labels.case_status_label(case),
        "clock": clock_line(case, clock, now),
        "sla": clock_mark(clock, now),
    }


def parse_case_id(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
