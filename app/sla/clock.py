"""The dispatch clock: started whenever a case enters pending_dispatch (intake, decline, escalation).

Due = 24:00 Asia/Shanghai of the 3rd working day after the start day (the start day is not counted).
"""

from __future__ import annotations

from datetime import datetime

from app.calendar.workdays import WorkCalendar
from app.models import Case

DISPATCH_WORKING_DAYS = 3


def start_clock(case: Case, now: datetime, calendar: WorkCalendar) -> None:
    due = calendar.due(now, DISPATCH_WORKING_DAYS)
    case.dispatch_clock_started_at = now
    case.dispatch_due_at = due.due_at
    case.dispatch_due_provisional = due.provisional
