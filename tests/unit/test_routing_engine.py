"""Unit tests for the pure routing-rule engine (app/routing/engine.py)."""

from __future__ import annotations

import copy
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from app.routing.categories import TOP_CATEGORIES, top_category
from app.routing.engine import (
    CATEGORIES,
    CITY_CHANNELS,
    RISK_LEVELS,
    SELECTOR_TIER,
    SPECIALISED_CATEGORIES,
    TIERS,
    CaseFacts,
    Decision,
    RuleSet,
    evaluate,
    load_default_rule_set,
    parse_rule_set,
    parse_rule_set_yaml,
    tier_rank,
)

D = Decimal


def facts(**overrides: Any) -> CaseFacts:
    """A plain village-level case: one neighbour vs another in the same village, small amount, low risk."""
    base: dict[str, Any] = {
        "category": "neighbour",
        "claim_amount": D("1000.00"),
        "applicant_count": 1,
        "respondent_count": 1,
        "cross_village": False,
        "cross_town": False,
        "risk_level": "low",
        "respondent_is_government": False,
        "litigation_intended": False,
    }
    base.update(overrides)
    return CaseFacts(**base)


@pytest.fixture(scope="module")
def default() -> RuleSet:
    return load_default_rule_set()


DEFAULT_ORDER = [
    "litigation-intended",
    "government-respondent",
    "mass-dispute",
    "high-risk",
    "cross-town",
    "specialised",
    "land-contract",
    "town-threshold",
    "cross-village",
    "village-default",
]


# ----------------------------------------------------------------------------------------------
# Vocabulary
# ----------------------------------------------------------------------------------------------


def test_vocabulary() -> None:
    assert len(TOP_CATEGORIES) == 15 and len(CATEGORIES) == 21
    assert CATEGORIES["labour"] == "劳动争议"
    assert CATEGORIES["debt"] == "民间借贷" and top_category("debt") == "contract"
    assert "administrative" not in CATEGORIES
    assert RISK_LEVELS == ("low", "medium", "high")
    assert TIERS == ("village", "town", "specialised", "city_center", "court")
    assert [tier_rank(t) for t in TIERS] == [0, 1, 2, 3, 4]
    assert tier_rank("village") < tier_rank("town") < tier_rank("city_center") < tier_rank("court")
    with pytest.raises(ValueError, match="unknown tier"):
        tier_rank("province")
    assert set(CITY_CHANNELS) == {
        "general",
        "lawyer_mediation",
        "notarization",
        "arbitration",
        "administrative_review",
        "legal_aid",
        "administrative_mediation",
    }
    assert CITY_CHANNELS["general"] == "市非诉讼服务中心"
    assert set(SELECTOR_TIER.values()) == set(TIERS)
    assert set(CATEGORIES) >= SPECIALISED_CATEGORIES


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"category": "fishing"}, "unknown category"),
        ({"risk_level": "extreme"}, "unknown risk level"),
        ({"applicant_count": 0}, "applicant_count"),
        ({"respondent_count": -1}, "respondent_count"),
        ({"claim_amount": D("-1")}, "claim_amount"),
        ({"claim_amount": D("NaN")}, "claim_amount"),
        ({"claim_amount": 1.5}, "claim_amount"),
    ],
)
def test_case_facts_rejects_bad_values(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        facts(**overrides)


def test_case_facts_int_amount_becomes_decimal() -> None:
    f = facts(claim_amount=50000)
    assert f.claim_amount == D(50000)
    assert isinstance(f.claim_amount, Decimal)


# ----------------------------------------------------------------------------------------------
# The default rule set
# ----------------------------------------------------------------------------------------------


def test_default_rule_set_order_and_shape(default: RuleSet) -> None:
    assert [r.id for r in default.rules] == DEFAULT_ORDER
    assert default.version == 0
    assert default.rules[-1].when.is_catch_all
    assert all(not r.when.is_catch_all for r in default.rules[:-1])
    assert all(r.description for r in default.rules)
    assert load_default_rule_set() is load_default_rule_set()  # cached; models are frozen


# (overrides, rule_id, tier, selector, channel, flags)
ROUTING_TABLE: list[tuple[str, dict[str, Any], str, str, str, str | None, tuple[str, ...]]] = [
    ("plain neighbour", {}, "village-default", "village", "case_village", None, ()),
    (
        "judicial confirmation",
        {"litigation_intended": True},
        "litigation-intended",
        "court",
        "court",
        None,
        (),
    ),
    (
        "government respondent",
        {"respondent_is_government": True},
        "government-respondent",
        "city_center",
        "city_channel",
        "administrative_review",
        (),
    ),
    (
        "a sub-category routes like its parent",
        {"category": "other_consumer"},
        "specialised",
        "specialised",
        "specialised_for_category",
        None,
        (),
    ),
    (
        "5 applicants",
        {"applicant_count": 5},
        "mass-dispute",
        "city_center",
        "city_channel",
        "general",
        ("mass_dispute", "high_attention"),
    ),
    (
        "40 applicants",
        {"applicant_count": 40},
        "mass-dispute",
        "city_center",
        "city_channel",
        "general",
        ("mass_dispute", "high_attention"),
    ),
    ("4 applicants", {"applicant_count": 4}, "village-default", "village", "case_village", None, ()),
    (
        "high risk",
        {"risk_level": "high"},
        "high-risk",
        "city_center",
        "city_channel",
        "general",
        ("high_attention",),
    ),
    ("medium risk", {"risk_level": "medium"}, "village-default", "village", "case_village", None, ()),
    (
        "cross town",
        {"cross_town": True, "cross_village": True},
        "cross-town",
        "city_center",
        "city_channel",
        "general",
        (),
    ),
    ("labour", {"category": "labour"}, "specialised", "specialised", "specialised_for_category", None, ()),
    ("medical", {"category": "medical"}, "specialised", "specialised", "specialised_for_category", None, ()),
    ("traffic", {"category": "traffic"}, "specialised", "specialised", "specialised_for_category", None, ()),
    (
        "property",
        {"category": "property_management"},
        "specialised",
        "specialised",
        "specialised_for_category",
        None,
        (),
    ),
    (
        "consumer",
        {"category": "consumer"},
        "specialised",
        "specialised",
        "specialised_for_category",
        None,
        (),
    ),
    (
        "enterprise",
        {"category": "enterprise"},
        "specialised",
        "specialised",
        "specialised_for_category",
        None,
        (),
    ),
    (
        "big labour stays specialised",
        {"category": "labour", "claim_amount": D("900000")},
        "specialised",
        "specialised",
        "specialised_for_category",
        None,
        (),
    ),
    (
        "family in one village",
        {"category": "marriage_family"},
        "village-default",
        "village",
        "case_village",
        None,
        (),
    ),
    (
        "family across villages",
        {"category": "marriage_family", "cross_village": True},
        "cross-village",
        "town",
        "case_town_station",
        None,
        (),
    ),
    ("land", {"category": "land"}, "land-contract", "town", "case_town_station", None, ()),
    (
        "housing stays in village",
        {"category": "housing"},
        "village-default",
        "village",
        "case_village",
        None,
        (),
    ),
    (
        "amount 50000.00",
        {"claim_amount": D("50000.00")},
        "town-threshold",
        "town",
        "case_town_station",
        None,
        (),
    ),
    ("amount 50000", {"claim_amount": D("50000")}, "town-threshold", "town", "case_town_station", None, ()),
    (
        "amount 49999.99",
        {"claim_amount": D("49999.99")},
        "village-default",
        "village",
        "case_village",
        None,
        (),
    ),
    ("amount None", {"claim_amount": None}, "village-default", "village", "case_village", None, ()),
    ("amount 0", {"claim_amount": D("0")}, "village-default", "village", "case_village", None, ()),
    (
        "debt 80000",
        {"category": "debt", "claim_amount": D("80000")},
        "town-threshold",
        "town",
        "case_town_station",
        None,
        (),
    ),
    ("cross village", {"cross_village": True}, "cross-village", "town", "case_town_station", None, ()),
    ("other category", {"category": "other"}, "village-default", "village", "case_village", None, ()),
    (
        "many respondents do not matter",
        {"respondent_count": 30},
        "village-default",
        "village",
        "case_village",
        None,
        (),
    ),
]


@pytest.mark.parametrize(
    "overrides, rule_id, tier, selector, channel, flags",
    [row[1:] for row in ROUTING_TABLE],
    ids=[row[0] for row in ROUTING_TABLE],
)
def test_default_routing_table(
    default: RuleSet,
    overrides: dict[str, Any],
    rule_id: str,
    tier: str,
    selector: str,
    channel: str | None,
    flags: tuple[str, ...],
) -> None:
    decision = evaluate(default, facts(**overrides))
    assert (decision.rule_id, decision.tier, decision.selector, decision.channel, decision.flags) == (
        rule_id,
        tier,
        selector,
        channel,
        flags,
    )
    assert [c.rule_id for c in decision.checked] == DEFAULT_ORDER[: DEFAULT_ORDER.index(rule_id)]


def test_every_default_rule_is_reachable(default: RuleSet) -> None:
    reached = {evaluate(default, facts(**row[1])).rule_id for row in ROUTING_TABLE}
    assert reached == set(DEFAULT_ORDER)


PRIORITY_TABLE: list[tuple[str, dict[str, Any], str]] = [
    (
        "labour across towns → city",
        {"category": "labour", "cross_town": True, "cross_village": True},
        "cross-town",
    ),
    (
        "government respondent + judicial confirmation → court",
        {"respondent_is_government": True, "litigation_intended": True},
        "litigation-intended",
    ),
    (
        "mass dispute against government → administrative review",
        {"respondent_is_government": True, "applicant_count": 8},
        "government-respondent",
    ),
    ("mass + high risk → mass dispute", {"applicant_count": 5, "risk_level": "high"}, "mass-dispute"),
    ("high-risk labour → city", {"category": "labour", "risk_level": "high"}, "high-risk"),
    ("mass labour → city", {"category": "labour", "applicant_count": 12}, "mass-dispute"),
    ("labour across villages → specialised", {"category": "labour", "cross_village": True}, "specialised"),
    ("big land dispute → land rule first", {"category": "land", "claim_amount": D("99999")}, "land-contract"),
    (
        "big + cross-village → threshold first",
        {"claim_amount": D("60000"), "cross_village": True},
        "town-threshold",
    ),
    ("land across towns → city", {"category": "land", "cross_town": True}, "cross-town"),
    (
        "government respondent + litigation intended → court",
        {"category": "land_acquisition", "respondent_is_government": True, "litigation_intended": True},
        "litigation-intended",
    ),
]


@pytest.mark.parametrize(
    "overrides, rule_id", [row[1:] for row in PRIORITY_TABLE], ids=[row[0] for row in PRIORITY_TABLE]
)
def test_priority_conflicts(default: RuleSet, overrides: dict[str, Any], rule_id: str) -> None:
    assert evaluate(default, facts(**overrides)).rule_id == rule_id


# ----------------------------------------------------------------------------------------------
# Explanations and "why not"
# ----------------------------------------------------------------------------------------------


def test_explanation_cross_town_matches_spec_sentence(default: RuleSet) -> None:
    decision = evaluate(default, facts(cross_town=True, cross_village=True))
    assert decision.explanation == (
        "规则 cross-town（跨镇纠纷→市非诉讼服务中心）命中："
        "当事人分属不同镇（街道）；分派至市级非诉讼服务中心。"
    )


@pytest.mark.parametrize(
    "overrides, fragments",
    [
        (
            {"claim_amount": D("50000.00")},
            ["town-threshold", "标的额 50,000.00 元，达到 50,000.00 元", "镇（街道）"],
        ),
        ({"applicant_count": 5}, ["mass-dispute", "申请人 5 人，达到 5 人", "重点关注", "群体性纠纷"]),
        ({"risk_level": "high"}, ["high-risk", "风险等级为「高」", "重点关注"]),
        ({"category": "labour"}, ["specialised", "纠纷类别为「劳动争议」", "劳动争议行业性专业性调解组织"]),
        ({"respondent_is_government": True}, ["government-respondent", "被申请人为政府机关", "行政复议"]),
        (
            {"litigation_intended": True},
            ["litigation-intended", "当事人已起诉或拟起诉", "法院分中心"],
        ),
        ({"cross_village": True}, ["cross-village", "当事人分属不同村（社区）"]),
        ({"category": "land"}, ["land-contract", "纠纷类别为「山林土地」"]),
        ({}, ["village-default", "兜底", "案件所在村（社区）人民调解委员会"]),
    ],
)
def test_explanation_names_rule_and_facts(
    default: RuleSet, overrides: dict[str, Any], fragments: list[str]
) -> None:
    decision = evaluate(default, facts(**overrides))
    assert decision.explanation.startswith(f"规则 {decision.rule_id}（")
    assert decision.explanation.endswith("。")
    for fragment in fragments:
        assert fragment in decision.explanation


def test_checked_explains_why_not_village(default: RuleSet) -> None:
    decision = evaluate(default, facts(claim_amount=D("49999.99")))
    assert decision.rule_id == "village-default"
    by_rule = {c.rule_id: c for c in decision.checked}
    assert list(by_rule) == DEFAULT_ORDER[:-1]
    assert by_rule["litigation-intended"].condition == "litigation_intended"
    assert by_rule["litigation-intended"].reason == "当事人未表示起诉"
    assert by_rule["government-respondent"].reason == "被申请人不是政府机关"
    assert by_rule["mass-dispute"].condition == "applicant_count_gte"
    assert by_rule["mass-dispute"].reason == "申请人 1 人，不足 5 人"
    assert by_rule["high-risk"].condition == "risk_level_in"
    assert "「低」" in by_rule["high-risk"].reason
    assert by_rule["cross-town"].reason == "当事人同属一个镇（街道）"
    assert by_rule["specialised"].condition == "category_in"
    assert "「邻里」" in by_rule["specialised"].reason
    assert by_rule["town-threshold"].condition == "claim_amount_gte"
    assert by_rule["town-threshold"].reason == "标的额 49,999.99 元，不足 50,000.00 元"
    assert by_rule["cross-village"].reason == "当事人同属一个村（社区）"


def test_checked_with_no_amount(default: RuleSet) -> None:
    decision = evaluate(default, facts(claim_amount=None))
    threshold = next(c for c in decision.checked if c.rule_id == "town-threshold")
    assert threshold.reason == "未填写标的额"


def test_first_rule_match_has_empty_checked(default: RuleSet) -> None:
    assert evaluate(default, facts(litigation_intended=True)).checked == ()


def test_decision_carries_rule_set_version(default: RuleSet) -> None:
    versioned = parse_rule_set({**default.model_dump(mode="json"), "version": 7})
    assert evaluate(versioned, facts()).rule_set_version == 7


def test_multi_condition_rule_reports_every_fact_and_first_failure() -> None:
    rs = parse_rule_set(
        {
            "rules": [
                {
                    "id": "big-debt-across-villages",
                    "description": "跨村大额借贷",
                    "when": {
                        "category_in": ["debt"],
                        "claim_amount_gte": "10000",
                        "claim_amount_lt": "100000",
                        "cross_village": True,
                    },
                    "target": {
                        "tier": "city_center",
                        "selector": "city_channel",
                        "channel": "lawyer_mediation",
                    },
                },
                {
                    "id": "rest",
                    "description": "其余",
                    "target": {"tier": "village", "selector": "case_village"},
                },
            ]
        }
    )
    hit = evaluate(rs, facts(category="debt", claim_amount=D("20000"), cross_village=True))
    assert hit.rule_id == "big-debt-across-villages"
    for fragment in [
        "纠纷类别为「民间借贷」",
        "达到 10,000.00 元",
        "低于 100,000.00 元",
        "当事人分属不同村",
        "律师调解",
    ]:
        assert fragment in hit.explanation
    miss = evaluate(rs, facts(category="debt", claim_amount=D("100000"), cross_village=True))
    assert miss.rule_id == "rest"
    assert miss.checked[0].condition == "claim_amount_lt"
    assert miss.checked[0].reason == "标的额 100,000.00 元，不低于 100,000.00 元"


# ----------------------------------------------------------------------------------------------
# Rule-set validation
# ----------------------------------------------------------------------------------------------


def _valid() -> dict[str, Any]:
    return copy.deepcopy(load_default_rule_set().model_dump(mode="json", exclude_none=True))


def _errors(data: dict[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    with pytest.raises(ValidationError) as info:
        parse_rule_set(data)
    return [(tuple(e["loc"]), e["type"]) for e in info.value.errors()]


def test_valid_default_dump_parses() -> None:
    parse_rule_set(_valid())


def test_bad_selector_tier_pair() -> None:
    data = _valid()
    data["rules"][7]["target"]["tier"] = "village"  # land-contract: case_town_station needs town
    assert _errors(data) == [(("rules", 7, "target", "tier"), "tier_selector_mismatch")]


def test_court_selector_needs_court_tier() -> None:
    data = _valid()
    data["rules"][0]["target"] = {"tier": "city_center", "selector": "court"}
    assert _errors(data) == [(("rules", 0, "target", "tier"), "tier_selector_mismatch")]


def test_unknown_tier_and_selector() -> None:
    data = _valid()
    data["rules"][0]["target"] = {"tier": "province", "selector": "anywhere"}
    assert _errors(data) == [
        (("rules", 0, "target", "tier"), "literal_error"),
        (("rules", 0, "target", "selector"), "literal_error"),
    ]


def test_city_channel_without_channel() -> None:
    data = _valid()
    del data["rules"][3]["target"]["channel"]
    assert _errors(data) == [(("rules", 3, "target", "channel"), "channel_required")]


def test_channel_with_other_selector() -> None:
    data = _valid()
    data["rules"][8]["target"]["channel"] = "general"
    assert _errors(data) == [(("rules", 8, "target", "channel"), "channel_not_allowed")]


def test_unknown_channel() -> None:
    data = _valid()
    data["rules"][1]["target"]["channel"] = "petition"
    assert _errors(data) == [(("rules", 1, "target", "channel"), "unknown_channel")]


def test_unknown_category() -> None:
    data = _valid()
    data["rules"][6]["when"]["category_in"] = ["labour", "fishing"]
    assert _errors(data) == [(("rules", 6, "when", "category_in", 1), "unknown_category")]


def test_unknown_category_in_not_in() -> None:
    data = _valid()
    data["rules"][2]["when"]["category_not_in"] = ["ghosts"]
    assert _errors(data) == [(("rules", 2, "when", "category_not_in", 0), "unknown_category")]


def test_unknown_risk_level_and_flag() -> None:
    data = _valid()
    data["rules"][3]["when"]["risk_level_in"] = ["severe"]
    data["rules"][3]["flags"] = ["high_attention", "vip"]
    assert _errors(data) == [
        (("rules", 3, "when", "risk_level_in", 0), "unknown_risk_level"),
        (("rules", 3, "flags", 1), "unknown_flag"),
    ]


def test_duplicate_flag() -> None:
    data = _valid()
    data["rules"][3]["flags"] = ["high_attention", "high_attention"]
    assert _errors(data) == [(("rules", 3, "flags", 1), "duplicate_flag")]


def test_duplicate_id() -> None:
    data = _valid()
    data["rules"][4]["id"] = "high-risk"
    assert _errors(data) == [(("rules", 4, "id"), "duplicate_rule_id")]


def test_bad_id_slug() -> None:
    data = _valid()
    data["rules"][0]["id"] = "Judicial Confirmation"
    assert _errors(data) == [(("rules", 0, "id"), "string_pattern_mismatch")]


def test_missing_catch_all() -> None:
    data = _valid()
    data["rules"].pop()
    assert _errors(data) == [(("rules", 8, "when"), "missing_catch_all")]


def test_catch_all_not_last() -> None:
    data = _valid()
    data["rules"][2]["when"] = {}
    assert _errors(data) == [(("rules", 2, "when"), "catch_all_not_last")]


def test_explicit_null_conditions_count_as_catch_all() -> None:
    data = _valid()
    data["rules"][-1]["when"] = {"cross_town": None}
    assert parse_rule_set(data).rules[-1].when.is_catch_all


def test_empty_rules() -> None:
    assert _errors({"rules": []}) == [(("rules",), "too_short")]


def test_missing_rules() -> None:
    assert _errors({}) == [(("rules",), "missing")]


def test_unknown_fields() -> None:
    data = _valid()
    data["rules"][7]["when"]["amount_gte"] = 1
    data["rules"][7]["priority"] = 3
    data["rules"][7]["target"]["organization"] = "x"
    data["parameters"] = {}
    assert sorted(_errors(data), key=str) == sorted(
        [
            (("rules", 7, "when", "amount_gte"), "extra_forbidden"),
            (("rules", 7, "priority"), "extra_forbidden"),
            (("rules", 7, "target", "organization"), "extra_forbidden"),
            (("parameters",), "extra_forbidden"),
        ],
        key=str,
    )


def test_strict_booleans_and_counts() -> None:
    data = _valid()
    data["rules"][4]["when"]["cross_town"] = "yes"
    data["rules"][2]["when"]["applicant_count_gte"] = "5"
    assert _errors(data) == [
        (("rules", 2, "when", "applicant_count_gte"), "int_type"),
        (("rules", 4, "when", "cross_town"), "bool_type"),
    ]


@pytest.mark.parametrize("value, code", [(0, "greater_than_equal"), (-3, "greater_than_equal")])
def test_applicant_threshold_must_be_positive(value: int, code: str) -> None:
    data = _valid()
    data["rules"][2]["when"]["applicant_count_gte"] = value
    assert _errors(data) == [(("rules", 2, "when", "applicant_count_gte"), code)]


def test_negative_and_non_finite_amounts() -> None:
    data = _valid()
    data["rules"][7]["when"]["claim_amount_gte"] = "-1"
    assert _errors(data) == [(("rules", 7, "when", "claim_amount_gte"), "greater_than_equal")]
    data["rules"][7]["when"]["claim_amount_gte"] = "Infinity"
    assert _errors(data)[0][0] == ("rules", 7, "when", "claim_amount_gte")


def test_empty_amount_range() -> None:
    data = _valid()
    data["rules"][7]["when"]["claim_amount_lt"] = "50000"
    assert _errors(data) == [(("rules", 7, "when", "claim_amount_lt"), "empty_amount_range")]


def test_category_conflict_and_empty_list() -> None:
    data = _valid()
    data["rules"][5]["when"]["category_not_in"] = ["labour"]
    data["rules"][6]["when"]["category_in"] = []
    assert _errors(data) == [
        (("rules", 5, "when", "category_not_in"), "category_conflict"),
        (("rules", 6, "when", "category_in"), "too_short"),
    ]


def test_specialised_selector_needs_specialised_categories() -> None:
    data = _valid()
    data["rules"][5]["when"]["category_in"] = ["labour", "neighbour"]
    assert _errors(data) == [(("rules", 5, "when", "category_in"), "specialised_category_required")]
    data["rules"][5]["when"] = {"cross_village": True}
    assert _errors(data) == [(("rules", 5, "when", "category_in"), "specialised_category_required")]


def test_several_errors_reported_together() -> None:
    data = _valid()
    data["rules"][0]["target"]["tier"] = "town"
    data["rules"][1]["id"] = "litigation-intended"
    data["rules"].pop()
    assert _errors(data) == [
        (("rules", 0, "target", "tier"), "tier_selector_mismatch"),
    ]  # per-rule errors stop set-level checks (pydantic skips "after" validators on invalid items)
    data["rules"][0]["target"]["tier"] = "court"
    assert _errors(data) == [
        (("rules", 1, "id"), "duplicate_rule_id"),
        (("rules", 8, "when"), "missing_catch_all"),
    ]


def test_error_messages_are_readable() -> None:
    data = _valid()
    data["rules"][6]["target"]["tier"] = "village"
    with pytest.raises(ValidationError) as info:
        parse_rule_set(data)
    assert info.value.errors()[0]["msg"] == "selector 'case_town_station' requires tier 'town'"
    data = _valid()
    data["rules"][5]["when"]["category_in"] = ["fishing"]
    with pytest.raises(ValidationError) as info:
        parse_rule_set(data)
    assert "unknown category 'fishing'" in info.value.errors()[0]["msg"]


def test_parse_yaml_and_amount_decimals() -> None:
    rs = parse_rule_set_yaml(
        """
rules:
  - id: small
    description: 小额
    when: {claim_amount_lt: 1000.5}
    target: {tier: village, selector: case_village}
  - id: rest
    description: 其余
    target: {tier: court, selector: court}
"""
    )
    assert rs.rules[0].when.claim_amount_lt == D("1000.5")
    assert evaluate(rs, facts(claim_amount=D("1000.49"))).rule_id == "small"
    assert evaluate(rs, facts(claim_amount=D("1000.50"))).rule_id == "rest"
    assert evaluate(rs, facts(claim_amount=None)).rule_id == "rest"


def test_rule_set_is_immutable(default: RuleSet) -> None:
    with pytest.raises(ValidationError):
        default.rules[0].id = "x"  # type: ignore[misc]


def test_round_trip_default(default: RuleSet) -> None:
    assert parse_rule_set(default.model_dump(mode="json")) == default
    assert parse_rule_set(default.model_dump(mode="json", exclude_none=True)) == default
    assert parse_rule_set(default.model_dump()) == default


# ----------------------------------------------------------------------------------------------
# Properties
# ----------------------------------------------------------------------------------------------

amounts = st.one_of(
    st.none(),
    st.decimals(min_value=0, max_value=10_000_000, places=2, allow_nan=False, allow_infinity=False),
    st.sampled_from([D("49999.99"), D("50000"), D("50000.00"), D("50000.01"), D("0")]),
)


@st.composite
def case_facts(draw: st.DrawFn) -> CaseFacts:
    cross_town = draw(st.booleans())
    return CaseFacts(
        category=draw(st.sampled_from(sorted(CATEGORIES))),
        claim_amount=draw(amounts),
        applicant_count=draw(st.integers(min_value=1, max_value=12)),
        respondent_count=draw(st.integers(min_value=0, max_value=12)),
        cross_village=cross_town or draw(st.booleans()),
        cross_town=cross_town,
        risk_level=draw(st.sampled_from(RISK_LEVELS)),
        respondent_is_government=draw(st.booleans()),
        litigation_intended=draw(st.booleans()),
    )


def brute_force_matches(when: dict[str, Any], f: CaseFacts) -> bool:
    """An independent reading of the condition semantics, from the raw JSON dump of a rule."""
    for name, value in when.items():
        if value is None:
            continue
        if name == "category_in":  # a top-level category covers its sub-categories
            ok = f.category in value or top_category(f.category) in value
        elif name == "category_not_in":
            ok = f.category not in value and top_category(f.category) not in value
        elif name == "claim_amount_gte":
            ok = f.claim_amount is not None and f.claim_amount >= Decimal(value)
        elif name == "claim_amount_lt":
            ok = f.claim_amount is not None and f.claim_amount < Decimal(value)
        elif name == "applicant_count_gte":
            ok = f.applicant_count >= value
        elif name == "risk_level_in":
            ok = f.risk_level in value
        elif name in (
            "cross_village",
            "cross_town",
            "respondent_is_government",
            "litigation_intended",
        ):
            ok = getattr(f, name) is value
        else:
            raise AssertionError(f"unknown condition {name}")
        if not ok:
            return False
    return True


def brute_force_rule(rule_set: RuleSet, f: CaseFacts) -> dict[str, Any]:
    for rule in rule_set.model_dump(mode="json")["rules"]:
        if brute_force_matches(rule["when"], f):
            return rule
    raise AssertionError("no rule matched")


def assert_agrees(rule_set: RuleSet, f: CaseFacts, decision: Decision) -> None:
    expected = brute_force_rule(rule_set, f)
    assert decision.rule_id == expected["id"]
    assert (decision.tier, decision.selector, decision.channel) == (
        expected["target"]["tier"],
        expected["target"]["selector"],
        expected["target"]["channel"],
    )
    assert list(decision.flags) == expected["flags"]
    assert SELECTOR_TIER[decision.selector] == decision.tier
    assert (decision.channel is not None) == (decision.selector == "city_channel")
    ids = [r.id for r in rule_set.rules]
    assert [c.rule_id for c in decision.checked] == ids[: ids.index(decision.rule_id)]
    for check in decision.checked:
        rule = next(r for r in rule_set.model_dump(mode="json")["rules"] if r["id"] == check.rule_id)
        assert rule["when"][check.condition] is not None
        assert not brute_force_matches({check.condition: rule["when"][check.condition]}, f)
        assert check.reason
    assert decision.explanation.startswith(f"规则 {decision.rule_id}（")


@given(case_facts())
@settings(max_examples=500)
def test_default_rule_set_property(f: CaseFacts) -> None:
    rs = load_default_rule_set()
    decision = evaluate(rs, f)
    assert_agrees(rs, f, decision)
    if decision.selector == "specialised_for_category":
        assert top_category(f.category) in SPECIALISED_CATEGORIES
    # 矛盾不上交: a case with no "go up" fact stays at village or town level (or its specialised committee).
    if not (
        f.litigation_intended
        or f.respondent_is_government
        or f.applicant_count >= 5
        or f.risk_level == "high"
        or f.cross_town
    ):
        assert decision.tier in ("village", "town", "specialised")
    if decision.tier == "village":
        assert not f.cross_village and (f.claim_amount is None or f.claim_amount < 50000)


@st.composite
def conditions(draw: st.DrawFn) -> dict[str, Any]:
    when: dict[str, Any] = {}
    if draw(st.booleans()):
        when["category_in"] = draw(st.lists(st.sampled_from(sorted(CATEGORIES)), min_size=1, max_size=4))
    if draw(st.booleans()):
        excluded = sorted(set(CATEGORIES) - set(when.get("category_in", [])))
        when["category_not_in"] = draw(st.lists(st.sampled_from(excluded), min_size=1, max_size=3))
    thresholds = draw(st.lists(st.sampled_from([0, 1000, 49999.99, 50000, 200000]), max_size=2, unique=True))
    if len(thresholds) == 2:
        when["claim_amount_gte"], when["claim_amount_lt"] = str(min(thresholds)), str(max(thresholds))
    elif thresholds:
        when[draw(st.sampled_from(["claim_amount_gte", "claim_amount_lt"]))] = str(thresholds[0])
    if draw(st.booleans()):
        when["applicant_count_gte"] = draw(st.integers(min_value=1, max_value=8))
    for name in (
        "cross_village",
        "cross_town",
        "respondent_is_government",
        "litigation_intended",
    ):
        if draw(st.integers(0, 3)) == 0:
            when[name] = draw(st.booleans())
    if draw(st.booleans()):
        when["risk_level_in"] = draw(
            st.lists(st.sampled_from(RISK_LEVELS), min_size=1, max_size=2, unique=True)
        )
    return when


@st.composite
def targets(draw: st.DrawFn) -> tuple[dict[str, Any], list[str] | None]:
    """A target, plus the category list a specialised_for_category rule must carry."""
    selector = draw(st.sampled_from(sorted(SELECTOR_TIER)))
    target: dict[str, Any] = {"tier": SELECTOR_TIER[selector], "selector": selector}
    if selector == "city_channel":
        target["channel"] = draw(st.sampled_from(sorted(CITY_CHANNELS)))
    categories = None
    if selector == "specialised_for_category":
        categories = draw(st.lists(st.sampled_from(sorted(SPECIALISED_CATEGORIES)), min_size=1, max_size=3))
    return target, categories


@st.composite
def rule_sets(draw: st.DrawFn) -> RuleSet:
    rules = []
    for index in range(draw(st.integers(min_value=0, max_value=6))):
        when = draw(conditions())
        target, categories = draw(targets())
        if categories is not None:
            when["category_in"] = categories
            when.pop("category_not_in", None)
        if not any(v is not None for v in when.values()):
            when["cross_village"] = True
        flags = draw(st.lists(st.sampled_from(["high_attention", "mass_dispute"]), unique=True))
        rules.append(
            {"id": f"r{index}", "description": f"规则{index}", "when": when, "target": target, "flags": flags}
        )
    target, _ = draw(targets().filter(lambda t: t[1] is None))
    rules.append({"id": "fallback", "description": "兜底", "target": target})
    return parse_rule_set({"version": draw(st.integers(0, 50)), "rules": rules})


@given(rule_sets(), st.lists(case_facts(), min_size=1, max_size=5))
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_random_rule_sets_first_match_and_round_trip(rule_set: RuleSet, cases: list[CaseFacts]) -> None:
    assert parse_rule_set(rule_set.model_dump(mode="json")) == rule_set
    for f in cases:
        decision = evaluate(rule_set, f)
        assert_agrees(rule_set, f, decision)
        assert decision.rule_set_version == rule_set.version


@given(case_facts())
def test_evaluation_is_deterministic(f: CaseFacts) -> None:
    rs = load_default_rule_set()
    assert evaluate(rs, f) == evaluate(rs, replace(f))
