"""Request and response bodies of the case API.

Intake validation reports *every* bad field at once (a mediator on a phone fixes them in one go): the
model-level wrap validator gathers the field errors and the cross-field ones (an applicant and a respondent
are required) into one ``ValidationError`` whose error ``type`` is our stable code.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from app.calendar.workdays import SHANGHAI
from app.cases.lifecycle import Outcome
from app.instants import LocalDateTime
from app.models import CaseSource, CaseStatus, PartyRole, Referrer, Tier
from app.pii.identity import InvalidValue, normalize_phone, validate_resident_id
from app.routing.engine import CATEGORIES, RISK_LEVELS, Category
from app.validation import ApiDate, require_offset, written_as_a_date

# Phones' clocks drift; a receipt time a little ahead of the server's is not "in the future".
CLOCK_SKEW = timedelta(minutes=5)


# Business-date bounds of an intake (the reasons are the rules' own: a register older than a year is history
# to import, not an intake; the People's Republic's mediation committees date from its founding).
RECEIVED_AT_MAX_AGE = timedelta(days=365)
OCCURRED_ON_EARLIEST = date(1949, 10, 1)
# A written agreement takes effect when signed and sealed, which may be set a few days ahead.
AGREEMENT_EFFECTIVE_MAX_DAYS_AHEAD = 3


def _agreement_effective_on(value: date | None) -> date | None:
    if value is None:
        return None
    latest = datetime.now(SHANGHAI).date() + timedelta(days=AGREEMENT_EFFECTIVE_MAX_DAYS_AHEAD)
    if value > latest:
        raise PydanticCustomError(
            "agreement_effective_on.too_late",
            f"An agreement takes effect at most {AGREEMENT_EFFECTIVE_MAX_DAYS_AHEAD} days after today.",
        )
    return value


def _visited_on(value: date | None) -> date | None:
    if value is not None and value > datetime.now(SHANGHAI).date():
        raise PydanticCustomError("visited_on.future", "The follow-up visit cannot be after today.")
    return value


VisitedOn = Annotated[
    ApiDate | None,
    AfterValidator(_visited_on),
    Field(description="The day of the follow-up visit (回访日期), not after today (Asia/Shanghai)"),
]

# Optional itself, so that the description sits on the field in the OpenAPI, not inside its anyOf.
AgreementEffectiveOn = Annotated[
    ApiDate | None,
    AfterValidator(_agreement_effective_on),
    Field(
        description=(
            "The day the agreement took effect (a written one: signed and sealed; an oral one: the day it "
            f"was reached). From the day the case was received to {AGREEMENT_EFFECTIVE_MAX_DAYS_AHEAD} days "
            "after today (Asia/Shanghai); the 30-day window for judicial confirmation starts from it."
        )
    ),
]


# The vocabularies stay plain strings checked by the validators below (stable error codes such as
# category.unknown); the schema lists them so a client, and the fuzzer, knows the closed set.
CATEGORY_ENUM: dict[str, Any] = {"enum": list(CATEGORIES)}
RISK_LEVEL_ENUM: dict[str, Any] = {"enum": list(RISK_LEVELS)}


CategoryCode = Annotated[Category, WithJsonSchema({"type": "string", **CATEGORY_ENUM})]


# A valid registration (checksummed ID numbers, mobile numbers): what a client can start from, and what
# schemathesis' examples phase registers before following the links from the new case.
CASE_EXAMPLE: dict[str, Any] = {
    "category": "neighbour",
    "summary": "申请人与被申请人因宅基地边界砌墙发生争执，请求村调委会调解。",
    "claim_amount": "3000.00",
    "risk_level": "low",
    "parties": [
        {
            "role": "applicant",
            "kind": "person",
            "name": "张三",
            "id_number": "32048119800517137X",
            "phone": "13800138000",
        },
        {"role": "respondent", "kind": "person", "name": "李四", "id_number": "320481197503029785"},
    ],
}


def _pii_error(exc: InvalidValue) -> PydanticCustomError:
    return PydanticCustomError(exc.code, exc.message.replace("{", "(").replace("}", ")"))


class PartyIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    role: Literal["applicant", "respondent"]
    kind: Literal["person", "organization"] = "person"
    name: str = Field(min_length=1, max_length=100)
    id_number: str | None = Field(default=None, max_length=32)
    phone: str | None = Field(default=None, max_length=32)
    address: str | None = Field(default=None, max_length=200)
    is_government: StrictBool = False
    town_code: str | None = Field(default=None, max_length=40)
    village_code: str | None = Field(default=None, max_length=40)

    @field_validator("id_number")
    @classmethod
    def _id_number(cls, value: str | None) -> str | None:
        if not value:
            return None
        try:
            return validate_resident_id(value, today=datetime.now(SHANGHAI).date())
        except InvalidValue as exc:
            raise _pii_error(exc) from None

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if not value:
            return None
        try:
            return normalize_phone(value)
        except InvalidValue as exc:
            raise _pii_error(exc) from None


class CaseIn(BaseModel):
    """A dispute as a mediation committee registers it (登记)."""

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, json_schema_extra={"examples": [CASE_EXAMPLE]}
    )

    category: str = Field(
        description=(
            "A dispute category: one of the 15 top-level codes (e.g. contract, labour) or a sub-category "
            "(e.g. debt 民间借贷 under contract, migrant_wages under labour)."
        ),
        json_schema_extra=CATEGORY_ENUM,
    )
    summary: str = Field(min_length=5, max_length=2000)
    claim_amount: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=2)
    occurred_on: Annotated[date, BeforeValidator(written_as_a_date)] | None = Field(
        default=None,
        description=f"The day the dispute arose (Asia/Shanghai): from {OCCURRED_ON_EARLIEST} to today.",
    )
    # Not AwareDateTime: the receipt bounds below are narrower than the API's date range, and say more.
    received_at: (
        Annotated[datetime, BeforeValidator(written_as_a_date), AfterValidator(require_offset)] | None
    ) = Field(
        default=None,
        description=(
            "When the committee received the dispute, ISO 8601 with offset; default now. At most "
            f"{RECEIVED_AT_MAX_AGE.days} days back, and not in the future (5 minutes of clock skew allowed)."
        ),
    )
    risk_level: str = Field(default="low", json_schema_extra=RISK_LEVEL_ENUM)
    litigation_intended: StrictBool = Field(
        default=False,
        description="当事人已起诉或拟起诉: the parties have sued or intend to sue, so the case goes to "
        "pre-litigation mediation (诉前调解) at the court sub-center.",
    )
    judicial_confirmation_requested: StrictBool | None = Field(
        default=None,
        deprecated=True,
        description="Deprecated, accepted for one release: read as `litigation_intended`. Judicial "
        "confirmation (司法确认) is not a routing target; it is requested after a settlement with "
        "POST /cases/{id}/confirmation-request.",
    )
    town_code: str | None = Field(default=None, max_length=40)
    village_code: str | None = Field(default=None, max_length=40)
    parties: list[PartyIn] = Field(min_length=2, max_length=50)
    source: CaseSource = Field(
        default=CaseSource.APPLIED,
        description="How the case came: applied (申请调解), initiative (主动调解) or referred (委托移送).",
    )
    referred_by: Referrer | None = Field(
        default=None, description="Who referred it; required when source is referred, and only then."
    )
    confirm_duplicate: StrictBool = Field(
        default=False,
        description="仍然登记: register although a party's ID number is in an open case of the last 90 days "
        "(the answer without it is 409 `case.possible_duplicate` listing those cases).",
    )

    @field_validator("category")
    @classmethod
    def _category(cls, value: str) -> str:
        if value not in CATEGORIES:
            raise PydanticCustomError("category.unknown", "Unknown category; see the list of categories.")
        return value

    @field_validator("risk_level")
    @classmethod
    def _risk(cls, value: str) -> str:
        if value not in RISK_LEVELS:
            raise PydanticCustomError("risk_level.unknown", "Risk level must be low, medium or high.")
        return value

    @field_validator("received_at")
    @classmethod
    def _received_at(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        now = datetime.now(SHANGHAI)
        if value > now + CLOCK_SKEW:
            raise PydanticCustomError("received_at.future", "The receipt time is in the future.")
        if value < now - RECEIVED_AT_MAX_AGE:
            raise PydanticCustomError(
                "received_at.too_old",
                f"The receipt time is more than {RECEIVED_AT_MAX_AGE.days} days back; import older cases "
                "as history instead.",
            )
        return value

    @field_validator("occurred_on")
    @classmethod
    def _occurred_on(cls, value: date | None) -> date | None:
        if value is not None and value > datetime.now(SHANGHAI).date():
            raise PydanticCustomError("occurred_on.future", "The dispute cannot have occurred in the future.")
        if value is not None and value < OCCURRED_ON_EARLIEST:
            raise PydanticCustomError(
                "occurred_on.too_early", f"The dispute cannot have occurred before {OCCURRED_ON_EARLIEST}."
            )
        return value

    @model_validator(mode="before")
    @classmethod
    def _deprecated_flag(cls, data: Any) -> Any:
        """The old intake flag means what litigation_intended means now (sent to the court at intake)."""
        if isinstance(data, dict) and data.get("judicial_confirmation_requested") is True:
            return {**data, "litigation_intended": True}
        return data

    @model_validator(mode="wrap")
    @classmethod
    def _collect_all_errors(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        errors: list[InitErrorDetails] = []
        result = None
        try:
            result = handler(data)
        except ValidationError as exc:
            errors += [
                InitErrorDetails(
                    type=PydanticCustomError(
                        str(e["type"]),
                        str(e["msg"]).replace("{", "(").replace("}", ")"),
                        e.get("ctx"),  # the limits (min_length, ...), for the Chinese message
                    ),
                    loc=tuple(e["loc"]),
                    input=e.get("input"),
                )
                for e in exc.errors()
            ]
        errors += _party_role_errors(data)
        errors += _referral_errors(data)
        if errors:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        return result


def _party_role_errors(data: Any) -> list[InitErrorDetails]:
    parties = data.get("parties") if isinstance(data, dict) else None
    if not isinstance(parties, list):
        return []
    # A role of the wrong JSON type ({} or []) is reported by the field validation; here it counts as none.
    roles = {p.get("role") for p in parties if isinstance(p, dict) and isinstance(p.get("role"), str)}
    return [
        InitErrorDetails(
            type=PydanticCustomError(f"parties.{role}_missing", f"At least one {role} is required."),
            loc=("parties",),
            input=None,
        )
        for role in ("applicant", "respondent")
        if role not in roles
    ]


def _referral_errors(data: Any) -> list[InitErrorDetails]:
    if not isinstance(data, dict):
        return []
    referred, named = data.get("source") == CaseSource.REFERRED, data.get("referred_by") is not None
    if referred and not named:
        code, message = "referred_by.missing", "A referred case names who referred it."
    elif named and not referred:
        code, message = "referred_by.not_referred", "Only a referred case names who referred it."
    else:
        return []
    return [InitErrorDetails(type=PydanticCustomError(code, message), loc=("referred_by",), input=None)]


# 案号: (year), court code, case-type characters, number, 号: (2026)苏0481民特123号; brackets either width.
COURT_CASE_NUMBER_PATTERN = r"^[(（][0-9]{4}[)）][\u4e00-\u9fff][0-9]{0,6}[\u4e00-\u9fff]{1,6}[0-9]{1,7}号$"
CourtCaseNumber = Annotated[
    str,
    Field(
        min_length=8,
        max_length=64,
        pattern=COURT_CASE_NUMBER_PATTERN,
        description="The court's case number (案号), e.g. (2026)苏0481民特123号",
    ),
]


class OrgRef(BaseModel):
    code: str
    name: str
    tier: Tier


class PartyOut(BaseModel):
    role: PartyRole
    kind: Literal["person", "organization"]
    name: str
    id_number: str | None = Field(description="Masked: first 6 and last 4 characters.")
    phone: str | None = Field(
        description="Masked: a mobile's first 3 and last 4 digits (138****8000), a landline's area code and "
        "last 4 digits (0519****4321)."
    )
    address: str | None = Field(
        default=None,
        description="Only in the court's full view (the cases it holds, resolved or is asked to confirm); "
        "elsewhere null: the holder sees it with POST /cases/{id}/contact-reveal.",
    )
    is_government: bool


class RoutingOut(BaseModel):
    tier: Tier | None
    organization: OrgRef | None
    rule: str | None
    rule_set_version: int | None
    explanation: str | None
    flags: list[str]


class AssignmentOut(BaseModel):
    id: int
    organization: OrgRef
    tier: Tier
    clock_started_at: LocalDateTime
    dispatch_due_at: LocalDateTime | None
    dispatched_at: LocalDateTime
    auto_dispatched: bool
    accepted_at: LocalDateTime | None
    declined_at: LocalDateTime | None
    ended_at: LocalDateTime | None
    end_reason: str | None
    outcome: Outcome | None


class CaseBreachOut(BaseModel):
    """The latest dispatch-deadline breach of the case, if any."""

    due_at: LocalDateTime
    recorded_at: LocalDateTime
    open: bool
    closed_at: LocalDateTime | None
    lateness_hours: float | None
    lateness_working_days: int | None


class CaseOut(BaseModel):
    id: uuid.UUID
    reference: str
    status: CaseStatus
    version: int
    category: str = Field(json_schema_extra=CATEGORY_ENUM)
    summary: str
    claim_amount: Decimal | None
    occurred_on: date | None
    received_at: LocalDateTime
    risk_level: str = Field(json_schema_extra=RISK_LEVEL_ENUM)
    litigation_intended: bool
    source: CaseSource = CaseSource.APPLIED
    referred_by: Referrer | None = None
    town: OrgRef
    village: OrgRef | None
    intake_organization: OrgRef
    current_organization: OrgRef | None
    routing: RoutingOut
    current_assignment: AssignmentOut | None
    dispatch_due_at: LocalDateTime | None
    dispatch_due_provisional: bool
    breach: CaseBreachOut | None = None
    judicial_confirmation_due_on: date | None = Field(
        default=None,
        description="Last day to apply for judicial confirmation of a settled agreement (30 days)",
    )
    outcome: Outcome | None
    resolved_at: LocalDateTime | None
    parties: list[PartyOut]
    created_at: LocalDateTime
    updated_at: LocalDateTime


class CasePage(BaseModel):
    items: list[CaseOut]
    next_cursor: str | None


class EventOut(BaseModel):
    id: int
    type: str
    from_status: CaseStatus | None
    to_status: CaseStatus | None
    case_version: int
    actor: str | None
    organization: str | None
    reason: str | None
    data: dict[str, Any]
    occurred_at: LocalDateTime


class EventPage(BaseModel):
    items: list[EventOut]
    next_cursor: str | None
