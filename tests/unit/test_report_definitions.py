"""Every figure of the statistical report on a small hand-made set, with the numbers worked out by hand."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from app.calendar.workdays import SHANGHAI
from app.reporting.definitions import (
    Attempt,
    CourtAttempt,
    Definitions,
    Rate,
    ReviewFacts,
    administrative_review,
    court_resolved,
    people_mediation,
)

T = datetime(2026, 3, 1, 10, tzinfo=SHANGHAI)
V1, V2, STN, SP, CC, TOWN = 1, 2, 3, 4, 5, 9
NAMES = {
    V1: ("LY-LC-V01", "一村"),
    V2: ("LY-LC-V02", "二村"),
    STN: ("LY-LC-STN", "镇站"),
    SP: ("LY-SP-LABOUR", "劳动"),
    CC: ("LY-CC", "市中心"),
    TOWN: ("LY-LC", "溧城街道"),
}


def attempt(case: str, org: int, tier: str, end: str, outcome: str | None, **kw) -> Attempt:
    return Attempt(case, org, tier, TOWN, kw.pop("category", "neighbour"), end, outcome, T, **kw)


# Case a: village settles (written, 30000, 2 parties).            → city: settled at village
# Case b: village escalates to town; town settles (oral, 2 parties). → village attempt escalated (stays
#         within people's mediation), city: settled at town
# Case c: town fails.                                              → city: failed
# Case d: village, withdrawn.                                      → city: withdrawn (out of the rate)
# Case e: specialised (migrant wages), settled, 12.345 yuan, mass dispute, referred by the court.
# Case f: city center escalates to the court.                      → city: escalated (left people's mediation)
# Case g: city center, referred to litigation.                     → city: failed
ATTEMPTS = [
    attempt(
        "a",
        V1,
        "village",
        "resolved",
        "settled",
        agreement_type="written",
        agreed_amount=Decimal(30000),
        parties=2,
    ),
    attempt("b", V1, "village", "escalated", "failed"),
    attempt("b", STN, "town", "resolved", "settled", agreement_type="oral", parties=2),
    attempt("c", STN, "town", "resolved", "failed"),
    attempt("d", V2, "village", "withdrawn", "withdrawn"),
    attempt(
        "e",
        SP,
        "specialised",
        "resolved",
        "settled",
        category="migrant_wages",
        agreed_amount=Decimal("12.345"),
        parties=7,
        mass_dispute=True,
        source="referred",
        referred_by="court",
        agreement_type="written",
    ),
    attempt("f", CC, "city_center", "escalated", "failed", risk_level="high"),
    attempt("g", CC, "city_center", "resolved", "referred_to_litigation"),
]


def test_rate_rounds_half_up_to_four_places_and_keeps_its_parts() -> None:
    assert Rate(6, 101).as_json() == {"value": 0.0594, "numerator": 6, "denominator": 101}
    assert Rate(1, 8).value == Decimal("0.1250")
    assert Rate(1, 16).value == Decimal("0.0625")
    assert Rate(1, 32).value == Decimal("0.0313")  # 0.03125 half up, not to even
    assert Rate(0, 0).as_json() == {"value": None, "numerator": 0, "denominator": 0}


def test_city_totals_count_each_case_once_where_it_was_concluded() -> None:
    pm = people_mediation(ATTEMPTS, NAMES)
    # Concluding attempts: a, b@town, c, d, e, f (escalated to court), g.
    assert (pm["mediated"], pm["settled"], pm["failed"], pm["withdrawn"], pm["escalated"]) == (7, 3, 2, 1, 1)
    assert pm["resolved_cases"] == 3
    # settled ÷ (settled + failed + escalated): the withdrawal is out.
    assert pm["success_rate"] == {"value": 0.5, "numerator": 3, "denominator": 6}
    # All three settled at village, town or specialised level.
    assert pm["grassroots_share"] == {"value": 1.0, "numerator": 3, "denominator": 3}


def test_per_organization_every_accepted_attempt_counts() -> None:
    rows = {r["code"]: r for r in people_mediation(ATTEMPTS, NAMES)["by_organization"]}
    v1 = rows["LY-LC-V01"]
    assert (v1["mediated"], v1["settled"], v1["escalated"], v1["tier"]) == (2, 1, 1, "village")
    assert v1["success_rate"] == {"value": 0.5, "numerator": 1, "denominator": 2}
    assert rows["LY-LC-V02"]["success_rate"] == {"value": None, "numerator": 0, "denominator": 0}
    assert sum(r["mediated"] for r in rows.values()) == 8  # one more than the city: b is counted twice


def test_breakdowns_by_category_roll_sub_categories_up() -> None:
    pm = people_mediation(ATTEMPTS, NAMES)
    by_category = {r["code"]: r for r in pm["by_category"]}
    assert len(by_category) == 15
    labour = by_category["labour"]
    assert (labour["name"], labour["mediated"], labour["settled"]) == ("劳动争议", 1, 1)
    assert [(s["code"], s["settled"]) for s in labour["subcategories"]] == [
        ("migrant_wages", 1),
        ("other_labour", 0),
    ]
    assert by_category["neighbour"]["mediated"] == 6
    assert by_category["contract"]["subcategories"][0]["code"] == "debt"
    tiers = {r["code"]: r["settled"] for r in pm["by_tier"]}
    assert tiers == {"village": 1, "town": 1, "specialised": 1, "city_center": 0}
    assert pm["by_town"] == [
        {
            "code": "LY-LC",
            "name": "溧城街道",
            "mediated": 7,
            "settled": 3,
            "failed": 2,
            "withdrawn": 1,
            "escalated": 1,
            "success_rate": {"value": 0.5, "numerator": 3, "denominator": 6},
        }
    ]


def test_agreements_amounts_parties_and_case_facts() -> None:
    pm = people_mediation(ATTEMPTS, NAMES)
    assert pm["agreements"] == {"written": 2, "oral": 1, "unrecorded": 0, "parties": 11}
    assert pm["agreed_amount_yuan"] == "30012.35"  # 12.345 half up
    assert pm["agreed_amount_wan_yuan"] == "3.00"
    assert (pm["mass_disputes"], pm["high_risk"]) == (1, 1)
    assert pm["by_source"] == {"applied": 6, "initiative": 0, "referred": 1}
    assert pm["by_referrer"]["court"] == 1


def test_grassroots_share_counts_the_city_center_apart() -> None:
    attempts = [
        attempt("a", V1, "village", "resolved", "settled"),
        attempt("b", CC, "city_center", "resolved", "settled"),
        attempt("c", CC, "city_center", "resolved", "settled"),
    ]
    assert people_mediation(attempts, NAMES)["grassroots_share"] == {
        "value": 0.3333,
        "numerator": 1,
        "denominator": 3,
    }


START, END = datetime(2026, 1, 1, tzinfo=SHANGHAI), datetime(2027, 1, 1, tzinfo=SHANGHAI)
LAST_YEAR = datetime(2025, 12, 20, tzinfo=SHANGHAI)
THIS_YEAR = datetime(2026, 2, 3, tzinfo=SHANGHAI)
NEXT_YEAR = datetime(2027, 1, 5, tzinfo=SHANGHAI)


def review(case: str, dispatched, accepted=None, ended=None, outcome=None) -> ReviewFacts:
    end_reason = None if ended is None else ("withdrawn" if outcome == "withdrawn" else "resolved")
    return ReviewFacts(case, dispatched, accepted, ended, end_reason, outcome)


REVIEWS = [
    # Carried over: received and accepted last year, decided this year.
    review("old", LAST_YEAR, LAST_YEAR, THIS_YEAR, "revoked"),
    review("r1", THIS_YEAR, THIS_YEAR, THIS_YEAR, "confirmed_illegal"),
    review("r2", THIS_YEAR, THIS_YEAR, THIS_YEAR, "mediated"),
    review("r3", THIS_YEAR, THIS_YEAR, THIS_YEAR, "upheld"),
    review("r4", THIS_YEAR, THIS_YEAR, THIS_YEAR, "reconciled"),
    review("r5", THIS_YEAR, THIS_YEAR, THIS_YEAR, "withdrawn"),
    review("r6", THIS_YEAR, THIS_YEAR),  # accepted, still open
    review("r7", THIS_YEAR),  # received, not accepted yet
    review("r8", THIS_YEAR, THIS_YEAR, NEXT_YEAR, "changed"),  # decided next year
]


def test_administrative_review_counts_carry_over_across_years() -> None:
    figures = administrative_review(REVIEWS, START, END)
    assert (figures["received"], figures["accepted"], figures["concluded"]) == (8, 7, 6)
    assert figures["decisions"] == {
        "confirmed_illegal": 1,
        "mediated": 1,
        "reconciled": 1,
        "revoked": 1,
        "upheld": 1,
        "withdrawn": 1,
    }
    # (撤销 + 确认违法) ÷ 审结
    assert figures["direct_correction_rate"] == {"value": 0.3333, "numerator": 2, "denominator": 6}
    assert figures["substantive_resolution"] == {
        "count": 2,
        "rate": {"value": 0.3333, "numerator": 2, "denominator": 6},
    }
    last_year = administrative_review(REVIEWS, datetime(2025, 1, 1, tzinfo=SHANGHAI), START)
    assert (last_year["received"], last_year["accepted"], last_year["concluded"]) == (1, 1, 0)


def test_the_decision_sets_are_configuration() -> None:
    wider = Definitions(
        correction_outcomes=frozenset(
            {"revoked", "changed", "confirmed_illegal", "ordered_to_perform", "upheld"}
        ),
        substantive_outcomes=frozenset({"mediated", "reconciled", "withdrawn"}),
    )
    figures = administrative_review(REVIEWS, START, END, wider)
    assert figures["direct_correction_rate"]["numerator"] == 3
    assert figures["substantive_resolution"]["count"] == 3


def test_the_court_resolves_by_settlement_or_its_own_confirmation() -> None:
    attempts = [
        CourtAttempt("a", "settled"),
        CourtAttempt("b", "judicially_confirmed"),
        CourtAttempt("c", "failed"),
        CourtAttempt("d", "referred_to_litigation"),
    ]
    assert court_resolved(attempts) == 2
