"""The demo history: reproducible from its seed, and covering every state, tier and outcome kind, with
breaches and cases at risk on the day it ends — all written through the service's own code."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from app.auth import secrets
from app.auth.principal import Principal
from app.calendar.service import calendar_in_force
from app.calendar.workdays import SHANGHAI, WorkCalendar
from app.cases.lifecycle import ADMINISTRATIVE_REVIEW_OUTCOMES, COURT_OUTCOMES
from app.config import Settings
from app.context import AppContext
from app.db import session_scope, utcnow
from app.demo.accounts import seed_accounts
from app.demo.history import HistoryReport, write_history
from app.demo.plan import drafts
from app.models import Assignment, Case, CaseEvent, CaseStatus, FeedEvent, Organization, Role, SlaClock
from app.organizations.demo import load_demo_tree
from app.routing.engine import TIERS
from app.sla import queries
from tests.conftest import TEST_KEYS

END = datetime(2026, 11, 18, 10, 30, tzinfo=SHANGHAI)  # a Wednesday
CASES = 45  # the showcase (every state, tier and outcome kind) and some ordinary cases


@pytest.fixture(autouse=True)
def quick_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(secrets, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


async def _history(url: str, tmp_path: Any, seed: int) -> tuple[HistoryReport, dict[str, Any]]:
    ctx = AppContext.from_settings(Settings(env="test", database_url=url, **TEST_KEYS))
    try:
        async with session_scope(ctx.sessionmaker) as session:
            await load_demo_tree(session)
            await seed_accounts(session, tmp_path / f"credentials-{seed}.txt", reset=False, now=utcnow())
        report = await write_history(ctx, count=CASES, seed=seed, end=END)
        async with session_scope(ctx.sessionmaker) as session:
            facts = await _facts(session)
    finally:
        await ctx.close()
    return report, facts


async def _facts(session: Any) -> dict[str, Any]:
    async def count(*where: Any, of: Any = SlaClock.id) -> int:
        return int((await session.execute(select(func.count(of)).where(*where))).scalar_one())

    bureau = (await session.execute(select(Organization).where(Organization.code == "LY"))).scalar_one()
    principal = Principal("user", 0, Role.SUPERVISOR, bureau.id, bureau.kind, None, "test")
    calendar = await calendar_in_force(session)
    next_working_day, _ = calendar.add_working_days(END.date(), 1)
    horizon = datetime.combine(next_working_day + timedelta(days=1), datetime.min.time(), SHANGHAI)
    at_risk = await queries.at_risk(
        session, principal, queries.SlaFilters(), now=END, horizon=horizon, after=None, limit=100
    )
    return {
        "breaches_open": await count(SlaClock.breached_at.is_not(None), SlaClock.stopped_at.is_(None)),
        "breaches_closed_late": await count(SlaClock.lateness_working_days > 0),
        "breaches_by_kind": dict(
            (
                await session.execute(
                    select(SlaClock.kind, func.count())
                    .where(SlaClock.breached_at.is_not(None))
                    .group_by(SlaClock.kind)
                )
            ).all()
        ),
        "declines": await count(Assignment.declined_at.is_not(None), of=Assignment.id),
        "escalations": await count(Assignment.end_reason == "escalated", of=Assignment.id),
        "events": await count(of=CaseEvent.id),
        "feed_events": await count(of=FeedEvent.id),
        "at_risk": len(at_risk),
        "settled_with_amount": await count(
            Assignment.outcome == "settled", Assignment.outcome_detail.is_not(None), of=Assignment.id
        ),
        "after_end": await count(CaseEvent.occurred_at > END, of=CaseEvent.id),
        # Every change went through the transition function: one audit event per version step.
        "versions": int((await session.execute(select(func.sum(Case.version)))).scalar_one()),
    }


async def test_the_same_seed_gives_the_same_history_and_it_covers_every_state_tier_and_outcome(
    backend, databases, tmp_path
):
    first_url = await (databases.sqlite_url() if backend == "sqlite" else databases.postgresql_url())
    first, first_facts = await _history(first_url, tmp_path, seed=7)
    # A second, empty database (PostgreSQL: the session's database, truncated again).
    second_url = await (databases.sqlite_url() if backend == "sqlite" else databases.postgresql_url())
    second, second_facts = await _history(second_url, tmp_path, seed=7)

    assert (first.by_status, first.by_resolved_tier, first.by_outcome) == (
        second.by_status,
        second.by_resolved_tier,
        second.by_outcome,
    )
    assert (first.breaches, first.open_breaches, first.steps) == (
        second.breaches,
        second.open_breaches,
        second.steps,
    )
    assert first_facts == second_facts

    assert sum(first.by_status.values()) == CASES
    assert set(first.by_status) == {str(s) for s in CaseStatus}
    assert set(first.by_resolved_tier) == set(TIERS)
    assert set(first.by_outcome) >= {str(o) for o in COURT_OUTCOMES | ADMINISTRATIVE_REVIEW_OUTCOMES}
    facts = first_facts
    assert facts["breaches_open"] >= 1 and facts["breaches_closed_late"] >= 1
    assert set(facts["breaches_by_kind"]) == {"dispatch", "acceptance", "mediation"}  # the three clocks
    assert facts["declines"] >= 1 and facts["escalations"] >= 2
    assert facts["at_risk"] >= 2
    assert facts["settled_with_amount"] >= 1 and facts["feed_events"] > 0
    assert facts["after_end"] == 0  # nothing happens after the end it was given
    assert facts["versions"] == facts["events"]


def test_another_seed_gives_another_history():
    def summaries(seed: int) -> list[str]:
        return [d.body["summary"] for d in drafts(seed, 40, END, WorkCalendar())]

    assert summaries(1) == summaries(1) != summaries(2)
