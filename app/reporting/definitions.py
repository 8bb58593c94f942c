"""The figures of the statistical report, defined on plain facts (issue #15 §2). Pure: no I/O.

The queries (``queries.py``) read fact rows (mediation attempts, grouped in SQL with a ``count``;
administrative-review and court assignments); everything below counts them. Published definitions
vary, so every rate carries its numerator and denominator, and the two sets of administrative-review
decisions that differ between years are configuration (``Definitions``).

People's mediation (人民调解) is what village, town and specialised committees and the city center's mediation
channels do; the administrative-review channel and the court are excluded.
- An *attempt* is an accepted assignment; it is concluded when it ends: settled, failed (调解不成;
  转诉讼 counts as failed), withdrawn, or escalated to the next rung.
- Per organization every concluded attempt counts. City totals (and the breakdowns by category, town and
  tier) count each case once, at the organization that concluded it: the attempt that ended the case's
  people's mediation, i.e. every attempt except an escalation that stays within people's mediation
  (village → town, town or specialised → city center). An escalation from the city center goes to the
  court: it leaves people's mediation and counts as ``escalated``.
- 调解成功率 = settled ÷ (settled + failed + escalated); withdrawals are left out and counted apart.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from app.routing.categories import SUBCATEGORIES, TOP_CATEGORIES, top_category
from app.routing.engine import TIER_LABELS

PEOPLE_MEDIATION_TIERS = ("village", "town", "specialised", "city_center")
GRASSROOTS_TIERS = frozenset({"village", "town", "specialised"})
# Escalations that stay within people's mediation (app.cases.lifecycle.ESCALATION).
ESCALATES_WITHIN = frozenset({"village", "town", "specialised"})
ADMINISTRATIVE_REVIEW = "administrative_review"
FAILED_OUTCOMES = frozenset({"failed", "referred_to_litigation"})
COURT_RESOLVED = frozenset({"settled", "judicially_confirmed"})
REFERRERS = ("court", "police", "petition", "procuratorate", "other")


@dataclass(frozen=True)
class Definitions:
    """The parts of the definitions that are configuration (published definitions differ by year)."""

    # 直接纠错: 撤销、变更、确认违法、责令履行 (the 2024 law adds 确认无效).
    correction_outcomes: frozenset[str] = frozenset(
        {"revoked", "changed", "confirmed_illegal", "ordered_to_perform"}
    )
    # 实质性化解: 调解、和解 (some years add a withdrawal after reconciliation, or corrections).
    substantive_outcomes: frozenset[str] = frozenset({"mediated", "reconciled"})


DEFAULT_DEFINITIONS = Definitions()


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def value(self) -> Decimal | None:
        """Rounded half up to four places, as in the JSON; None without a denominator."""
        return round_half_up(Decimal(self.numerator) / self.denominator, 4) if self.denominator else None

    def as_json(self) -> dict[str, Any]:
        value = self.value
        return {
            "value": float(value) if value is not None else None,
            "numerator": self.numerator,
            "denominator": self.denominator,
        }


def round_half_up(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Attempt:
    """A concluded people's-mediation attempt, with the facts of its case that the report breaks down by."""

    case_id: Any
    organization_id: int
    tier: str
    town_id: int
    category: str
    end_reason: str  # resolved | withdrawn | escalated
    outcome: str | None
    ended_at: datetime
    agreement_type: str | None = None
    agreed_amount: Decimal | None = None
    parties: int = 0
    risk_level: str = "low"
    mass_dispute: bool = False
    source: str = "applied"
    referred_by: str | None = None
    # A row may stand for several attempts alike in every field above (the queries count in SQL): then
    # ``agreed_amount`` and ``parties`` are their totals.
    count: int = 1

    @property
    def kind(self) -> str:
        """settled | failed | withdrawn | escalated."""
        if self.end_reason == "escalated":
            return "escalated"
        if self.end_reason == "withdrawn" or self.outcome == "withdrawn":
            return "withdrawn"
        if self.outcome == "settled":
            return "settled"
        return "failed"

    @property
    def concludes_case(self) -> bool:
        """The attempt that ends the case's people's mediation (counted once in city totals)."""
        return not (self.end_reason == "escalated" and self.tier in ESCALATES_WITHIN)


@dataclass
class Tally:
    """The counts of one row of a breakdown (or of the whole)."""

    settled: int = 0
    failed: int = 0
    withdrawn: int = 0
    escalated: int = 0

    def add(self, attempt: Attempt) -> None:
        kind = attempt.kind
        setattr(self, kind, getattr(self, kind) + attempt.count)

    @property
    def mediated(self) -> int:
        return self.settled + self.failed + self.withdrawn + self.escalated

    @property
    def success_rate(self) -> Rate:
        return Rate(self.settled, self.settled + self.failed + self.escalated)

    def as_json(self) -> dict[str, Any]:
        return {
            "mediated": self.mediated,
            "settled": self.settled,
            "failed": self.failed,
            "withdrawn": self.withdrawn,
            "escalated": self.escalated,
            "success_rate": self.success_rate.as_json(),
        }


def _tally(attempts: Iterable[Attempt], key: Callable[[Attempt], Any]) -> dict[Any, Tally]:
    table: dict[Any, Tally] = defaultdict(Tally)
    for attempt in attempts:
        table[key(attempt)].add(attempt)
    return table


def people_mediation(attempts: list[Attempt], names: Mapping[int, tuple[str, str]]) -> dict[str, Any]:
    """The 人民调解 section. ``names`` maps an organization id to (code, name), towns included."""
    concluding = [a for a in attempts if a.concludes_case]
    total = Tally()
    for attempt in concluding:
        total.add(attempt)
    settled = [a for a in concluding if a.kind == "settled"]
    grassroots = sum(a.count for a in settled if a.tier in GRASSROOTS_TIERS)
    amount = sum((a.agreed_amount or Decimal(0) for a in settled), Decimal(0))
    by_category_top = _tally(concluding, lambda a: top_category(a.category))
    by_category_sub = _tally((a for a in concluding if a.category in SUBCATEGORIES), lambda a: a.category)
    by_town = _tally(concluding, lambda a: a.town_id)
    by_tier = _tally(concluding, lambda a: a.tier)
    by_org = _tally(attempts, lambda a: a.organization_id)
    org_tier = {a.organization_id: a.tier for a in attempts}
    sources: Counter[str] = Counter()
    referrers: Counter[str] = Counter()
    for a in concluding:
        sources[a.source] += a.count
        if a.source == "referred" and a.referred_by:
            referrers[a.referred_by] += a.count

    def row(code: str, name: str, tally: Tally, **extra: Any) -> dict[str, Any]:
        return {"code": code, "name": name, **extra, **tally.as_json()}

    return {
        **{k: v for k, v in total.as_json().items() if k != "success_rate"},
        # A case is settled once (it is then resolved): its concluding settled attempts are distinct cases.
        "resolved_cases": total.settled,
        "success_rate": total.success_rate.as_json(),
        "grassroots_share": Rate(grassroots, total.settled).as_json(),
        "by_category": [
            row(
                top,
                label,
                by_category_top.get(top, Tally()),
                subcategories=[
                    row(sub, sub_label, by_category_sub.get(sub, Tally()))
                    for sub, (parent, sub_label) in SUBCATEGORIES.items()
                    if parent == top
                ],
            )
            for top, label in TOP_CATEGORIES.items()
        ],
        "by_town": [
            row(names[town][0], names[town][1], tally)
            for town, tally in sorted(by_town.items(), key=lambda kv: names[kv[0]][0])
        ],
        "by_tier": [
            row(tier, TIER_LABELS[tier], by_tier.get(tier, Tally())) for tier in PEOPLE_MEDIATION_TIERS
        ],
        "by_organization": [
            row(names[org][0], names[org][1], tally, tier=org_tier[org])
            for org, tally in sorted(by_org.items(), key=lambda kv: names[kv[0]][0])
        ],
        "agreements": {
            "written": sum(a.count for a in settled if a.agreement_type == "written"),
            "oral": sum(a.count for a in settled if a.agreement_type == "oral"),
            "unrecorded": sum(a.count for a in settled if a.agreement_type not in ("written", "oral")),
            "parties": sum(a.parties for a in settled),
        },
        "agreed_amount_yuan": str(round_half_up(amount, 2)),
        "agreed_amount_wan_yuan": str(round_half_up(amount / 10_000, 2)),
        "mass_disputes": sum(a.count for a in concluding if a.mass_dispute),
        "high_risk": sum(a.count for a in concluding if a.risk_level == "high"),
        "by_source": {source: sources.get(source, 0) for source in ("applied", "initiative", "referred")},
        "by_referrer": {
            r: referrers.get(r, 0) for r in ("court", "police", "petition", "procuratorate", "other")
        },
    }


@dataclass(frozen=True)
class ReviewFacts:
    """One administrative-review assignment: when the case entered, was accepted, and the decision."""

    case_id: Any
    dispatched_at: datetime
    accepted_at: datetime | None
    ended_at: datetime | None
    end_reason: str | None
    outcome: str | None


def administrative_review(
    rows: list[ReviewFacts], start: datetime, end: datetime, definitions: Definitions = DEFAULT_DEFINITIONS
) -> dict[str, Any]:
    """收到 (entered the channel), 受理 (accepted) and 审结 (a decision recorded) in [start, end)."""

    def within(moment: datetime | None) -> bool:
        return moment is not None and start <= moment < end

    received = {r.case_id for r in rows if within(r.dispatched_at)}
    accepted = sum(1 for r in rows if within(r.accepted_at))
    decided = [
        r for r in rows if r.end_reason in ("resolved", "withdrawn") and r.outcome and within(r.ended_at)
    ]
    decisions = Counter(r.outcome for r in decided)
    corrected = sum(n for outcome, n in decisions.items() if outcome in definitions.correction_outcomes)
    substantive = sum(n for outcome, n in decisions.items() if outcome in definitions.substantive_outcomes)
    return {
        "received": len(received),
        "accepted": accepted,
        "concluded": len(decided),
        "decisions": dict(sorted(decisions.items())),
        "direct_correction_rate": Rate(corrected, len(decided)).as_json(),
        "substantive_resolution": {"count": substantive, "rate": Rate(substantive, len(decided)).as_json()},
    }


@dataclass(frozen=True)
class CourtAttempt:
    case_id: Any
    outcome: str | None


def court_resolved(attempts: list[CourtAttempt]) -> int:
    """Cases the court sub-center resolved: settled there or judicially confirmed as its own outcome."""
    return len({a.case_id for a in attempts if a.outcome in COURT_RESOLVED})
