"""How demo mediations end: how long they take, which outcome, and what the agreement says. Pure."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from app.calendar.workdays import SHANGHAI
from app.cases.lifecycle import Outcome
from app.demo import phrasebook as words
from app.models import Case

# Calendar days from acceptance to the outcome, by tier (the administrative-review channel apart).
MEDIATION_DAYS = {
    "village": (1, 20),
    "town": (3, 35),
    "specialised": (5, 45),
    "city_center": (7, 50),
    "court": (10, 55),
    "administrative_review": (20, 60),  # 行政复议法: decided within 60 days
}
OUTCOME_WEIGHTS: dict[str, dict[str, float]] = {
    "common": {"settled": 84, "failed": 8, "withdrawn": 3, "referred_to_litigation": 5},
    "court": {
        "settled": 50,
        "judicially_confirmed": 30,
        "failed": 8,
        "referred_to_litigation": 7,
        "withdrawn": 5,
    },
    "administrative_review": {
        "upheld": 38,
        "dismissed": 12,
        "mediated": 14,
        "reconciled": 10,
        "revoked": 9,
        "changed": 5,
        "confirmed_illegal": 5,
        "ordered_to_perform": 4,
        "withdrawn": 3,
    },
}


class _Org(Protocol):
    @property
    def tier(self) -> str: ...
    @property
    def channel(self) -> str | None: ...


def _kind(tier: str, channel: str | None) -> str:
    if channel == "administrative_review":
        return "administrative_review"
    return "court" if tier == "court" else "common"


def mediation_days(rng: random.Random, org: _Org) -> int:
    low, high = MEDIATION_DAYS[
        "administrative_review" if org.channel == "administrative_review" else org.tier
    ]
    return rng.randint(low, high)


def draw(rng: random.Random, tier: str, channel: str | None) -> str:
    weights = OUTCOME_WEIGHTS[_kind(tier, channel)]
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def detail(rng: random.Random, outcome: str, case: Case | None, now: datetime) -> dict[str, Any]:
    """The outcome body as a mediator submits it (``OutcomeIn``): a settlement's agreement and amount."""
    body: dict[str, Any] = {"outcome": outcome, "note": words.OUTCOME_NOTES.get(outcome)}
    if outcome in (Outcome.SETTLED, Outcome.JUDICIALLY_CONFIRMED, Outcome.MEDIATED):
        written = rng.random() < 0.75
        body["agreement_type"] = "written" if written else "oral"
        claimed = case.claim_amount_fen if case is not None else None
        if claimed:
            share = Decimal(rng.randint(40, 100)) / 100
            body["agreed_amount"] = str((Decimal(claimed) / 100 * share).quantize(Decimal("0.01")))
        body["performed"] = rng.random() < 0.85
        # A written agreement takes effect when signed and sealed, often a day or two after it is reached.
        signed = now + timedelta(days=rng.randint(0, 2) if written else 0)
        body["agreement_effective_on"] = signed.astimezone(SHANGHAI).date().isoformat()
    return body
