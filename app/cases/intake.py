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
from app.calendar.service import calendar_in_force
from app.calendar.workdays import SHANGHAI
from app.cases import repository as repo
from app.cases import sql
from app.cases.actions import dispatch_to
from app.cases.events import rows_of
from app.cases.lifecycle import STATUS_LABELS
from app.cases.presenter import case_out
from app.cases.schemas import CaseIn
from app.cases.transitions import Actor, Loaded
from app.context import AppContext
from app.errors import Conflict, FieldError, ValidationFailed
from app.idempotency import Replay, claim, complete, fingerprint
from app.models import Case, CaseStatus, ClockKind, OrgKind, Party
from app.organizations.cache import OrgKey, org_keys_by_codes
from app.pii.contexts import ADDRESS_CONTEXT, ID_CONTEXT, PHONE_CONTEXT
from app.pii.identity import mask_id_number, mask_phone
from app.routing import service as routing
from app.routing.engine import Decision
from app.routing.service import Candidates
from app.sla.clock import close_clock, open_clock
from app.sla.rule_store import rules_in_force


@dataclass(frozen=True)
class IntakeResult:
    status: int
    body: str  # JSON text: stored once, replayed byte for byte
    case_id: str
    version: int
    replayed: bool


@dataclass(frozen=True)
class Location:
    town_id: int
    village_id: int | None


async def _resolve_location(
    session: AsyncSession, principal: Principal, body: CaseIn
) -> tuple[Location, dict[int, tuple[int | None, int | None]]]:
    """Codes → ids, checked. Only the immutable code → (id, kind, town) mapping is needed here, so it comes
    from the process's directory (app.organizations.cache) without a query in the steady state."""
    codes = {body.town_code, body.village_code}
    codes |= {p.town_code for p in body.parties} | {p.village_code for p in body.parties}
    by_code = await org_keys_by_codes(session, codes)
    # The caller's own organization, as authentication read it.
    own = OrgKey(principal.organization_id, "", principal.organization_kind, principal.town_id)
    errors: list[FieldError] = []

    def lookup(code: str | None, field: str, kind: str) -> OrgKey | None:
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
    town_id = town.id if town else None
    village = lookup(body.village_code, "village_code", OrgKind.VILLAGE_COMMITTEE)
    if town is None and not body.town_code:
        if village is not None:
            town_id = village.town_id
        elif principal.town_id is not None:
            town_id = principal.town_id
            if village is None and not body.village_code and own.kind == OrgKind.VILLAGE_COMMITTEE:
                village = own
        elif not errors:
            errors.append(
                FieldError("town_code", "town_code.required", "Say in which town the dispute arose.")
            )
    if town_id is not None and village is not None and village.town_id != town_id:
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
        p_town_id = p_town.id if p_town else (p_village.town_id if p_village else None)
        party_places[i] = (p_town_id, p_village.id if p_village else None)
    if errors:
        raise ValidationFailed(errors)
    assert town_id is not None
    return Location(town_id, village.id if village else None), party_places


def _fen(amount: Any) -> int | None:
    return None if amount is None else int(amount * 100)


@dataclass
class Draft:
    """A case as submitted, located and with its routing facts, before anything is stored."""

    case: Case
    places: list[tuple[int, int | None]]  # each party's (town, village)
    respondents: int


async def draft_case(session: AsyncSession, principal: Principal, body: CaseIn, now: datetime) -> Draft:
    """Resolve the location and derive the facts routing needs (shared by intake and the dry run)."""
    location, party_places = await _resolve_location(session, principal, body)
    places = []
    for i in range(len(body.parties)):
        town_id, village_id = party_places[i]
        if town_id is None and village_id is None:
            # A party with no stated place lives where the dispute was registered.
            town_id, village_id = location.town_id, location.village_id
        assert town_id is not None
        places.append((town_id, village_id))
    villages = {v for _, v in places}
    towns = {t for t, _ in places}
    case = Case(
        id=uuid.uuid4(),
        category=body.category,
        summary=body.summary,
        claim_amount_fen=_fen(body.claim_amount),
        occurred_on=body.occurred_on,
        risk_level=body.risk_level,
        litigation_intended=body.litigation_intended,
        applicant_count=sum(1 for p in body.parties if p.role == "applicant"),
        respondent_is_government=any(p.is_government for p in body.parties if p.role == "respondent"),
        cross_village=len(villages - {None}) > 1,
        cross_town=len(towns - {None}) > 1,
        town_org_id=location.town_id,
        village_org_id=location.village_id,
        intake_org_id=principal.organization_id,
        created_by_user_id=principal.user_id,
        received_at=body.received_at or now,
        source=body.source,
        referred_by=body.referred_by,
        status=CaseStatus.PENDING_DISPATCH,
        version=1,
        routing_flags=[],
        created_at=now,
        updated_at=now,
    )
    respondents = sum(1 for p in body.parties if p.role == "respondent")
    return Draft(case, places, respondents)


async def create_case(
    session: AsyncSession,
    ctx: AppContext,
    principal: Principal,
    body: CaseIn,
    idempotency_key: str | None,
    now: datetime,
) -> IntakeResult:
    """Round trips in the steady state on PostgreSQL: claim, route (one query), the new case with all its
    rows (one statement), the idempotency response — plus BEGIN, authentication and COMMIT around them;
    and the case number, on a connection of its own."""
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

    if not body.confirm_duplicate:
        await _refuse_possible_duplicates(session, ctx, body, now)
    draft = await draft_case(session, principal, body, now)
    case = draft.case
    parties = _party_rows(ctx, case.id, body, draft.places)
    routed = await routing.route(
        session, case, draft.respondents, (case.town_org_id, case.village_org_id, case.intake_org_id)
    )
    found, orgs = routed.found, routed.orgs
    store_decision(case, routed.decision, found)
    calendar, rules = await calendar_in_force(session), await rules_in_force(session)
    clocks = [open_clock(ClockKind.DISPATCH, case, now, calendar, rules)]
    actor = Actor.of(principal)
    loaded = Loaded(case, None)
    loaded.events.append(_created_event(case, actor, now))
    if found.single is not None:
        # found.single was read as active in this transaction, by the route query.
        dispatch_to(loaded, found.single, actor, now, auto=True, note=None)
        close_clock(clocks[0], now, "dispatched", calendar)
        clocks.append(open_clock(ClockKind.ACCEPTANCE, case, now, calendar, rules, found.single))
    # Taken last, when nothing but a database error can stop the intake (see take_reference).
    case.reference = await repo.take_reference(
        session,
        ctx.autocommit_engine,
        ctx.settings.city_reference_prefix,
        now.astimezone(SHANGHAI).year,
    )
    for event in loaded.events:
        event["data"] = {**event.get("data", {}), "reference": case.reference}
    assignment = loaded.assignment
    assignment_id = await repo.insert_new_case(
        session,
        sql.row_of(case, sql.CASE_COLUMNS),
        parties,
        sql.row_of(assignment, sql.ASSIGNMENT_COLUMNS) if assignment is not None else None,
        await rows_of(session, case, loaded.events),
        [sql.row_of(clock, sql.CLOCK_COLUMNS) for clock in clocks],
    )
    if assignment is not None:
        assert assignment_id is not None
        assignment.id = assignment_id
    party_objs = [Party(**row) for row in parties]
    body_out = case_out(case, party_objs, orgs, loaded.assignment)
    result = body_out.model_dump_json()
    if claim_id is not None:
        await complete(session, claim_id, 201, result)
    return IntakeResult(201, result, str(case.id), case.version, replayed=False)


# A party's ID number in an open case received this recently makes a new registration a possible duplicate.
DUPLICATE_WINDOW = timedelta(days=90)


async def _refuse_possible_duplicates(
    session: AsyncSession, ctx: AppContext, body: CaseIn, now: datetime
) -> None:
    """409 ``case.possible_duplicate`` (nothing stored, no case number taken) when a party's ID number, by
    its blind index, is in an open case received in the last 90 days; the client re-sends with
    ``confirm_duplicate: true`` to register it anyway. A replayed Idempotency-Key never gets here."""
    bidxs = {ctx.blind_index.compute(p.id_number, context=ID_CONTEXT) for p in body.parties if p.id_number}
    found = await repo.open_cases_naming(session, bidxs, now - DUPLICATE_WINDOW)
    if found:
        raise Conflict(
            f"A party of this dispute is named in {len(found)} open case(s) received in the last "
            f"{DUPLICATE_WINDOW.days} days. Check them; to register this one anyway, send it again with "
            '"confirm_duplicate": true.',
            code="case.possible_duplicate",
            duplicates=[
                {"reference": reference, "status": status, "status_label": STATUS_LABELS[status]}
                for reference, status in found
            ],
        )


def store_decision(case: Case, decision: Decision, found: Candidates) -> None:
    """Store the rule engine's decision on the case, with the organization it names if exactly one."""
    case.routing_tier = decision.tier
    case.routing_selector = decision.selector
    case.routing_channel = decision.channel
    case.routing_rule_id = decision.rule_id
    case.routing_rule_set_version = decision.rule_set_version
    case.routing_flags = list(decision.flags)
    case.routing_org_id = found.single.id if found.single else None
    case.routing_explanation = decision.explanation + (
        "" if found.single else routing.no_target_note(len(found.organizations))
    )


def _created_event(case: Case, actor: Actor, now: datetime) -> dict[str, Any]:
    return {
        "case_id": case.id,
        "type": "case.created",
        "from_status": None,
        "to_status": CaseStatus.PENDING_DISPATCH,
        "case_version": 1,
        "actor_user_id": actor.user_id,
        "actor_client_id": actor.client_id,
        "actor_org_id": actor.organization_id,
        "reason": None,
        "data": {"category": case.category, "rule": case.routing_rule_id},  # + the case number, once taken
        "occurred_at": now,
    }


def _party_rows(
    ctx: AppContext, case_id: uuid.UUID, body: CaseIn, places: list[tuple[int, int | None]]
) -> list[dict[str, Any]]:
    rows = []
    for i, p in enumerate(body.parties):
        town_id, village_id = places[i]
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
