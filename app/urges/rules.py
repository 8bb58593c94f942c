"""When a case may be urged, and an urge's status. Pure: ``now``, the calendar and the facts are arguments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from app.calendar.workdays import SHANGHAI, WorkCalendar
from app.models import CaseStatus, UrgeStatus

OPEN_STATES = frozenset({CaseStatus.PENDING_DISPATCH, CaseStatus.DISPATCHED, CaseStatus.IN_MEDIATION})


def at_risk_horizon(now: datetime, calendar: WorkCalendar) -> datetime:
    """A clock is at risk when it falls due before the end of the next working day (Asia/Shanghai), as
    ``GET /sla/at-risk`` lists them."""
    today = now.astimezone(SHANGHAI).date()
    next_working_day, _ = calendar.add_working_days(today, 1)
    return datetime.combine(next_working_day + timedelta(days=1), time(0), SHANGHAI)


@dataclass(frozen=True)
class ClockFacts:
    """What the urge rule reads of a case's clocks."""

    status: str
    dispatch_due_at: datetime | None
    open_breach: bool  # a breach recorded for the running clock and not yet closed
    holding_was_late: bool  # the current holding began with a late dispatch (its clock was breached)


def urgeable_clock(facts: ClockFacts, now: datetime, horizon: datetime) -> str | None:
    """The clock that makes the case urgeable, or None: a 督办 is for a case whose clock is at risk or
    breached, never a routine one.

    Today the dispatch clock: waiting for dispatch and due before ``horizon`` (or already breached), or
    held by an organization it reached late. The acceptance and mediation clocks of issue #13 join here.
    """
    if facts.status not in OPEN_STATES:
        return None
    if facts.status == CaseStatus.PENDING_DISPATCH:
        due = facts.dispatch_due_at
        if facts.open_breach or (due is not None and due <= horizon):
            return "dispatch"
        return None
    return "dispatch" if facts.holding_was_late else None


def urge_status(answered_at: datetime | None, report_back_by: date | None, now: datetime) -> UrgeStatus:
    if answered_at is not None:
        return UrgeStatus.ANSWERED
    if report_back_by is not None and report_back_by < now.astimezone(SHANGHAI).date():
        return UrgeStatus.OVERDUE
    return UrgeStatus.OPEN


# What a person reads (the pages and the API's *_label fields); app.web.labels re-exports them.
URGE_STATUS_LABELS: dict[str, str] = {"open": "待答复", "answered": "已答复", "overdue": "逾期未答复"}
CLOCK_LABELS: dict[str, str] = {"dispatch": "分派期限", "acceptance": "受理期限", "mediation": "调解期限"}
