"""When a case may be urged, and an urge's status. Pure: ``now``, the calendar and the facts are arguments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from app.calendar.workdays import SHANGHAI, WorkCalendar
from app.models import CaseStatus, UrgeStatus

OPEN_STATES = frozenset({CaseStatus.PENDING_DISPATCH, CaseStatus.DISPATCHED, CaseStatus.IN_MEDIATION})


# A mediation clock runs for weeks: it is at risk within this many days of its due time (as GET /sla/at-risk).
MEDIATION_AT_RISK_DAYS = 5


def at_risk_horizon(kind: str, now: datetime, calendar: WorkCalendar) -> datetime:
    """A running clock is at risk when it falls due before this instant (Asia/Shanghai), as
    ``GET /sla/at-risk`` lists them: dispatch and acceptance by the end of the next working day, mediation
    within five days."""
    today = now.astimezone(SHANGHAI).date()
    if kind == "mediation":
        return datetime.combine(today + timedelta(days=MEDIATION_AT_RISK_DAYS + 1), time(0), SHANGHAI)
    next_working_day, _ = calendar.add_working_days(today, 1)
    return datetime.combine(next_working_day + timedelta(days=1), time(0), SHANGHAI)


@dataclass(frozen=True)
class RunningClock:
    """What the urge rule reads of a case's running clock (an ``SlaClock`` not stopped)."""

    kind: str  # dispatch | acceptance | mediation
    due_at: datetime
    breached: bool  # a breach is recorded for it


def urgeable_clock(
    status: str, clocks: list[RunningClock], now: datetime, horizons: dict[str, datetime]
) -> str | None:
    """The clock that makes the case urgeable, or None: a 督办 is for a case whose running clock is breached
    or at risk (due before its kind's horizon), never a routine one. A breached clock wins over one only at
    risk."""
    if status not in OPEN_STATES:
        return None
    late = [c for c in clocks if c.breached or c.due_at <= now]
    if late:
        return min(late, key=lambda c: c.due_at).kind
    risky = [c for c in clocks if c.due_at <= horizons[c.kind]]
    return min(risky, key=lambda c: c.due_at).kind if risky else None


def urge_status(answered_at: datetime | None, report_back_by: date | None, now: datetime) -> UrgeStatus:
    if answered_at is not None:
        return UrgeStatus.ANSWERED
    if report_back_by is not None and report_back_by < now.astimezone(SHANGHAI).date():
        return UrgeStatus.OVERDUE
    return UrgeStatus.OPEN


# What a person reads (the pages and the API's *_label fields); app.web.labels re-exports them.
URGE_STATUS_LABELS: dict[str, str] = {"open": "待答复", "answered": "已答复", "overdue": "逾期未答复"}
CLOCK_LABELS: dict[str, str] = {"dispatch": "分派期限", "acceptance": "受理期限", "mediation": "调解期限"}
