"""Random sequences of lifecycle actions, stale versions mixed in, on a real database (both backends).

Invariants checked against what is stored after every step: only transitions of the table happen; at most
one open assignment; exactly one audit event per transition (the version counts them); escalation never
goes down the ladder; a resolved or closed case has exactly one outcome; a refused request changes nothing.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import httpx
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import select

from app.cases.lifecycle import EVENT_TYPES, TRANSITIONS
from app.db import session_scope
from app.main import create_app
from app.models import Assignment, Case, CaseEvent
from app.routing.engine import tier_rank
from tests.support import case_body, login

ACTORS = ["lc_v01", "lc_stn", "lc_sfs", "labour", "cc", "bureau"]
ASSIGNEE_OF = {"LY-LC-V01": "lc_v01", "LY-LC-STN": "lc_stn", "LY-SP-LABOUR": "labour", "LY-CC": "cc"}
# Mostly the one who may act, with the current version, so runs reach deep states; the rest probes refusals.
WHO = st.sampled_from(["right", "right", "right", *ACTORS])
STALE = st.sampled_from([False, False, False, True])
TARGETS = ["LY-LC-V01", "LY-LC-STN", "LY-CC", "LY-SP-LABOUR", "LY-COURT"]
EVENT_ACTION = {event: action for action, event in EVENT_TYPES.items()}
ALLOWED = {(str(a), str(f)): str(t) for (a, f), t in TRANSITIONS.items()}


class Harness:
    """An app on its own event loop (hypothesis drives synchronous steps)."""

    def __init__(self, settings_: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.app = create_app(settings_)
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://t")
        from tests.support import build_world

        self.world = self.run(build_world(self.app))
        self.headers = {u: self.run(login(self.client, self.world, u)) for u in ACTORS}

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def close(self) -> None:
        self.run(self.client.aclose())
        self.run(self.app.state.ctx.close())
        self.loop.close()


class Lifecycle(RuleBasedStateMachine):
    harness: Harness

    @initialize(category=st.sampled_from(["neighbour", "labour", "land"]))
    def register(self, category: str) -> None:
        h = self.harness
        r = h.run(
            h.client.post("/api/v1/cases", json=case_body(category=category), headers=h.headers["lc_v01"])
        )
        assert r.status_code == 201, r.text
        self.case = r.json()
        self.successes = 0

    def _stored(self) -> tuple[Case, list[CaseEvent], list[Assignment]]:
        async def read() -> tuple[Case, list[CaseEvent], list[Assignment]]:
            async with session_scope(self.harness.app.state.ctx.sessionmaker) as s:
                case = (await s.execute(select(Case).where(Case.id == self.case_uuid))).scalar_one()
                events = list(
                    (
                        await s.execute(
                            select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
                        )
                    ).scalars()
                )
                assignments = list(
                    (
                        await s.execute(
                            select(Assignment).where(Assignment.case_id == case.id).order_by(Assignment.id)
                        )
                    ).scalars()
                )
                return case, events, assignments

        return self.harness.run(read())

    @property
    def case_uuid(self) -> Any:
        import uuid

        return uuid.UUID(self.case["id"])

    def _actor(self, who: str) -> str:
        if who != "right":
            return who
        current = (self.case.get("current_organization") or {}).get("code")
        return ASSIGNEE_OF.get(current, "lc_sfs") if current else "lc_sfs"

    def _act(self, action: str, who: str, stale: bool, body: dict[str, Any]) -> None:
        h = self.harness
        actor = self._actor(who)
        before, before_events, _ = self._stored()
        version = before.version - 1 if stale else before.version
        r = h.run(
            h.client.post(
                f"/api/v1/cases/{self.case['id']}/{action}",
                json=body,
                headers={**h.headers[actor], "If-Match": f'"{version}"'},
            )
        )
        after, after_events, _ = self._stored()
        assert r.status_code in (200, 403, 404, 409, 412, 422), r.text
        if stale:
            assert r.status_code in (404, 412), f"a stale write must never succeed: {r.status_code}"
        if r.status_code != 200:
            assert (after.version, after.status, len(after_events)) == (
                before.version,
                before.status,
                len(before_events),
            )
            if r.status_code == 409:
                assert (action, before.status) not in ALLOWED
            return
        assert (action, before.status) in ALLOWED, f"{action} succeeded from {before.status}"
        expected = ALLOWED[(action, before.status)]
        # decline and escalate may be followed, in the same request, by an automatic dispatch
        assert after.status == expected or (expected == "pending_dispatch" and after.status == "dispatched")
        self.case = r.json()

    @rule(who=WHO, to_org=st.sampled_from(TARGETS), stale=STALE)
    def dispatch(self, who: str, to_org: str, stale: bool) -> None:
        self._act("dispatch", who, stale, {"organization_code": to_org})

    @rule(who=WHO, stale=STALE)
    def accept(self, who: str, stale: bool) -> None:
        self._act("accept", who, stale, {})

    @rule(who=WHO, stale=STALE)
    def decline(self, who: str, stale: bool) -> None:
        self._act("decline", who, stale, {"reason": "不属于本组织受理范围"})

    @rule(who=WHO, stale=STALE)
    def escalate(self, who: str, stale: bool) -> None:
        self._act("escalate", who, stale, {"reason": "调解不成，申请上交"})

    @rule(
        who=WHO,
        stale=STALE,
        outcome=st.sampled_from(["settled", "failed", "revoked"]),
    )
    def outcome(self, who: str, stale: bool, outcome: str) -> None:
        self._act("outcome", who, stale, {"outcome": outcome})

    @rule(who=WHO, stale=STALE)
    def withdraw(self, who: str, stale: bool) -> None:
        self._act("withdraw", who, stale, {"reason": "申请人撤回"})

    @rule(who=WHO, stale=STALE)
    def close(self, who: str, stale: bool) -> None:
        self._act("close", who, stale, {"follow_up_note": "回访完毕"})

    @invariant()
    def stored_history_is_consistent(self) -> None:
        if not hasattr(self, "case"):
            return
        case, events, assignments = self._stored()
        # one audit event per transition: version N ⇔ N events, numbered 1..N
        assert [e.case_version for e in events] == list(range(1, case.version + 1))
        assert events[0].type == "case.created" and events[-1].to_status == case.status
        for previous, event in itertools.pairwise(events):
            assert event.from_status == previous.to_status
            assert ALLOWED[(str(EVENT_ACTION[event.type]), event.from_status)] == event.to_status
            if event.type == "case.escalated":
                assert tier_rank(event.data["to_tier"]) > tier_rank(event.data["from_tier"])
        assert sum(a.ended_at is None for a in assignments) <= 1
        open_one = [a for a in assignments if a.ended_at is None]
        assert (case.status in ("dispatched", "in_mediation")) == bool(open_one)
        finishing = [e for e in events if e.type in ("case.resolved", "case.withdrawn")]
        if case.status in ("resolved", "closed"):
            assert len(finishing) == 1 and case.outcome is not None
        else:
            assert not finishing and case.outcome is None


def test_lifecycle_state_machine(settings: Any, db_url: str) -> None:  # db_url: prepares the database
    harness = Harness(settings)
    Lifecycle.harness = harness
    try:
        run = settings_for_run(Lifecycle)
        run.TestCase().runTest()
    finally:
        harness.close()


def settings_for_run(machine: type[RuleBasedStateMachine]) -> type[RuleBasedStateMachine]:
    machine.TestCase.settings = settings(
        max_examples=60,
        stateful_step_count=12,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    return machine
