"""Contact with the parties (PIPL 最小必要): who may see their full phones and addresses, the log of every
reveal, and the per-user limit.

Who may reveal is ``app.cases.permissions.may_reveal_contact`` (the same answer the case page shows as
``may_reveal_contact``): the mediators of the organization holding the case, and of the registering
committee while the case is with it. The log row is written in the same transaction as the reveal, and the
limit counts those rows, so it holds across replicas.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.auth.scope import case_scope
from app.cases import repository as case_repo
from app.cases.permissions import load_facts, may_read_contact_log, may_reveal_contact
from app.contact import repository as repo
from app.contact.schemas import MINIMUM_NECESSARY, ContactRevealOut, RevealedParty
from app.errors import Forbidden, NotFound, TooManyRequests
from app.models import Assignment, Case, ContactReveal, Party
from app.pii.contexts import ADDRESS_CONTEXT, PHONE_CONTEXT
from app.pii.crypto import FieldCipher

WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class RateLimit:
    per_hour: int


def retry_after(oldest: datetime | None, now: datetime) -> int:
    """Seconds until the oldest reveal in the window leaves it (at least 1)."""
    if oldest is None:
        return 1
    return max(1, math.ceil((oldest + WINDOW - now).total_seconds()))


async def _case_in_scope(session: AsyncSession, principal: Principal, case_id: uuid.UUID) -> Case:
    case = await case_repo.get_case(session, case_id, case_scope(principal))
    if case is None:
        raise NotFound("No such case.", code="case.not_found")
    return case


async def _open_assignment(session: AsyncSession, case: Case) -> Assignment | None:
    return (
        await session.execute(
            select(Assignment).where(Assignment.case_id == case.id, Assignment.ended_at.is_(None))
        )
    ).scalar_one_or_none()


async def reveal(
    session: AsyncSession,
    cipher: FieldCipher,
    principal: Principal,
    case_id: uuid.UUID,
    limit: RateLimit,
    now: datetime,
) -> ContactRevealOut:
    case = await _case_in_scope(session, principal, case_id)
    facts = await load_facts(session, case, await _open_assignment(session, case), now)
    if not may_reveal_contact(principal, facts):
        raise Forbidden(
            "Only the mediators of the organization holding the case (or of the registering committee while "
            "the case is with it) may see the parties' full contact data.",
            code="contact.not_permitted",
        )
    assert principal.user_id is not None  # mediators are people
    count, oldest = await repo.reveals_since(session, principal.user_id, now - WINDOW)
    if count >= limit.per_hour:
        raise TooManyRequests(
            f"At most {limit.per_hour} contact reveals an hour per person. {MINIMUM_NECESSARY}",
            retry_after(oldest, now),
            code="contact.rate_limited",
        )
    parties = (await case_repo.parties_of(session, [case.id]))[case.id]
    shown = [_revealed(cipher, p) for p in parties]
    fields = sorted(
        {"phone" for p in shown if p.phone is not None} | {"address" for p in shown if p.address is not None}
    )
    session.add(
        ContactReveal(
            case_id=case.id,
            user_id=principal.user_id,
            organization_id=principal.organization_id,
            revealed_at=now,
            fields=fields,
            parties=[p.position for p in shown if p.phone is not None or p.address is not None],
        )
    )
    await session.flush()
    return ContactRevealOut(
        case_id=case.id, reference=case.reference, revealed_at=now, parties=shown, notice=MINIMUM_NECESSARY
    )


def _revealed(cipher: FieldCipher, party: Party) -> RevealedParty:
    return RevealedParty(
        position=party.position,
        role=party.role,
        name=party.name,
        phone=cipher.decrypt(party.phone_enc, context=PHONE_CONTEXT) if party.phone_enc else None,
        address=cipher.decrypt(party.address_enc, context=ADDRESS_CONTEXT) if party.address_enc else None,
        id_number=party.id_number_masked,
    )


async def check_log_reader(
    session: AsyncSession, principal: Principal, case_id: uuid.UUID, now: datetime
) -> Case:
    case = await _case_in_scope(session, principal, case_id)
    facts = await load_facts(session, case, await _open_assignment(session, case), now)
    if not may_read_contact_log(principal, facts):
        raise Forbidden(
            "The contact log is for supervisors and administrators.", code="contact.log_not_permitted"
        )
    return case
