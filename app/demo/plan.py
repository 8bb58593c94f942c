"""What the demo history is made of, decided up front and without I/O: for each case, who registers it,
when, with which facts, and how its story will go (declined? escalated? dispatched late?).

Everything is drawn from one seeded ``random.Random`` per case, so a case's story does not depend on how
the others interleave, and the same seed gives the same history. The proportions are those of a county
city's people's mediation: most disputes stay in the village or town (矛盾不上交); the specialised
committees take their categories; the city center gets the cross-town, mass, high-risk and
government-respondent cases; the court the few whose parties have sued or mean to (诉前调解) or that fail
everywhere else. Routing itself is left to the service's rules: a plan only states the facts.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from app.calendar.workdays import SHANGHAI, WorkCalendar
from app.demo import phrasebook as words
from app.organizations.demo import SPECIALISED, TOWNS

DEFAULT_SEED = 1_202_612
HISTORY_DAYS = 365

TOWN_CODES = [f"LY-{suffix}" for suffix, _, _ in TOWNS]
TOWN_NAMES = {f"LY-{suffix}": name for suffix, name, _ in TOWNS}
VILLAGES = {
    f"LY-{suffix}": [(f"LY-{suffix}-V{i:02d}", v) for i, v in enumerate(villages, 1)]
    for suffix, _, villages in TOWNS
}
COMMITTEE_OF = {category: f"LY-SP-{suffix}" for suffix, category, _ in SPECIALISED}

# Who registers the dispute (登记), by share of all cases.
PROFILES = {"village": 62, "town": 19, "specialised": 10, "city": 5, "government": 2.5, "court": 1.5}
LOCAL_CATEGORIES = {
    "neighbour": 26, "marriage_family": 16, "debt": 10, "housing": 9, "damages": 9, "land": 6, "other": 6,
    "contract": 5, "labour": 4, "traffic": 4, "consumer": 2, "property_management": 1, "medical": 0.5,
    "enterprise": 0.5,
}  # fmt: skip
TOWN_CATEGORIES = {
    "debt": 14, "land": 14, "contract": 12, "damages": 12, "neighbour": 10, "marriage_family": 10,
    "housing": 10, "other": 8, "labour": 6, "traffic": 4,
}  # fmt: skip
SPECIALISED_CATEGORIES = {
    "labour": 30, "traffic": 25, "property_management": 15, "consumer": 12, "medical": 8, "enterprise": 6,
    "marriage_family": 4,
}  # fmt: skip
# Median claimed amount (yuan) and how often one is stated.
AMOUNTS = {
    "neighbour": (2_000, 0.3), "marriage_family": (50_000, 0.3), "debt": (30_000, 0.95),
    "housing": (20_000, 0.5), "damages": (8_000, 0.9), "land": (10_000, 0.4), "other": (5_000, 0.4),
    "contract": (60_000, 0.95), "labour": (20_000, 0.9), "traffic": (40_000, 0.9), "consumer": (3_000, 0.9),
    "property_management": (3_000, 0.8), "medical": (60_000, 0.9), "enterprise": (150_000, 0.95),
    "land_acquisition": (80_000, 0.3),
}  # fmt: skip
ORGANIZATION_RESPONDENT = {"labour", "consumer", "property_management", "medical", "enterprise"}
# How often a case is escalated once, by the tier it is first mediated at.
ESCALATION_RATE = {"village": 0.10, "town": 0.07, "specialised": 0.06, "city_center": 0.10}


@dataclass(frozen=True)
class Plan:
    """How a case's story goes; the service decides everything else (routing, clocks, who may act)."""

    decline: bool = False  # the first assignee sends it back once
    escalations: int = 0  # mediation fails and goes one rung up, this many times
    dispatch: str = "on_time"  # a manual dispatch (when no single organization qualifies): on_time|late|never
    withdraw: bool = False
    close: bool = True  # the follow-up visit (回访) is done
    outcome: str | None = None  # None: drawn for the tier that resolves it
    stop_at: str | None = None  # leave the case in this state (recent showcase cases)


@dataclass
class Draft:
    index: int
    rng: random.Random
    intake_at: datetime
    intake_code: str
    body: dict[str, Any]
    plan: Plan
    profile: str = field(default="village")


def _pick(rng: random.Random, weights: Mapping[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def work_time(calendar: WorkCalendar, day: date, rng: random.Random) -> datetime:
    """A moment of office hours (08:30–17:30) on ``day`` or, if it is a day off, the next working day."""
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    minutes = rng.randint(8 * 60 + 30, 17 * 60 + 30)
    return datetime.combine(day, time(minutes // 60, minutes % 60), SHANGHAI)


def _working_days_back(calendar: WorkCalendar, day: date, n: int) -> date:
    while n > 0:
        day -= timedelta(days=1)
        n -= calendar.is_working_day(day)
    return day


def later(calendar: WorkCalendar, after: datetime, rng: random.Random, days: int) -> datetime:
    """Office hours ``days`` calendar days after ``after`` (the same day: some minutes later)."""
    if days <= 0:
        return after + timedelta(minutes=rng.randint(15, 180))
    return work_time(calendar, after.astimezone(SHANGHAI).date() + timedelta(days=days), rng)


def _amount(rng: random.Random, category: str) -> Decimal | None:
    median, stated = AMOUNTS.get(category, (5_000, 0.5))
    if rng.random() > stated:
        return None
    return Decimal(max(200, round(median * rng.lognormvariate(0, 0.8), -2)))


def _person(rng: random.Random, role: str, today: date, **place: str) -> dict[str, Any]:
    party: dict[str, Any] = {"role": role, "kind": "person", "name": words.person_name(rng), **place}
    if rng.random() < 0.7:
        party["id_number"] = words.id_number(rng, today)
    if rng.random() < 0.9:
        party["phone"] = words.phone(rng)
    return party


def _organization(rng: random.Random, category: str, town: str, government: bool) -> dict[str, Any]:
    if government:
        name = rng.choice([f"{TOWN_NAMES[town]}人民政府", *words.GOVERNMENT_BODIES])
    elif category == "medical":
        name = f"{TOWN_NAMES[town]}{rng.choice(words.HOSPITALS)}"
    elif category == "property_management":
        name = f"溧阳{rng.choice(words.COMPANY_STEMS)}{rng.choice(words.PROPERTY_FIRMS)}"
    elif category == "consumer":
        name = f"溧阳市{rng.choice(words.COMPANY_STEMS)}{rng.choice(words.SHOPS)}"
    else:
        name = words.company_name(rng)
    return {"role": "respondent", "kind": "organization", "name": name, "is_government": government}


def _body(rng: random.Random, profile: str, day: date) -> tuple[str, dict[str, Any]]:
    """(intake organization code, the intake body as the API receives it) for one profile."""
    town = rng.choice(TOWN_CODES)
    village_code, village_name = rng.choice(VILLAGES[town])
    body: dict[str, Any] = {"risk_level": _pick(rng, {"low": 84, "medium": 16})}
    government = litigation = False
    applicants = 1 if rng.random() < 0.85 else 2
    party_place: dict[str, str] = {}
    if profile == "village":
        intake, category = village_code, _pick(rng, LOCAL_CATEGORIES)
        if rng.random() < 0.09:  # a party from another village of the town → the town station
            other = [code for code, _ in VILLAGES[town] if code != village_code]
            party_place = {"village_code": rng.choice(other)}
    elif profile == "unplaced":  # the station does not say which village: a supervisor must dispatch
        intake, category = f"{town}-STN", rng.choice(["neighbour", "marriage_family", "other"])
        body["town_code"] = town
    elif profile == "town":
        intake, category = f"{town}-STN", _pick(rng, TOWN_CATEGORIES)
        body["town_code"] = town
        if rng.random() < 0.55:  # otherwise the station does not say which village: a supervisor dispatches
            body["village_code"] = village_code
    elif profile == "specialised":
        category = _pick(rng, SPECIALISED_CATEGORIES)
        intake = COMMITTEE_OF[category]
        body.update(town_code=town, village_code=village_code)
    elif profile == "city":
        intake, category = "LY-CC", _pick(rng, TOWN_CATEGORIES)
        body.update(town_code=town, village_code=village_code)
        kind = rng.choice(["mass", "high_risk", "cross_town"])
        if kind == "mass":
            applicants, category = rng.randint(5, 12), rng.choice(["labour", "land", "housing", "enterprise"])
        elif kind == "high_risk":
            body["risk_level"] = "high"
        else:
            party_place = {"town_code": rng.choice([t for t in TOWN_CODES if t != town])}
    elif profile == "government":
        intake, category, government = (
            "LY-CC-ADMREVIEW",
            rng.choice(["land_acquisition", "other", "other", "land"]),
            True,
        )
        body["town_code"] = town
    else:  # court: the parties have sued or mean to, so pre-litigation mediation (诉前调解) at the court
        intake, category, litigation = (
            f"{town}-STN",
            rng.choice(["debt", "contract", "damages", "traffic"]),
            True,
        )
        body.update(town_code=town, village_code=village_code)
    amount = None if profile == "unplaced" else _amount(rng, category)
    today = day
    parties = [_person(rng, "applicant", today) for _ in range(applicants)]
    if government or (category in ORGANIZATION_RESPONDENT and rng.random() < 0.8):
        parties.append(_organization(rng, category, town, government))
    else:
        parties.append(_person(rng, "respondent", today, **party_place))
    templates = words.SUMMARIES["administrative" if government else category]
    if amount is None:  # a summary without a sum, or the sum the summary names
        templates = tuple(t for t in templates if "{amt}" not in t) or templates
        if "{amt}" in templates[0] and profile != "unplaced":
            amount = Decimal(AMOUNTS.get(category, (5_000, 1))[0])
    template = rng.choice(templates)
    names = [p["name"] for p in parties]
    summary = template.format(
        a="、".join(names[:-1][:3]) + ("等" if applicants > 3 else ""),
        r=names[-1],
        amt=f"{amount:,.0f}" if amount is not None else "若干",
        place=village_name,
    )
    body.update(
        category=category,
        summary=summary,
        claim_amount=str(amount) if amount is not None else None,
        occurred_on=(day - timedelta(days=rng.randint(1, 60))).isoformat(),
        litigation_intended=litigation,
        parties=parties,
    )
    return intake, body


def _plan(rng: random.Random) -> Plan:
    first_escalation = rng.random() < 0.09
    return Plan(
        decline=rng.random() < 0.05,
        escalations=(1 + (rng.random() < 0.25)) if first_escalation else 0,
        dispatch=_pick(rng, {"on_time": 90, "late": 8, "never": 2}),
        withdraw=rng.random() < 0.04,
        close=rng.random() < 0.97,
    )


ADMINISTRATIVE_REVIEW_DECISIONS = (
    "upheld",
    "revoked",
    "changed",
    "confirmed_illegal",
    "ordered_to_perform",
    "dismissed",
    "mediated",
    "reconciled",
)
# Cases every demo has, whatever its size: each state, each tier, each kind of outcome, a breach and cases
# at risk today. (profile, days before the end, plan)
SHOWCASE: list[tuple[str, float | str, Plan]] = [
    *[("government", 40 + 12 * i, Plan(outcome=o)) for i, o in enumerate(ADMINISTRATIVE_REVIEW_DECISIONS)],
    ("court", 90, Plan(outcome="judicially_confirmed")),
    ("court", 120, Plan(outcome="settled")),
    ("court", 150, Plan(outcome="referred_to_litigation", close=False)),
    ("city", 100, Plan(outcome="failed")),
    ("specialised", 70, Plan(outcome="settled")),
    ("village", 200, Plan(escalations=2, outcome="settled")),  # village → town → city center
    ("village", 160, Plan(decline=True, outcome="settled")),
    ("unplaced", 45, Plan(dispatch="late", outcome="settled")),
    ("village", 30, Plan(withdraw=True)),
    ("unplaced", 12, Plan(dispatch="never")),  # forgotten: an open breach
    ("unplaced", "2wd", Plan(dispatch="never")),  # at risk: due the next working day
    ("unplaced", "3wd", Plan(dispatch="never")),  # at risk: due today
    ("village", 0.2, Plan(stop_at="dispatched")),
    ("village", 6, Plan(stop_at="in_mediation")),
    ("village", 9, Plan(stop_at="resolved", outcome="settled")),
]


def drafts(seed: int, count: int, end: datetime, calendar: WorkCalendar) -> list[Draft]:
    """``count`` cases over the year before ``end`` (the showcase first), ordered by intake time."""
    master = random.Random(seed)
    end_local = end.astimezone(SHANGHAI)
    out: list[Draft] = []
    for index in range(count):
        rng = random.Random(f"{seed}:{index}:{master.random()}")
        if index < len(SHOWCASE):
            profile, days_before, plan = SHOWCASE[index]
            if isinstance(days_before, str):  # "3wd": that many working days back, in the morning
                day = _working_days_back(calendar, end_local.date(), int(days_before.removesuffix("wd")))
                at = datetime.combine(day, time(9, rng.randint(0, 59)), SHANGHAI)
            elif days_before >= 1:
                at = work_time(calendar, (end_local - timedelta(days=days_before)).date(), rng)
            else:
                at = end_local - timedelta(days=days_before)
        else:
            profile, plan = _pick(rng, PROFILES), _plan(rng)
            at = work_time(calendar, end_local.date() - timedelta(days=rng.randint(0, HISTORY_DAYS)), rng)
        if at >= end_local:
            at = end_local - timedelta(minutes=rng.randint(5, 600))
        intake, body = _body(rng, profile, at.date())
        out.append(Draft(index, rng, at, intake, body, plan, profile))
    return sorted(out, key=lambda d: (d.intake_at, d.index))
