"""Shape cases for the API: masked parties and free text, organization references, the routing decision."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.scope import sees_contact_data
from app.cases import repository as repo
from app.cases.schemas import (
    AssignmentOut,
    CaseBreachOut,
    CaseOut,
    OrgRef,
    PartyOut,
    RoutingOut,
)
from app.models import Assignment, Case, Organization, Party, SlaClock
from app.pii.contexts import ADDRESS_CONTEXT, ID_CONTEXT, PHONE_CONTEXT
from app.pii.crypto import FieldCipher
from app.pii.free_text import mask_free_text


@dataclass(frozen=True)
class Reveal:
    """The court sub-center's full view: for the cases it holds or resolved, or is asked to confirm
    (``sees_contact_data``), the parties' ID numbers, phones and addresses decrypted and free text as
    written; for the others, the masked view. ``asked``: the ids of the cases asking it for confirmation
    (``with_asked``)."""

    cipher: FieldCipher
    organization_id: int
    asked: frozenset[uuid.UUID] = frozenset()

    def applies_to(
        self, current_org_id: int | None, resolved_org_id: int | None, case_id: uuid.UUID | None = None
    ) -> bool:
        return sees_contact_data(
            self.organization_id, current_org_id, resolved_org_id, asked_to_confirm=case_id in self.asked
        )

    async def with_asked(self, session: AsyncSession, case_ids: Collection[uuid.UUID]) -> Reveal:
        asked = await repo.cases_asking_confirmation(session, self.organization_id, case_ids)
        return replace(self, asked=frozenset(asked))


def masked_text(text: str | None) -> str | None:
    return None if text is None else mask_free_text(text)


def org_ref(org: Organization | None) -> OrgRef | None:
    return OrgRef(code=org.code, name=org.name, tier=org.tier) if org else None


def fen_to_yuan(fen: int | None) -> Decimal | None:
    return None if fen is None else (Decimal(fen) / 100).quantize(Decimal("0.01"))


def assignment_out(a: Assignment, orgs: Mapping[int, Organization]) -> AssignmentOut:
    ref = org_ref(orgs.get(a.organization_id))
    assert ref is not None
    return AssignmentOut(
        id=a.id,
        organization=ref,
        tier=a.tier,
        clock_started_at=a.clock_started_at,
        dispatch_due_at=a.dispatch_due_at,
        dispatched_at=a.dispatched_at,
        auto_dispatched=a.auto_dispatched,
        accepted_at=a.accepted_at,
        declined_at=a.declined_at,
        ended_at=a.ended_at,
        end_reason=a.end_reason,
        outcome=a.outcome,
    )


def breach_out(b: SlaClock | None) -> CaseBreachOut | None:
    if b is None or b.breached_at is None:
        return None
    return CaseBreachOut(
        due_at=b.due_at,
        recorded_at=b.breached_at,
        open=b.stopped_at is None,
        closed_at=b.stopped_at,
        lateness_hours=None if b.lateness_seconds is None else round(b.lateness_seconds / 3600, 1),
        lateness_working_days=b.lateness_working_days,
    )


def case_out(
    case: Case,
    parties: Sequence[Party],
    orgs: Mapping[int, Organization],
    assignment: Assignment | None,
    breach: SlaClock | None = None,
    reveal: FieldCipher | None = None,
) -> CaseOut:
    """``reveal``: decrypt ID numbers and phones and leave free text as written, for the roles that must
    contact the parties (the court); without it every ID- or phone-shaped number is masked, in free text
    too."""
    town = org_ref(orgs.get(case.town_org_id))
    intake = org_ref(orgs.get(case.intake_org_id))
    assert town is not None and intake is not None
    return CaseOut(
        id=case.id,
        reference=case.reference,
        status=case.status,
        version=case.version,
        category=case.category,
        summary=case.summary if reveal else mask_free_text(case.summary),
        claim_amount=fen_to_yuan(case.claim_amount_fen),
        occurred_on=case.occurred_on,
        received_at=case.received_at,
        risk_level=case.risk_level,
        litigation_intended=case.litigation_intended,
        source=case.source,
        referred_by=case.referred_by,
        town=town,
        village=org_ref(orgs.get(case.village_org_id)) if case.village_org_id else None,
        intake_organization=intake,
        current_organization=org_ref(orgs.get(case.current_org_id)) if case.current_org_id else None,
        routing=RoutingOut(
            tier=case.routing_tier,
            organization=org_ref(orgs.get(case.routing_org_id)) if case.routing_org_id else None,
            rule=case.routing_rule_id,
            rule_set_version=case.routing_rule_set_version,
            # Carries a decline's or an escalation's reason as typed.
            explanation=case.routing_explanation if reveal else masked_text(case.routing_explanation),
            flags=list(case.routing_flags or []),
        ),
        current_assignment=assignment_out(assignment, orgs) if assignment else None,
        dispatch_due_at=case.dispatch_due_at,
        dispatch_due_provisional=case.dispatch_due_provisional,
        breach=breach_out(breach),
        judicial_confirmation_due_on=case.judicial_confirmation_due_on,
        outcome=case.outcome,
        resolved_at=case.resolved_at,
        parties=[
            PartyOut(
                role=p.role,
                kind=p.kind,
                name=p.name,
                id_number=_reveal(reveal, p.id_number_enc, ID_CONTEXT) if reveal else p.id_number_masked,
                phone=_reveal(reveal, p.phone_enc, PHONE_CONTEXT) if reveal else p.phone_masked,
                address=_reveal(reveal, p.address_enc, ADDRESS_CONTEXT) if reveal else None,
                is_government=p.is_government,
            )
            for p in parties
        ],
        created_at=case.created_at,
        updated_at=case.updated_at,
    )


def _org_ids(case: Case, assignment: Assignment | None) -> list[int | None]:
    ids = [
        case.town_org_id,
        case.village_org_id,
        case.intake_org_id,
        case.current_org_id,
        case.routing_org_id,
    ]
    if assignment:
        ids.append(assignment.organization_id)
    return ids


def _reveal(cipher: FieldCipher, token: str | None, context: bytes) -> str | None:
    return cipher.decrypt(token, context=context) if token else None


async def present_cases(
    session: AsyncSession, cases: Sequence[Case], *, reveal: Reveal | None = None
) -> list[CaseOut]:
    """Batch-load what the views need: four queries at most, whatever the page size."""
    ids = [c.id for c in cases]
    parties = await repo.parties_of(session, ids)
    assignments = await repo.open_assignments_of(session, ids)
    org_ids = [i for c in cases for i in _org_ids(c, assignments.get(c.id))]
    orgs = await repo.orgs_by_ids(session, org_ids)
    breaches = await repo.latest_breaches_of(session, ids)
    if reveal is not None:
        reveal = await reveal.with_asked(session, ids)
    return [
        case_out(c, parties[c.id], orgs, assignments.get(c.id), breaches.get(c.id), _cipher_for(reveal, c))
        for c in cases
    ]


def _cipher_for(reveal: Reveal | None, case: Case) -> FieldCipher | None:
    shown = reveal and reveal.applies_to(case.current_org_id, case.resolved_org_id, case.id)
    return reveal.cipher if reveal and shown else None
