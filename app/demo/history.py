"""A year of demo cases, replayed in time order through the service's own code: intake
(``app.cases.intake.create_case``), the lifecycle actions (``app.cases.actions``, each through
``transitions.load``/``flush`` as a request would), the routing rules and the SLA sweep.

Nothing is written behind the service's back: every clock, breach, audit event and feed row is what the
service itself wrote when it was told the time. The replay keeps one queue of due steps over all cases and
runs the sweep at 00:01 Asia/Shanghai of every day, so a breach is recorded a minute after its 24:00
deadline, as the background sweep would. Clocks added to the lifecycle functions later (acceptance,
mediation) appear in the history without a change here.
"""

from __future__ import annotations

import heapq
import time as clock
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.calendar.service import calendar_in_force
from app.calendar.workdays import SHANGHAI, WorkCalendar
from app.cases import actions
from app.cases.action_views import OutcomeIn
from app.cases.intake import create_case
from app.cases.lifecycle import escalation_tier, outcomes_for
from app.cases.schemas import CaseIn
from app.cases.transitions import Loaded, flush, load
from app.context import AppContext
from app.db import make_sessionmaker
from app.demo import outcomes
from app.demo import phrasebook as words
from app.demo.inline_sqlite import inline_engine
from app.demo.plan import Draft, drafts, later
from app.models import ApiClient, Case, CaseStatus, Organization, Role, SlaClock, User
from app.organizations.demo import COURT_CLIENT, DEMO_USERS
from app.sla.sweep import sweep

SWEEP_AT = time(0, 1)


@dataclass(frozen=True)
class Org:
    id: int
    code: str
    kind: str
    tier: str
    town_id: int | None
    channel: str | None


@dataclass
class Directory:
    """The organizations, and who acts for each: its demo user, or the court's machine key."""

    orgs: dict[int, Org]
    by_code: dict[str, Org]
    actors: dict[int, Principal]  # by organization id
    supervisors: dict[int, Principal]  # by town id; the city bureau under 0

    def code(self, org_id: int | None) -> str:
        return self.orgs[org_id].code if org_id is not None else ""


async def load_directory(session: AsyncSession) -> Directory:
    orgs = {
        o.id: Org(o.id, o.code, o.kind, o.tier, o.town_id, o.channel)
        for o in (await session.execute(select(Organization))).scalars()
    }
    by_code = {o.code: o for o in orgs.values()}
    wanted = {username for username, role, _ in DEMO_USERS if role != Role.ADMIN}
    actors: dict[int, Principal] = {}
    supervisors: dict[int, Principal] = {}
    for user in (await session.execute(select(User).where(User.username.in_(wanted)))).scalars():
        org = orgs[user.organization_id]
        principal = Principal("user", user.id, Role(user.role), org.id, org.kind, org.town_id, user.username)
        actors[org.id] = principal
        if user.role == Role.SUPERVISOR:
            supervisors[org.town_id or 0] = principal
    court = (await session.execute(select(ApiClient).where(ApiClient.name == COURT_CLIENT))).scalar_one()
    org = orgs[court.organization_id]
    actors[org.id] = Principal(
        "client", court.id, Role.COURT, org.id, org.kind, None, court.name, frozenset(court.scopes)
    )
    return Directory(orgs, by_code, actors, supervisors)


@dataclass
class Story:
    """A case being replayed: its plan, and what the service last said about it."""

    draft: Draft
    case: Case | None = None
    declined: bool = False
    escalated: int = 0
    withdraw_before_dispatch: bool = False

    @property
    def status(self) -> str | None:
        return self.case.status if self.case is not None else None


@dataclass
class HistoryReport:
    cases: int = 0
    steps: int = 0
    sweeps: int = 0
    seconds: float = 0.0
    by_status: Counter[str] = field(default_factory=Counter)
    by_resolved_tier: Counter[str] = field(default_factory=Counter)
    by_outcome: Counter[str] = field(default_factory=Counter)
    breaches: int = 0
    open_breaches: int = 0


class Replay:
    def __init__(self, ctx: AppContext, session: AsyncSession, directory: Directory, calendar: WorkCalendar):
        self.ctx, self.session, self.dir, self.calendar = ctx, session, directory, calendar

    async def act(self, story: Story, principal: Principal, apply: Callable[[Loaded], Any]) -> None:
        """One lifecycle action as ``app.cases.action_views.run_action`` performs it, minus the response."""
        assert story.case is not None
        loaded = await load(self.session, principal, story.case.id, story.case.version)
        result = apply(loaded)
        if isinstance(result, Awaitable):
            await result
        if loaded.assignment is not None and loaded.assignment not in self.session:
            self.session.add(loaded.assignment)
        await flush(self.session, loaded)
        story.case = loaded.case

    async def step(self, story: Story, now: datetime) -> datetime | None:
        """Do the story's next action at ``now``; return when the one after is due (None: the story ends)."""
        d, case = story.draft, story.case
        if d.plan.stop_at is not None and story.status == d.plan.stop_at:
            return None
        if case is None:
            return await self.intake(story, now)
        match case.status:
            case CaseStatus.PENDING_DISPATCH:
                return await self.dispatch(story, now)
            case CaseStatus.DISPATCHED:
                return await self.accept_or_decline(story, now)
            case CaseStatus.IN_MEDIATION:
                return await self.conclude(story, now)
            case CaseStatus.RESOLVED:
                return await self.close(story, now)
        return None

    async def intake(self, story: Story, now: datetime) -> datetime | None:
        d = story.draft
        principal = self.dir.actors[self.dir.by_code[d.intake_code].id]
        result = await create_case(
            self.session, self.ctx, principal, CaseIn.model_validate(d.body), None, now
        )
        story.case = await self.session.get(Case, uuid.UUID(result.case_id))
        return self.after_entering(story, now)

    def after_entering(self, story: Story, now: datetime) -> datetime | None:
        """When the next step is due, now that the case is waiting or dispatched."""
        d, case = story.draft, story.case
        assert case is not None
        if case.status == CaseStatus.DISPATCHED:
            return later(self.calendar, now, d.rng, d.rng.choice([0, 0, 0, 1, 1, 2]))
        if d.plan.withdraw and d.rng.random() < 0.3:
            story.withdraw_before_dispatch = True  # the applicant withdraws before anyone took it
            return later(self.calendar, now, d.rng, 1)
        assert case.dispatch_due_at is not None
        match d.plan.dispatch:
            case "never" if not story.declined:
                return None
            case "late":
                return later(self.calendar, case.dispatch_due_at, d.rng, d.rng.randint(1, 6))
        due_day = (case.dispatch_due_at - timedelta(seconds=1)).astimezone(SHANGHAI)
        at = later(self.calendar, now, d.rng, d.rng.randint(0, 2))
        return min(at, due_day.replace(hour=16, minute=d.rng.randint(0, 59)))

    async def dispatch(self, story: Story, now: datetime) -> datetime | None:
        d, case = story.draft, story.case
        assert case is not None
        supervisor = self.dir.supervisors[case.town_org_id if d.rng.random() < 0.9 else 0]
        if story.withdraw_before_dispatch:
            reason = d.rng.choice(words.WITHDRAW_REASONS)
            await self.act(
                story, supervisor, lambda c: actions.withdraw(self.session, supervisor, c, reason, now)
            )
            return later(self.calendar, now, d.rng, d.rng.randint(3, 15)) if d.plan.close else None
        target = self.manual_target(story)
        note = d.rng.choice([None, *words.DISPATCH_NOTES])
        await self.act(
            story, supervisor, lambda c: actions.dispatch(self.session, supervisor, c, target, note, now)
        )
        return self.after_entering(story, now)

    def manual_target(self, story: Story) -> str:
        """Where a supervisor sends a case no single organization qualified for (or that was declined)."""
        d, case = story.draft, story.case
        assert case is not None
        if case.routing_org_id is not None and not story.declined:
            return self.dir.code(case.routing_org_id)
        town = case.town_org_id
        station = next(
            o.code for o in self.dir.orgs.values() if o.kind == "town_station" and o.town_id == town
        )
        if case.routing_selector == "case_village" and not story.declined:
            villages = [
                o.code for o in self.dir.orgs.values() if o.kind == "village_committee" and o.town_id == town
            ]
            return d.rng.choice(villages)
        return "LY-CC" if case.routing_tier in ("town", "city_center") else station

    async def accept_or_decline(self, story: Story, now: datetime) -> datetime | None:
        d, case = story.draft, story.case
        assert case is not None and case.current_org_id is not None
        holder = self.dir.actors[case.current_org_id]
        if d.plan.decline and not story.declined:
            story.declined = True
            reason = d.rng.choice(words.DECLINE_REASONS)
            await self.act(story, holder, lambda c: actions.decline(self.session, holder, c, reason, now))
            return self.after_entering(story, now)
        await self.act(story, holder, lambda c: actions.accept(self.session, holder, c, None, now))
        return later(self.calendar, now, d.rng, outcomes.mediation_days(d.rng, self.holder_org(story)))

    def holder_org(self, story: Story) -> Org:
        assert story.case is not None and story.case.current_org_id is not None
        return self.dir.orgs[story.case.current_org_id]

    async def conclude(self, story: Story, now: datetime) -> datetime | None:
        d = story.draft
        org = self.holder_org(story)
        holder = self.dir.actors[org.id]
        if story.escalated < d.plan.escalations and escalation_tier(org.tier) is not None:
            story.escalated += 1
            reason = d.rng.choice(words.ESCALATION_REASONS)
            await self.act(story, holder, lambda c: actions.escalate(self.session, holder, c, reason, now))
            return self.after_entering(story, now)
        if d.plan.withdraw:
            reason = d.rng.choice(words.WITHDRAW_REASONS)
            await self.act(story, holder, lambda c: actions.withdraw(self.session, holder, c, reason, now))
        else:
            allowed = outcomes_for(org.tier, org.channel)
            outcome = (
                d.plan.outcome if d.plan.outcome in allowed else outcomes.draw(d.rng, org.tier, org.channel)
            )
            body = OutcomeIn.model_validate(outcomes.detail(d.rng, outcome, story.case, now))
            detail = body.detail()
            await self.act(
                story,
                holder,
                lambda c: actions.record_outcome(self.session, holder, c, body.outcome, detail, now),
            )
        return later(self.calendar, now, d.rng, d.rng.randint(3, 20)) if d.plan.close else None

    async def close(self, story: Story, now: datetime) -> datetime | None:
        d, case = story.draft, story.case
        assert case is not None
        resolver = self.dir.actors.get(case.resolved_org_id or -1)
        if resolver is None or resolver.is_machine:  # the court does not visit: the town's office does
            resolver = self.dir.supervisors[case.town_org_id]
        note = d.rng.choice(words.FOLLOW_UP_NOTES)
        await self.act(story, resolver, lambda c: actions.close(resolver, c, note, now))
        return None


def _next_sweep(after: datetime) -> datetime:
    local = after.astimezone(SHANGHAI)
    at = datetime.combine(local.date(), SWEEP_AT, SHANGHAI)
    return at if at > local else at + timedelta(days=1)


async def write_history(ctx: AppContext, *, count: int, seed: int, end: datetime) -> HistoryReport:
    """Replay ``count`` cases over the year before ``end``, committing once per simulated day."""
    if ctx.engine.dialect.name != "sqlite":
        return await _write_history(ctx, count, seed, end)
    engine = inline_engine(ctx.engine.url.render_as_string(hide_password=False))
    try:
        return await _write_history(
            replace(ctx, engine=engine, sessionmaker=make_sessionmaker(engine)), count, seed, end
        )
    finally:
        await engine.dispose()


async def _write_history(ctx: AppContext, count: int, seed: int, end: datetime) -> HistoryReport:
    started = clock.perf_counter()
    report = HistoryReport(cases=count)
    async with ctx.sessionmaker() as session:
        directory = await load_directory(session)
        calendar = await calendar_in_force(session)
        stories = [Story(d) for d in drafts(seed, count, end, calendar)]
        queue = [(s.draft.intake_at, s.draft.index, s) for s in stories]
        heapq.heapify(queue)
        replay = Replay(ctx, session, directory, calendar)
        next_sweep = _next_sweep(queue[0][0]) if queue else end
        while True:
            due = queue[0][0] if queue else end
            while next_sweep <= min(due, end):
                await sweep(session, next_sweep)
                await session.commit()
                session.expunge_all()
                report.sweeps += 1
                next_sweep += timedelta(days=1)
            if not queue:
                break
            at, index, story = heapq.heappop(queue)
            following = await replay.step(story, at)
            report.steps += 1
            if following is not None and following <= end:
                heapq.heappush(queue, (max(following, at + timedelta(seconds=1)), index, story))
        await sweep(session, end)
        await session.commit()
        await _count(session, report)
    report.seconds = clock.perf_counter() - started
    return report


async def _count(session: AsyncSession, report: HistoryReport) -> None:
    for column, counter in (
        (Case.status, report.by_status),
        (Case.resolved_tier, report.by_resolved_tier),
        (Case.outcome, report.by_outcome),
    ):
        rows = await session.execute(select(column, func.count()).where(column.is_not(None)).group_by(column))
        counter.update({str(k): int(n) for k, n in rows})
    breached = SlaClock.breached_at.is_not(None)
    report.breaches = int(
        (await session.execute(select(func.count(SlaClock.id)).where(breached))).scalar_one()
    )
    report.open_breaches = int(
        (
            await session.execute(
                select(func.count(SlaClock.id)).where(breached, SlaClock.stopped_at.is_(None))
            )
        ).scalar_one()
    )


async def has_cases(session: AsyncSession) -> bool:
    return (await session.execute(select(Case.id).limit(1))).first() is not None
