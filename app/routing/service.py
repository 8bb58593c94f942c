"""Routing against the database: the rule set in force, and which organizations a decision names."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, false, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Case, Organization, OrgKind, RoutingRuleSet
from app.routing.engine import CaseFacts, Decision, RuleSet, evaluate, parse_rule_set

# Parsed rule sets by version: a version is immutable once stored, so the cache never goes stale; each
# request still asks the database which version is in force (one indexed lookup), so replicas agree.
_parsed: dict[int, RuleSet] = {}

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
    version = await current_version(session)
    if version not in _parsed:
        document = (
            await session.execute(select(RoutingRuleSet.rules).where(RoutingRuleSet.version == version))
        ).scalar_one()
        _parsed[version] = parse_rule_set({**document, "version": version})
    return _parsed[version]


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
            return (Organization.kind == OrgKind.SPECIALISED_COMMITTEE) & (Organization.category == category)
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
        judicial_confirmation_requested=case.judicial_confirmation_requested,
    )


def no_target_note(found: int) -> str:
    if found == 0:
        return "无可用的承办组织（未设立、已停用或已退回），等待人工分派。"
    return f"符合条件的组织有 {found} 个，等待人工分派。"
