"""Recording a 督办 and answering it. Both are audit events on the case (``case.urged``,
``case.urge_answered``) written through ``app.cases.transitions.record`` without bumping the case's version:
the holder's page stays valid.

Whatever else must follow a 督办 (the notification to the holder, issue #16) derives from those two audit
events where every event is written (``app.cases.events.write_events``), or is added at the end of
:func:`create_urge` and :func:`answer_urge`, the only two places a 督办 changes.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.auth.scope import case_scope
from app.calendar.service import calendar_in_force
from app.calendar.workdays import SHANGHAI
from app.cases import repository as case_repo
from app.cases.transitions import Actor, Loaded, flush, record
from app.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from app.models import Assignment, Urge
from app.urges import repository as repo
from app.urges.rules import CLOCK_LABELS, at_risk_horizon, urgeable_clock

URGED = "case.urged"
URGE_ANSWERED = "case.urge_answered"


async def _load(session: AsyncSession, principal: Principal, case_id: uuid.UUID) -> Loaded:
    """The case locked, without a version check: a 督办 changes nothing its holder's page shows."""
    case = await case_repo.get_case_for_update(session, case_id, case_scope(principal))
    if case is None:
        raise NotFound("No such case.", code="case.not_found")
    assignment = (
        await session.execute(
            select(Assignment).where(Assignment.case_id == case.id, Assignment.ended_at.is_(None))
        )
    ).scalar_one_or_none()
    return Loaded(case, assignment)


async def create_urge(
    session: AsyncSession,
    principal: Principal,
    case_id: uuid.UUID,
    note: str,
    report_back_by: date | None,
    now: datetime,
) -> Urge:
    """A supervisor in scope urges the case's holder. Only a case whose clock is at risk or breached (409
    ``urge.not_due`` otherwise); never the supervisor's own office (409 ``urge.own_organization``)."""
    if report_back_by is not None and report_back_by < now.astimezone(SHANGHAI).date():
        raise ValidationFailed(
            [FieldError("report_back_by", "urge.report_back_past", "The report-back day is in the past.")]
        )
    loaded = await _load(session, principal, case_id)
    case = loaded.case
    calendar = await calendar_in_force(session)
    horizons = {kind: at_risk_horizon(kind, now, calendar) for kind in CLOCK_LABELS}
    clock = urgeable_clock(case.status, await repo.running_clocks(session, case.id), now, horizons)
    if clock is None:
        raise Conflict("No clock of this case is at risk or breached.", code="urge.not_due")
    holder = case.current_org_id or await repo.justice_office_of(session, case.town_org_id)
    if holder is None:
        raise Conflict("Nobody holds this case to answer a 督办.", code="urge.no_holder")
    if holder == principal.organization_id:
        raise Conflict("The case is your own organization's to act on.", code="urge.own_organization")
    urge = Urge(
        case_id=case.id,
        clock=clock,
        holder_org_id=holder,
        town_org_id=case.town_org_id,
        note=note,
        report_back_by=report_back_by,
        created_at=now,
        created_by_user_id=principal.user_id,
        created_by_org_id=principal.organization_id,
    )
    session.add(urge)
    await session.flush()
    data = {"urge_id": urge.id, "clock": clock, "holder_org_id": holder}
    if report_back_by is not None:
        data["report_back_by"] = report_back_by.isoformat()
    record(loaded, URGED, Actor.of(principal), now, reason=note, data=data, bump_version=False)
    await flush(session, loaded)
    return urge


async def answer_urge(
    session: AsyncSession, principal: Principal, urge_id: int, note: str, now: datetime
) -> Urge:
    """The holding organization answers; the answer closes the 督办 (409 ``urge.answered`` a second time)."""
    urge = await repo.get_for_update(session, urge_id, principal)
    if urge is None:
        raise NotFound("No such 督办.", code="urge.not_found")
    if urge.holder_org_id != principal.organization_id:
        raise Forbidden(
            "Only the organization the 督办 is addressed to answers it.", code="action_not_permitted"
        )
    if urge.answered_at is not None:
        raise Conflict("This 督办 has been answered.", code="urge.answered")
    loaded = await _load(session, principal, urge.case_id)
    urge.answered_at = now
    urge.answer_note = note
    urge.answered_by_user_id = principal.user_id
    # Whom the answer goes back to: the office that raised the 督办 (the notifications read it from here).
    data = {"urge_id": urge.id, "clock": urge.clock, "supervisor_org_id": urge.created_by_org_id}
    record(loaded, URGE_ANSWERED, Actor.of(principal), now, reason=note, data=data, bump_version=False)
    await flush(session, loaded)
    return urge
