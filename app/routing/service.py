"""Routing against the database: the rule set in force, and which organizations a decision names."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    false,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import String

from app import prepared
from app.db import PerEngine
from app.models import Case, Organization, OrgKind, RoutingRuleSet
from app.prepared import Prepared
from app.routing.categories import top_category
from app.routing.engine import CaseFacts, Decision, RuleSet, evaluate, parse_rule_set

# Parsed rule sets by version: a version is immutable once stored, so an entry never goes stale. Which
# version is in force is always read from the database (intake: in the same query as the candidate
# organizations, see route()), so a rule set saved by another replica applies to the next request.
# One cache per engine, so a process talking to several databases (the tests) never mixes them.
_parsed: PerEngine[int, RuleSet] = PerEngine()


MEDIATING_KINDS = frozenset(
    {
        OrgKind.VILLAGE_COMMITTEE,
        OrgKind.TOWN_STATION,
        OrgKind.SPECIALISED_COMMITTEE,
        OrgKind.CITY_CENTER,
        OrgKind.CITY_CHANNEL,
        OrgKind.COURT_SUBCENTER,
    }
)


async def current_version(session: AsyncSession) -> int:
    stmt = select(RoutingRuleSet.version).order_by(RoutingRuleSet.version.desc()).limit(1)
    return int((await session.execute(stmt)).scalar_one())


async def rule_set_in_force(session: AsyncSession) -> RuleSet:
    return await _rule_set(session, await current_version(session))


async def _rule_set(session: AsyncSession, version: int) -> RuleSet:
    parsed = _parsed.of(session)
    if version not in parsed:
        document = (
            await session.execute(select(RoutingRuleSet.rules).where(RoutingRuleSet.version == version))
        ).scalar_one()
        parsed[version] = parse_rule_set({**document, "version": version})
    return parsed[version]


async def save_rule_set(
    session: AsyncSession, rule_set: RuleSet, user_id: int | None, note: str | None, now: datetime
) -> RuleSet:
    """Store ``rule_set`` as the next version; earlier versions stay for the record (and old decisions)."""
    version = await current_version(session) + 1
    stored = rule_set.model_copy(update={"version": version})
    session.add(
        RoutingRuleSet(
            version=version,
            rules=stored.model_dump(mode="json"),
            note=note,
            created_by_user_id=user_id,
            created_at=now,
        )
    )
    await session.flush()  # a concurrent save of the same version fails here on the unique constraint
    return stored


async def rule_set_history(session: AsyncSession) -> list[RoutingRuleSet]:
    stmt = select(RoutingRuleSet).order_by(RoutingRuleSet.version.desc())
    return list((await session.execute(stmt)).scalars())


def decide(rule_set: RuleSet, facts: CaseFacts) -> Decision:
    return evaluate(rule_set, facts)


def _selector_condition(
    selector: str, channel: str | None, *, category: str, town_id: int, village_id: int | None
) -> ColumnElement[bool]:
    match selector:
        case "case_village":
            return Organization.id == village_id if village_id is not None else false()
        case "case_town_station":
            return (Organization.kind == OrgKind.TOWN_STATION) & (Organization.town_id == town_id)
        case "specialised_for_category":
            return (Organization.kind == OrgKind.SPECIALISED_COMMITTEE) & (
                Organization.category == top_category(category)
            )
        case "city_channel":
            return Organization.kind.in_((OrgKind.CITY_CENTER, OrgKind.CITY_CHANNEL)) & (
                Organization.channel == (channel or "general")
            )
        case "court":
            return Organization.kind == OrgKind.COURT_SUBCENTER
    raise ValueError(f"unknown selector {selector}")


@dataclass(frozen=True)
class Candidates:
    organizations: list[Organization]

    @property
    def single(self) -> Organization | None:
        """Auto-dispatch only when exactly one active organization qualifies."""
        return self.organizations[0] if len(self.organizations) == 1 else None


async def candidates(
    session: AsyncSession,
    selector: str,
    channel: str | None,
    *,
    category: str,
    town_id: int,
    village_id: int | None,
    excluded: Collection[int] = (),
) -> Candidates:
    condition = _selector_condition(
        selector, channel, category=category, town_id=town_id, village_id=village_id
    )
    stmt = select(Organization).where(condition, Organization.active.is_(True)).order_by(Organization.id)
    if excluded:
        stmt = stmt.where(Organization.id.not_in(list(excluded)))
    return Candidates(list((await session.execute(stmt)).scalars()))


async def candidates_for_case(
    session: AsyncSession, case: Case, excluded: Collection[int] = ()
) -> Candidates:
    assert case.routing_selector is not None
    return await candidates(
        session,
        case.routing_selector,
        case.routing_channel,
        category=case.category,
        town_id=case.town_org_id,
        village_id=case.village_org_id,
        excluded=excluded,
    )


def facts_of(case: Case, respondent_count: int) -> CaseFacts:
    from decimal import Decimal

    return CaseFacts(
        category=case.category,
        claim_amount=None if case.claim_amount_fen is None else Decimal(case.claim_amount_fen) / 100,
        applicant_count=max(case.applicant_count, 1),
        respondent_count=respondent_count,
        cross_village=case.cross_village,
        cross_town=case.cross_town,
        risk_level=case.risk_level,
        respondent_is_government=case.respondent_is_government,
        litigation_intended=case.litigation_intended,
    )


def no_target_note(found: int) -> str:
    if found == 0:
        return "无可用的承办组织（未设立、已停用或已退回），等待人工分派。"
    return f"符合条件的组织有 {found} 个，等待人工分派。"


# --- intake: the decision, the version in force and the organizations, in one query -------------------

_orgs = Organization.__table__.c
# The version in force as a one-row derived table, left-joined to the organizations: the query returns a
# row (carrying the version) even when no organization matches.
_in_force = select(func.max(RoutingRuleSet.version).label("version")).subquery("in_force")


def _const(value: OrgKind) -> Any:
    # In the statement's text, not a parameter (app.prepared sends only named parameters). The kinds are
    # our own enum values, plain ASCII words.
    assert value.isidentifier()
    return literal_column(f"'{value}'", String())


def _bound_condition(selector: str) -> ColumnElement[bool]:
    """_selector_condition() with bind parameters, for statements built once."""
    match selector:
        case "case_village":
            return _orgs.id == bindparam("village_id")  # NULL village: matches nothing, like false()
        case "case_town_station":
            return (_orgs.kind == _const(OrgKind.TOWN_STATION)) & (_orgs.town_id == bindparam("town_id"))
        case "specialised_for_category":
            return (_orgs.kind == _const(OrgKind.SPECIALISED_COMMITTEE)) & (
                _orgs.category == bindparam("category")
            )
        case "city_channel":
            return _orgs.kind.in_([_const(OrgKind.CITY_CENTER), _const(OrgKind.CITY_CHANNEL)]) & (
                _orgs.channel == bindparam("channel")
            )
        case "court":
            return _orgs.kind == _const(OrgKind.COURT_SUBCENTER)
    raise ValueError(f"unknown selector {selector}")


def _route_statement(selector: str) -> Select[Any]:
    candidate = and_(_bound_condition(selector), _orgs.active.is_(True))
    shown = _orgs.id.in_([bindparam("show_1"), bindparam("show_2"), bindparam("show_3")])
    return (
        select(
            _in_force.c.version,
            _orgs.id,
            _orgs.code,
            _orgs.name,
            _orgs.tier,
            _orgs.kind,
            _orgs.town_id,
            _orgs.active,
            candidate.label("candidate"),
        )
        .select_from(_in_force.outerjoin(Organization.__table__, or_(candidate, shown)))
        .order_by(_orgs.id)
    )


SELECTORS = ("case_village", "case_town_station", "specialised_for_category", "city_channel", "court")
_ROUTE = {selector: Prepared(_route_statement(selector)) for selector in SELECTORS}


@dataclass(frozen=True)
class Routed:
    decision: Decision
    found: Candidates
    orgs: dict[int, Organization]  # the candidates and the organizations asked to be shown, by id


async def route(
    session: AsyncSession, case: Case, respondent_count: int, show: tuple[int, int | None, int]
) -> Routed:
    """Decide with the rule set in force and find the organizations the decision names, in one query.

    The query also returns the version in force and the current name, tier and ``active`` flag of the
    organizations in ``show`` (for the response), all read in the request's transaction: nothing mutable
    is cached. The decision is made with the newest parsed rule set this process knows and kept only if
    the query confirms that version is still in force; otherwise the newer version is loaded and the
    decision made again (once per new version per process).
    """
    facts = facts_of(case, respondent_count)
    parsed = _parsed.of(session)
    rule_set = parsed[max(parsed)] if parsed else await rule_set_in_force(session)
    params = {
        "village_id": case.village_org_id,
        "town_id": case.town_org_id,
        "category": top_category(case.category),  # a specialised committee serves a top-level category
        "show_1": show[0],
        "show_2": show[1],
        "show_3": show[2],
    }
    while True:
        decision = decide(rule_set, facts)
        params["channel"] = decision.channel or "general"
        rows = await prepared.fetch(session, _ROUTE[decision.selector], params)
        version = rows[0]["version"]
        if version == rule_set.version:
            break
        # Another replica saved a newer rule set (or none is stored: rule_set_in_force raises as before).
        rule_set = await (_rule_set(session, version) if version is not None else rule_set_in_force(session))
    orgs: dict[int, Organization] = {}
    found: list[Organization] = []
    for row in rows:
        if row["id"] is None:
            continue
        org = Organization(
            id=row["id"],
            code=row["code"],
            name=row["name"],
            tier=row["tier"],
            kind=row["kind"],
            town_id=row["town_id"],
            active=row["active"],
        )
        orgs[org.id] = org
        if row["candidate"]:
            found.append(org)
    return Routed(decision, Candidates(found), orgs)
