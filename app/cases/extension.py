"""延期: one extension of a running mediation clock, with both parties' consent (人民调解工作若干规定 第33条).

A case action (``POST /cases/{id}/extend``) by the organization holding the case, while it is in mediation
and before the clock is due. The clock's own rule says whether an extension is allowed and for how many
days; the case keeps its state, and the extension is an audited event (``case.mediation_extended``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.calendar.service import calendar_in_force
from app.cases.lifecycle import Action, allowed_actions, next_status
from app.cases.permissions import require
from app.cases.transitions import Actor, Loaded, record
from app.errors import Conflict, FieldError, ValidationFailed
from app.models import ClockKind
from app.sla.clock import extended_due, running_clock

EXTENDED_EVENT = "case.mediation_extended"


async def extend(
    session: AsyncSession, principal: Principal, loaded: Loaded, reason: str, days: int, now: datetime
) -> None:
    case = loaded.case
    if next_status(Action.EXTEND, case.status) is None:
        raise Conflict(
            f"Cannot extend a case that is {case.status}.",
            code="transition_not_allowed",
            current_status=case.status,
            allowed_actions=[str(a) for a in allowed_actions(case.status)],
        )
    require(Action.EXTEND, principal, loaded.facts, "extend")
    clock = await running_clock(session, case.id)
    if clock is None or clock.kind != ClockKind.MEDIATION:
        raise Conflict("No mediation period is running.", code="extension.no_mediation_clock")
    if clock.extension_max_days == 0:
        raise Conflict(
            "The rule for this mediation period allows no extension.", code="extension.not_allowed"
        )
    if clock.extended_days > 0:
        raise Conflict("The mediation period was already extended once.", code="extension.already_extended")
    if now > clock.due_at:
        raise Conflict("The mediation period has already run out.", code="extension.after_due")
    if not 1 <= days <= clock.extension_max_days:
        raise ValidationFailed(
            [FieldError("days", "extension.days", f"An extension is 1 to {clock.extension_max_days} days.")]
        )
    previous = clock.due_at
    clock.due_at, clock.due_provisional = extended_due(clock, days, await calendar_in_force(session))
    clock.extended_days = days
    record(
        loaded,
        EXTENDED_EVENT,
        Actor.of(principal),
        now,
        reason=reason,
        data={"days": days, "previous_due_at": previous.isoformat(), "due_at": clock.due_at.isoformat()},
    )
