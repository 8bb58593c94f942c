"""Turning 督办 rows into response bodies: names, not codes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.cases import repository as case_repo
from app.models import Urge
from app.urges import repository as repo
from app.urges.rules import CLOCK_LABELS, URGE_STATUS_LABELS, urge_status
from app.urges.schemas import OrgName, UrgeOut


async def present_urges(session: AsyncSession, rows: Sequence[Any], now: datetime) -> list[UrgeOut]:
    """``rows`` are (Urge, case reference, case status)."""
    orgs = await case_repo.orgs_by_ids(
        session, [i for u, _, _ in rows for i in (u.holder_org_id, u.created_by_org_id)]
    )

    def name(org_id: int | None) -> OrgName | None:
        org = orgs.get(org_id) if org_id is not None else None
        return OrgName(code=org.code, name=org.name) if org else None

    out = []
    for urge, reference, case_status in rows:
        status = urge_status(urge.answered_at, urge.report_back_by, now)
        holder = name(urge.holder_org_id)
        assert holder is not None  # a foreign key
        out.append(
            UrgeOut(
                id=urge.id,
                case_id=urge.case_id,
                reference=reference,
                case_status=case_status,
                clock=urge.clock,
                clock_label=CLOCK_LABELS.get(urge.clock, urge.clock),
                status=status,
                status_label=URGE_STATUS_LABELS[status],
                note=urge.note,
                report_back_by=urge.report_back_by,
                created_at=urge.created_at,
                created_by=name(urge.created_by_org_id),
                holder=holder,
                answered_at=urge.answered_at,
                answer_note=urge.answer_note,
            )
        )
    return out


async def present_urge(session: AsyncSession, urge: Urge, now: datetime) -> UrgeOut:
    (out,) = await present_urges(session, [(urge, *await repo.case_reference(session, urge.case_id))], now)
    return out
