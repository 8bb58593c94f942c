"""Intake: a committee's submission becomes a case with a case number, in one transaction.

Order inside the transaction: claim the Idempotency-Key first (a duplicate stops here and replays), resolve
the location, insert case + parties + the audit event, route, and take the case number last so the
counter row's lock is held as briefly as possible.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.calendar.workdays import SHANGHAI
from app.cases import repository as repo
from app.cases.presenter import case_out
from app.cases.schemas import CaseIn
from app.context import AppContext
from app.errors import FieldError, ValidationFailed
from app.idempotency import Replay, claim, complete, fingerprint
from app.models import Case, CaseStatus, Organization, OrgKind, Party
from app.pii.identity import mask_id_number, mask_phone

ID_CONTEXT = b"party.id_number"
PHONE_CONTEXT = b"party.phone"
ADDRESS_CONTEXT = b"party.address"


@dataclass(frozen=True)
class IntakeResult:
    status: int
    body: str  # JSON text: stored once, replayed byte for byte
    case_id: str
    version: int
    replayed: bool


@dataclass(frozen=True)
class Location:
    town: Organization
    village: Organization | None


async def _resolve_location(
    session: AsyncSession, principal: Principal, body: CaseIn
) -> tuple[Location, dict[int, tuple[int | None, int | None]], dict[int, Organization]]:
    codes = {body.town_code, body.village_code}
    codes |= {p.town_code for p in body.parties} | {p.village_code for p in body.parties}
    by_code = await repo.orgs_by_codes(session, [c for c in codes if c])
    by_id = await repo.orgs_by_ids(session, [principal.organization_id, principal.town_id])
    own = by_id[principal.organization_id]
    errors: list[FieldError] = []

    def lookup(code: str | None, field: str, kind: str) -> Organization | None:
        if not code:
            return None
        org = by_code.get(code)
        if org is None or org.kind != kind:
            what = "town or subdistrict" if kind == OrgKind.TOWN else "village committee"
            errors.append(
                FieldError(field, f"{field.rsplit('.', 1)[-1]}.unknown", f"No {what} with this code.")
            )
            return None
        return org

    town = lookup(body.town_code, "town_code", OrgKind.TOWN)
    village = lookup(body.village_code, "village_code", OrgKind.VILLAGE_COMMITTEE)
    if town is None and not body.town_code:
        if village is not None:
            town = by_id.get(village.town_id or -1) or await _org(session, village.town_id)
        elif principal.town_id is not None:
            town = by_id.get(principal.town_id)
            if village is None and not body.village_code and own.kind == OrgKind.VILLAGE_COMMITTEE:
                village = own
        elif not errors:
            errors.append(
                FieldError("town_code", "town_code.required", "Say in which town the dispute arose.")
            )
    if town is not None and village is not None and village.town_id != town.id:
        errors.append(
            FieldError("village_code", "village_code.not_in_town", "The village is not in this town.")
        )

    party_places: dict[int, tuple[int | None, int | None]] = {}
    for i, p in enumerate(body.parties):
        p_town = lookup(p.town_code, f"parties.{i}.town_code", OrgKind.TOWN)
        p_village = lookup(p.village_code, f"parties.{i}.village_code", OrgKind.VILLAGE_COMMITTEE)
        if p_town and p_village and p_village.town_id != p_town.id:
            errors.append(
                FieldError(
                    f"parties.{i}.village_code",
                    "village_code.not_in_town",
                    "The village is not in this town.",
                )
            )
        town_id = p_town.id if p_town else (p_village.town_id if p_village else None)
        party_places[i] = (town_id, p_village.id if p_village else None)
    if errors:
        raise ValidationFailed(errors)
    assert town is not None
    orgs = {o.id: o for o in [*by_code.values(), *by_id.values(), town] if o is not None}
    return Location(town, village), party_places, orgs


async def _org(session: AsyncSession, org_id: int | None) -> Organization | None:
    return (await repo.orgs_by_ids(session, [org_id])).get(org_id) if org_id is not None else None


def _fen(amount: Any) -> int | None:
    return None if amount is None else int(amount * 100)


async def create_case(
    session: AsyncSession,
    ctx: AppContext,
    principal: Principal,
    body: CaseIn,
    idempotency_key: str | None,
    now: datetime,
) -> IntakeResult:
    claim_id: int | None = None
    if idempotency_key is not None:
        claimed = await claim(
            session,
            principal=principal.key,
            key=idempotency_key,
            operation="cases.create",
            fingerprint_=fingerprint("cases.create", body.model_dump(mode="json")),
            now=now,
            retention=timedelta(days=ctx.settings.idempotency_retention_days),
        )
        if isinstance(claimed, Replay):
            first = json.loads(claimed.body)
            return IntakeResult(claimed.status, claimed.body, first["id"], first["version"], replayed=True)
        claim_id = claimed

    location, party_places, orgs = await _resolve_location(session, principal, body)
    case_id = uuid.uuid4()
    parties = _party_rows(ctx, case_id, body, location, party_places)
    villages = {p["village_org_id"] for p in parties}
    towns = {p["town_org_id"] for p in parties}
    case = Case(
        id=case_id,
        category=body.category,
        summary=body.summary,
        claim_amount_fen=_fen(body.claim_amount),
        occurred_on=body.occurred_on,
        risk_level=body.risk_level,
        judicial_confirmation_requested=body.judicial_confirmation_requested,
        applicant_count=sum(1 for p in body.parties if p.role == "applicant"),
        respondent_is_government=any(p.is_government for p in body.parties if p.role == "respondent"),
        cross_village=len(villages - {None}) > 1,
        cross_town=len(towns - {None}) > 1,
        town_org_id=location.town.id,
        village_org_id=location.village.id if location.village else None,
        intake_org_id=principal.organization_id,
        created_by_user_id=principal.user_id,
        received_at=body.received_at or now,
        status=CaseStatus.PENDING_DISPATCH,
        version=1,
        routing_flags=[],
        dispatch_clock_started_at=now,
        dispatch_due_provisional=False,
        created_at=now,
        updated_at=now,
    )
    # Routing and the dispatch deadline plug in here (issues 3 and 4); until then a new case waits in
    # pending_dispatch for a supervisor.
    case.reference = await repo.next_reference(
        session, ctx.settings.city_reference_prefix, now.astimezone(SHANGHAI).year
    )
    await repo.insert_case(session, _columns(case))
    await repo.insert_parties(session, parties)
    await repo.insert_event(
        session,
        {
            "case_id": case_id,
            "type": "case.created",
            "from_status": None,
            "to_status": CaseStatus.PENDING_DISPATCH,
            "case_version": 1,
            "actor_user_id": principal.user_id,
            "actor_client_id": principal.client_id,
            "actor_org_id": principal.organization_id,
            "reason": None,
            "data": {"reference": case.reference, "category": case.category},
            "occurred_at": now,
        },
    )
    party_objs = [Party(**row) for row in parties]
    body_out = case_out(
        case, party_objs, orgs | {principal.organization_id: orgs[principal.organization_id]}, None
    )
    result = body_out.model_dump_json()
    if claim_id is not None:
        await complete(session, claim_id, 201, result)
    return IntakeResult(201, result, str(case_id), case.version, replayed=False)


def _columns(case: Case) -> dict[str, Any]:
    return {
        c.key: getattr(case, c.key) for c in Case.__table__.columns if getattr(case, c.key, None) is not None
    }


def _party_rows(
    ctx: AppContext,
    case_id: uuid.UUID,
    body: CaseIn,
    location: Location,
    places: dict[int, tuple[int | None, int | None]],
) -> list[dict[str, Any]]:
    rows = []
    for i, p in enumerate(body.parties):
        town_id, village_id = places[i]
        if town_id is None and village_id is None:
            # A party with no stated place lives where the dispute was registered.
            town_id = location.town.id
            village_id = location.village.id if location.village else None
        rows.append(
            {
                "case_id": case_id,
                "position": i,
                "role": p.role,
                "kind": p.kind,
                "name": p.name,
                "is_government": p.is_government,
                "id_number_enc": ctx.cipher.encrypt(p.id_number, context=ID_CONTEXT) if p.id_number else None,
                "id_number_bidx": ctx.blind_index.compute(p.id_number, context=ID_CONTEXT)
                if p.id_number
                else None,
                "id_number_masked": mask_id_number(p.id_number) if p.id_number else None,
                "phone_enc": ctx.cipher.encrypt(p.phone, context=PHONE_CONTEXT) if p.phone else None,
                "phone_masked": mask_phone(p.phone) if p.phone else None,
                "address_enc": ctx.cipher.encrypt(p.address, context=ADDRESS_CONTEXT) if p.address else None,
                "town_org_id": town_id,
                "village_org_id": village_id,
            }
        )
    return rows
