"""The routing-rule engine (分流规则引擎): pure data + evaluation, no I/O beyond reading the bundled YAML.

A rule set is an ordered list of rules; ``evaluate`` returns the first rule whose conditions all hold
(the last rule is always a catch-all, so every case routes) together with a readable Chinese
explanation and, for a dry run, why each earlier rule did not apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, Self

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError, PydanticKnownError

from app.routing.categories import CATEGORIES, CATEGORY_PARENT, top_category
from app.routing.conditions import check_conditions

# Categories that have a city-wide specialised committee (行业性专业性调解组织).
SPECIALISED_CATEGORIES: frozenset[str] = frozenset(
    {"labour", "medical", "traffic", "property_management", "marriage_family", "consumer", "enterprise"}
)
RISK_LEVELS: tuple[str, ...] = ("low", "medium", "high")
RISK_LABELS: dict[str, str] = {"low": "低", "medium": "中", "high": "高"}
TIERS: tuple[str, ...] = ("village", "town", "specialised", "city_center", "court")
TIER_LABELS: dict[str, str] = {
    "village": "村（社区）人民调解委员会",
    "town": "镇（街道）调委会/非诉讼服务站",
    "specialised": "行业性专业性调解组织",
    "city_center": "市级非诉讼服务中心",
    "court": "法院分中心",
}
CITY_CHANNELS: dict[str, str] = {
    "general": "市非诉讼服务中心",
    "lawyer_mediation": "律师调解",
    "notarization": "公证",
    "arbitration": "仲裁",
    "administrative_review": "行政复议",
    "legal_aid": "法律援助",
    "administrative_mediation": "行政调解",
}
# Each selector names organizations of exactly one tier.
SELECTOR_TIER: dict[str, str] = {
    "case_village": "village",
    "case_town_station": "town",
    "specialised_for_category": "specialised",
    "city_channel": "city_center",
    "court": "court",
}
FLAGS: dict[str, str] = {"high_attention": "重点关注", "mass_dispute": "群体性纠纷"}

Tier = Literal["village", "town", "specialised", "city_center", "court"]
Selector = Literal["case_village", "case_town_station", "specialised_for_category", "city_channel", "court"]


def tier_rank(tier: str) -> int:
    """0 for ``village`` … 4 for ``court``; ValueError for an unknown tier."""
    try:
        return TIERS.index(tier)
    except ValueError:
        raise ValueError(f"unknown tier '{tier}'") from None


@dataclass(frozen=True)
class CaseFacts:
    category: str
    claim_amount: Decimal | None
    applicant_count: int
    respondent_count: int
    cross_village: bool  # parties live in different villages/communities
    cross_town: bool  # parties live in different towns/subdistricts
    risk_level: str
    respondent_is_government: bool
    litigation_intended: bool

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"unknown category {self.category!r}")
        if self.risk_level not in RISK_LEVELS:
            raise ValueError(f"unknown risk level {self.risk_level!r}")
        if self.applicant_count < 1 or self.respondent_count < 0:
            raise ValueError("applicant_count must be >= 1 and respondent_count >= 0")
        amount = self.claim_amount
        if amount is not None:
            if isinstance(amount, int) and not isinstance(amount, bool):
                object.__setattr__(self, "claim_amount", Decimal(amount))
            elif not isinstance(amount, Decimal) or not amount.is_finite() or amount < 0:
                raise ValueError(f"claim_amount must be a finite non-negative Decimal, got '{amount}'")


@dataclass(frozen=True)
class RuleCheck:
    """Why an earlier rule did not apply: its first failing condition."""

    rule_id: str
    condition: str
    reason: str


@dataclass(frozen=True)
class Decision:
    rule_id: str
    tier: str
    selector: str
    channel: str | None
    flags: tuple[str, ...]
    explanation: str
    checked: tuple[RuleCheck, ...]
    rule_set_version: int = 0


@dataclass(frozen=True)
class _Labels:
    categories: Mapping[str, str]
    risk_levels: Mapping[str, str]
    parents: Mapping[str, str]


_LABELS = _Labels(CATEGORIES, RISK_LABELS, CATEGORY_PARENT)


def target_label(tier: str, selector: str, channel: str | None, category: str | None = None) -> str:
    """A Chinese name for where a decision sends the case, e.g. "市级非诉讼服务中心（行政复议）"."""
    if selector == "case_village":
        return "案件所在村（社区）人民调解委员会"
    if selector == "case_town_station":
        return "案件所在镇（街道）非诉讼服务站"
    if selector == "specialised_for_category":
        return f"{CATEGORIES.get(top_category(category or ''), '')}行业性专业性调解组织"
    if selector == "city_channel":
        if channel in (None, "general"):
            return "市级非诉讼服务中心"
        return f"市级非诉讼服务中心（{CITY_CHANNELS.get(channel, channel)}）"
    return TIER_LABELS.get(tier, tier)


_MESSAGES = {
    "empty_amount_range": "claim_amount_lt must be greater than claim_amount_gte",
    "category_conflict": "categories both included and excluded: {both}",
    "tier_selector_mismatch": "selector '{selector}' requires tier '{expected}'",
    "channel_required": "selector 'city_channel' requires a channel",
    "channel_not_allowed": "channel is only allowed with selector 'city_channel'",
    "specialised_category_required": "selector specialised_for_category needs category_in within: {allowed}",
    "duplicate_flag": "flag '{flag}' listed twice",
    "duplicate_rule_id": "rule id '{id}' already used by rule {first}",
    "catch_all_not_last": "a rule without conditions matches every case; only the last rule may be one",
    "missing_catch_all": "the last rule must have no conditions (catch-all) so that every case routes",
}


def _error(code: str, loc: tuple[str | int, ...], value: Any, **ctx: Any) -> InitErrorDetails:
    return InitErrorDetails(
        type=PydanticCustomError(code, _MESSAGES[code], ctx or None), loc=loc, input=value
    )


def _raise(model: str, errors: list[InitErrorDetails]) -> None:
    if errors:
        raise ValidationError.from_exception_data(model, errors)


def _member(code: str, vocabulary: Mapping[str, str], what: str) -> AfterValidator:
    def check(value: str) -> str:
        if value not in vocabulary:
            raise PydanticCustomError(
                code,
                "unknown {what} '{value}'; expected one of: {allowed}",
                {"what": what, "value": value, "allowed": ", ".join(vocabulary)},
            )
        return value

    return AfterValidator(check)


Category = Annotated[str, _member("unknown_category", CATEGORIES, "category")]
RiskLevel = Annotated[str, _member("unknown_risk_level", RISK_LABELS, "risk level")]
Channel = Annotated[str, _member("unknown_channel", CITY_CHANNELS, "city channel")]
Flag = Annotated[str, _member("unknown_flag", FLAGS, "flag")]
Amount = Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]


def _non_empty(values: tuple[str, ...]) -> tuple[str, ...]:
    # Not Field(min_length=1): that would add a spurious "too_short" when an item is invalid.
    if not values:
        raise PydanticKnownError("too_short", {"field_type": "List", "min_length": 1, "actual_length": 0})
    return values


Categories = Annotated[tuple[Category, ...], AfterValidator(_non_empty)]
RiskLevels = Annotated[tuple[RiskLevel, ...], AfterValidator(_non_empty)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class When(_Model):
    """Conditions of a rule; every set condition must hold. Nothing set = catch-all."""

    category_in: Categories | None = None
    category_not_in: Categories | None = None
    claim_amount_gte: Amount | None = None
    claim_amount_lt: Amount | None = None
    applicant_count_gte: Annotated[int, Field(ge=1, strict=True)] | None = None
    cross_village: StrictBool | None = None
    cross_town: StrictBool | None = None
    risk_level_in: RiskLevels | None = None
    respondent_is_government: StrictBool | None = None
    litigation_intended: StrictBool | None = None

    @property
    def is_catch_all(self) -> bool:
        return all(value is None for value in self.model_dump().values())

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        errors = []
        low, high = self.claim_amount_gte, self.claim_amount_lt
        if low is not None and high is not None and high <= low:
            errors.append(_error("empty_amount_range", ("claim_amount_lt",), str(high)))
        if both := ", ".join(sorted(set(self.category_in or ()) & set(self.category_not_in or ()))):
            errors.append(_error("category_conflict", ("category_not_in",), self.category_not_in, both=both))
        _raise("When", errors)
        return self


class Target(_Model):
    tier: Tier
    selector: Selector
    channel: Channel | None = None  # only with selector city_channel

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        errors = []
        expected = SELECTOR_TIER[self.selector]
        if self.tier != expected:
            errors.append(
                _error(
                    "tier_selector_mismatch", ("tier",), self.tier, selector=self.selector, expected=expected
                )
            )
        if self.selector == "city_channel" and self.channel is None:
            errors.append(_error("channel_required", ("channel",), None))
        if self.selector != "city_channel" and self.channel is not None:
            errors.append(_error("channel_not_allowed", ("channel",), self.channel))
        _raise("Target", errors)
        return self


class Rule(_Model):
    id: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=64)
    description: str = Field(min_length=1, max_length=200)
    when: When = Field(default_factory=When)
    target: Target
    flags: tuple[Flag, ...] = ()

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        errors = []
        if self.target.selector == "specialised_for_category":
            allowed = self.when.category_in or ()
            if not allowed or not {top_category(c) for c in allowed} <= SPECIALISED_CATEGORIES:
                errors.append(
                    _error(
                        "specialised_category_required",
                        ("when", "category_in"),
                        list(allowed),
                        allowed=", ".join(sorted(SPECIALISED_CATEGORIES)),
                    )
                )
        seen: set[str] = set()
        for index, flag in enumerate(self.flags):
            if flag in seen:
                errors.append(_error("duplicate_flag", ("flags", index), flag, flag=flag))
            seen.add(flag)
        _raise("Rule", errors)
        return self


class RuleSet(_Model):
    version: int = Field(default=0, ge=0)  # assigned by storage
    rules: tuple[Rule, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        errors = []
        first_index: dict[str, int] = {}
        for index, rule in enumerate(self.rules):
            if (first := first_index.setdefault(rule.id, index)) != index:
                errors.append(
                    _error("duplicate_rule_id", ("rules", index, "id"), rule.id, id=rule.id, first=first)
                )
        last = len(self.rules) - 1
        for index, rule in enumerate(self.rules[:-1]):
            if rule.when.is_catch_all:
                errors.append(_error("catch_all_not_last", ("rules", index, "when"), {}))
        if not self.rules[-1].when.is_catch_all:
            errors.append(
                _error(
                    "missing_catch_all",
                    ("rules", last, "when"),
                    self.rules[-1].when.model_dump(exclude_none=True),
                )
            )
        _raise("RuleSet", errors)
        return self


DEFAULT_RULES_PATH = Path(__file__).with_name("default_rules.yaml")


def parse_rule_set(data: Mapping[str, Any]) -> RuleSet:
    """Validate a rule set (e.g. a PUT body or a stored JSON document). Raises pydantic ValidationError."""
    return RuleSet.model_validate(data)


def parse_rule_set_yaml(text: str) -> RuleSet:
    """Parse YAML text (as in ``default_rules.yaml``) into a validated rule set."""
    return parse_rule_set(yaml.safe_load(text))


@lru_cache(maxsize=1)
def load_default_rule_set() -> RuleSet:
    """The bundled default rule set (immutable, so cached)."""
    return parse_rule_set_yaml(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))


def evaluate(rule_set: RuleSet, facts: CaseFacts) -> Decision:
    """Route ``facts``: the first rule whose conditions all hold wins."""
    checked: list[RuleCheck] = []
    for rule in rule_set.rules:
        conditions = {name: getattr(rule.when, name) for name in When.model_fields}
        failed, reasons = check_conditions(conditions, facts, _LABELS)
        if failed is not None:
            checked.append(RuleCheck(rule.id, failed, reasons[0]))
            continue
        target = rule.target
        why = "；".join(reasons) if reasons else "前述规则均不适用（兜底规则）"
        where = target_label(target.tier, target.selector, target.channel, facts.category)
        explanation = f"规则 {rule.id}（{rule.description}）命中：{why}；分派至{where}。"
        if rule.flags:
            explanation += f"标记：{'、'.join(FLAGS[flag] for flag in rule.flags)}。"
        return Decision(
            rule_id=rule.id,
            tier=target.tier,
            selector=target.selector,
            channel=target.channel,
            flags=rule.flags,
            explanation=explanation,
            checked=tuple(checked),
            rule_set_version=rule_set.version,
        )
    # Unreachable for a validated rule set (the last rule is a catch-all).
    raise ValueError("no routing rule matched; the rule set has no catch-all rule")
