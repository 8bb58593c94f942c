"""GET/PUT /sla/clock-rules (admin): the clock rules in force and their history; a PUT adds a version."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from app.cases.schemas import LocalDateTime
from app.db import utcnow
from app.deps import AdminPrincipal, Session
from app.errors import DomainError, FieldError, ValidationFailed
from app.models import SlaClockRuleSet
from app.sla import rule_store
from app.sla.rules import DEFAULT_RULES, RuleError, parse_rules

router = APIRouter(prefix="/sla", tags=["sla"])

MAX_RULES = 200


class ClockRulesOut(BaseModel):
    version: int = Field(description="0: the built-in defaults (nothing stored yet)")
    note: str | None
    created_at: LocalDateTime | None
    rules: list[dict[str, Any]]


class ClockRulesHistory(BaseModel):
    current: ClockRulesOut
    previous_versions: list[int]


class ClockRulesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rules: list[dict[str, Any]] = Field(
        max_length=MAX_RULES,
        description="Each: kind (dispatch|acceptance|mediation), length (days), unit (working_days|"
        "calendar_days), optional tier or channel, extension_allowed, extension_max_days. One default "
        "(no tier, no channel) per kind is required.",
    )
    note: str | None = Field(default=None, max_length=500, description="Why this change")


def _out(row: SlaClockRuleSet) -> ClockRulesOut:
    return ClockRulesOut(
        version=row.version, note=row.note, created_at=row.created_at, rules=row.rules["rules"]
    )


def refuse_format(format: str | None) -> None:
    """This endpoint returns no rows: a format other than JSON is refused, never silently ignored."""
    if format not in (None, "json"):
        raise DomainError(detail="This endpoint returns JSON only.", code="format.unsupported", status=400)


@router.get("/clock-rules", response_model=ClockRulesHistory, responses={400: {}})
async def get_clock_rules(
    session: Session, principal: AdminPrincipal, format: Annotated[str | None, Query()] = None
) -> ClockRulesHistory:
    refuse_format(format)
    history = await rule_store.history(session)
    if not history:
        rules = rule_store.document(DEFAULT_RULES)["rules"]
        builtin = ClockRulesOut(version=0, note="built-in defaults", created_at=None, rules=rules)
        return ClockRulesHistory(current=builtin, previous_versions=[])
    return ClockRulesHistory(current=_out(history[0]), previous_versions=[r.version for r in history[1:]])


def validated(raw: list[dict[str, Any]]) -> Any:
    try:
        return parse_rules(raw)
    except RuleError as exc:
        field = f"rules.{exc.index}.{exc.field}" if exc.field else f"rules.{exc.index}"
        raise ValidationFailed(
            [FieldError(field, exc.code, exc.message)], detail="The clock rules are invalid."
        ) from None


@router.put("/clock-rules", response_model=ClockRulesOut, responses={422: {}})
async def put_clock_rules(body: ClockRulesIn, session: Session, principal: AdminPrincipal) -> ClockRulesOut:
    """Validate the rules and store them as a new version. Clocks started from now on use it; running
    clocks keep the rule they started under."""
    rules = validated(body.rules)
    now: datetime = utcnow()
    return _out(await rule_store.save_rules(session, rules, principal.user_id, body.note, now))
