"""Object-level access: which cases a principal may see, where it may send them, and who sees the parties'
full contact data. Every case query is filtered here, in one place.

A case outside the caller's scope is reported as 404, never 403, so its existence is not disclosed.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, false, or_, select, true

from app.auth.principal import Principal
from app.models import Assignment, Case, ConfirmationRequest, OrgKind, Role


def _assigned_to(org_id: int) -> ColumnElement[bool]:
    return exists(
        select(Assignment.id).where(Assignment.case_id == Case.id, Assignment.organization_id == org_id)
    )


def _confirmation_to(org_id: int) -> ColumnElement[bool]:
    return exists(
        select(ConfirmationRequest.id).where(
            ConfirmationRequest.case_id == Case.id, ConfirmationRequest.court_org_id == org_id
        )
    )


def case_scope(principal: Principal) -> ColumnElement[bool]:
    """SQL condition true for the cases ``principal`` may read."""
    match principal.role:
        case Role.ADMIN:
            return true()
        case Role.SUPERVISOR:
            if principal.organization_kind == OrgKind.JUSTICE_BUREAU:
                return true()
            if principal.town_id is None:
                return false()
            return Case.town_org_id == principal.town_id
        case Role.MEDIATOR:
            # Its own submissions, and every case ever assigned to its organization.
            return or_(
                Case.intake_org_id == principal.organization_id, _assigned_to(principal.organization_id)
            )
        case Role.COURT:
            # What was routed to it, and what asks it for judicial confirmation.
            return or_(_assigned_to(principal.organization_id), _confirmation_to(principal.organization_id))
    return false()


def supervises_town(principal: Principal, town_id: int | None) -> bool:
    """May this principal supervise (dispatch, query SLA) cases of ``town_id``?"""
    if principal.role == Role.ADMIN:
        return True
    if principal.role != Role.SUPERVISOR:
        return False
    return principal.organization_kind == OrgKind.JUSTICE_BUREAU or (
        town_id is not None and principal.town_id == town_id
    )


# Organizations that serve the whole city (no town of their own): a town office may send its cases there.
CITY_WIDE_TARGET_KINDS = frozenset(
    {OrgKind.SPECIALISED_COMMITTEE, OrgKind.CITY_CENTER, OrgKind.CITY_CHANNEL, OrgKind.COURT_SUBCENTER}
)


def may_dispatch_to(principal: Principal, target_kind: str, target_town_id: int | None) -> bool:
    """May this principal dispatch a case it supervises to an organization of ``target_kind`` in
    ``target_town_id``?

    A town justice office (司法所) sends only to its own town's organizations and to the city-wide ones
    (specialised committees, the city center and its channels, the court): another town's committee would
    gain a case, and read its parties, that the other town's office never supervises. The city bureau and
    admins send anywhere. Pure, so the supervisors' workspace can offer exactly these targets.
    """
    if principal.role == Role.ADMIN:
        return True
    if principal.role != Role.SUPERVISOR:
        return False
    if principal.organization_kind == OrgKind.JUSTICE_BUREAU:
        return True
    if target_kind in CITY_WIDE_TARGET_KINDS and target_town_id is None:
        return True
    return principal.town_id is not None and target_town_id == principal.town_id


def sees_contact_data(
    viewer_org_id: int,
    current_org_id: int | None,
    resolved_org_id: int | None,
    asked_to_confirm: bool = False,
) -> bool:
    """The court sub-center, the one role that must contact the parties, reads full ID numbers, phones and
    addresses only of a case it holds now or resolved, or whose agreement it is asked to confirm (it serves
    the parties, 送达). Once the case has left it (the feed's ``case.routed_away``), it reads them masked like
    everyone else; what its feed already delivered stays delivered."""
    return asked_to_confirm or viewer_org_id in (current_org_id, resolved_org_id)
