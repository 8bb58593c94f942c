"""GET/PUT /routing/rules (admin) and POST /routing/preview (dry run on a case body)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.cases.intake import draft_case
from app.cases.presenter import org_ref
from app.cases.schemas import CaseIn, LocalDateTime, OrgRef
from app.db import utcnow
from app.deps import AdminPrincipal, HumanPrincipal, Session
from app.errors import ValidationFailed, field_errors_from_pydantic
from app.models import Tier
from app.routing import service as routing
from app.routing.engine import parse_rule_set

router = APIRouter(prefix="/routing", tags=["routing"])

# Every intake runs the rules in order; the default set has a few dozen.
MAX_RULES = 500


class RuleSetOut(BaseModel):
    version: int
    note: str | None
    created_at: LocalDateTime
    rules: list[dict[str, Any]]


class RuleSetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rules: list[dict[str, Any]] = Field(
        max_length=MAX_RULES, description="Ordered rules; see app/routing/default_rules.yaml"
    )
    note: str | None = Field(
        default=None, max_length=500, description="Why this change (kept with the version)"
    )


class RuleSetHistory(BaseModel):
    current: RuleSetOut
    previous_versions: list[int]


class CheckOut(BaseModel):
    rule: str
    condition: str
    reason: str


class PreviewOut(BaseModel):
    tier: Tier
    rule: str
    rule_set_version: int
    selector: str
    channel: str | None
    flags: list[str]
    explanation: str
    organization: OrgRef | None = Field(description="Set when exactly one active organization qualifies")
    candidates: list[OrgRef]
    not_matched: list[CheckOut] = Field(description="Earlier rules and the condition each failed")


def _out(row: Any) -> RuleSetOut:
    return RuleSetOut(version=row.version, note=row.note, created_at=row.created_at, rules=row.rules["rules"])


@router.get("/rules", response_model=RuleSetHistory)
async def get_rules(session: Session, principal: AdminPrincipal) -> RuleSetHistory:
    history = await routing.rule_set_history(session)
    return RuleSetHistory(current=_out(history[0]), previous_versions=[r.version for r in history[1:]])


@router.put("/rules", response_model=RuleSetOut, responses={422: {}})
async def put_rules(body: RuleSetIn, session: Session, principal: AdminPrincipal) -> RuleSetOut:
    """Validate every rule and store the set as a new version; the old versions are kept."""
    try:
        rule_set = parse_rule_set({"rules": body.rules})
    except ValidationError as exc:
        raise ValidationFailed(
            field_errors_from_pydantic(exc.errors()), detail="The rule set is invalid."
        ) from None
    now: datetime = utcnow()
    stored = await routing.save_rule_set(session, rule_set, principal.user_id, body.note, now)
    document = stored.model_dump(mode="json")
    return RuleSetOut(version=stored.version, note=body.note, created_at=now, rules=document["rules"])


@router.post("/preview", response_model=PreviewOut, responses={422: {}})
async def preview(body: CaseIn, session: Session, principal: HumanPrincipal) -> PreviewOut:
    """What a case with this body would get now: the decision, the rule, why, and why not the earlier rules.
    Nothing is stored."""
    draft = await draft_case(session, principal, body, utcnow())
    decision = routing.decide(
        await routing.rule_set_in_force(session), routing.facts_of(draft.case, draft.respondents)
    )
    found = await routing.candidates(
        session,
        decision.selector,
        decision.channel,
        category=draft.case.category,
        town_id=draft.case.town_org_id,
        village_id=draft.case.village_org_id,
    )
    refs = [r for r in (org_ref(o) for o in found.organizations) if r is not None]
    return PreviewOut(
        tier=decision.tier,
        rule=decision.rule_id,
        rule_set_version=decision.rule_set_version,
        selector=decision.selector,
        channel=decision.channel,
        flags=list(decision.flags),
        explanation=decision.explanation + ("" if found.single else routing.no_target_note(len(refs))),
        organization=org_ref(found.single),
        candidates=refs,
        not_matched=[
            CheckOut(rule=c.rule_id, condition=c.condition, reason=c.reason) for c in decision.checked
        ],
    )
