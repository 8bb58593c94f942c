"""Object-level access: which cases a principal may see. Every case query is filtered here, in one place.

A case outside the caller's scope is reported as 404, never 403, so its existence is not disclosed.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, false, or_, select, true

from app.auth.principal import Principal
from app.models import Assignment, Case, OrgKind, Role


def _assigned_to(org_id: int) -> ColumnElement[bool]:
    return exists(
        select(Assignment.id).where(Assignment.case_id == Case.id, Assignment.organization_id == org_id)
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
            return _assigned_to(principal.organization_id)
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
