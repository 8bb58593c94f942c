"""The one place a case changes state: version check, allowed-transition check, the change, one audit event.

Every action below goes through :func:`transition`, inside the request's transaction. The case row is read
``FOR UPDATE`` (PostgreSQL) and its version compared with what the client last saw, so of two concurrent
writers one wins and the other gets 412; an action not allowed from the current state gets 409.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.auth.scope import case_scope
from app.cases import repository as repo
from app.cases.events import ADDRESSEE_KEY, HOLDER_KEY, write_events
from app.cases.lifecycle import EVENT_TYPES, Action, allowed_actions, next_status
from app.cases.permissions import CaseFacts, load_facts
from app.db import utcnow
from app.errors import Conflict, NotFound, PreconditionFailed
from app.models import Assignment, Case


@dataclass(frozen=True)
class Actor:
    """Who causes a transition: a principal, or the system (auto-dispatch) acting for one."""

    user_id: int | None
    client_id: int | None
    organization_id: int | None

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        return cls(principal.user_id, principal.client_id, principal.organization_id)


@dataclass
class Loaded:
    case: Case
    assignment: Assignment | None
    events: list[dict[str, Any]] = field(default_factory=list)
    # What the who-may rules read, as loaded (before the action): see app.cases.permissions.
    loaded_facts: CaseFacts | None = None

    @property
    def facts(self) -> CaseFacts:
        assert self.loaded_facts is not None, "load() reads the facts; a new case has none"
        return self.loaded_facts


async def load(
    session: AsyncSession,
    principal: Principal,
    case_id: uuid.UUID,
    expected_version: int,
    now: datetime | None = None,
) -> Loaded:
    """Lock the case and check the client's version. Out of scope looks like absent (404)."""
    case = await repo.get_case_for_update(session, case_id, case_scope(principal))
    if case is None:
        raise NotFound("No such case.", code="case.not_found")
    if case.version != expected_version:
        raise PreconditionFailed(
            f"The case changed since version {expected_version}; reload it (current version {case.version}).",
            current_version=case.version,
        )
    assignment = (
        await session.execute(
            select(Assignment)
            .where(Assignment.case_id == case.id, Assignment.ended_at.is_(None))
            .with_for_update()
        )
    ).scalar_one_or_none()
    facts = await load_facts(session, case, assignment, now or utcnow())
    return Loaded(case, assignment, loaded_facts=facts)


def transition(
    loaded: Loaded,
    action: Action,
    actor: Actor,
    now: datetime,
    *,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Move the case to the state ``action`` leads to and queue its audit event (written by :func:`flush`)."""
    case = loaded.case
    target = next_status(action, case.status)
    if target is None:
        raise Conflict(
            f"Cannot {action} a case that is {case.status}.",
            code="transition_not_allowed",
            current_status=case.status,
            allowed_actions=[str(a) for a in allowed_actions(case.status)],
        )
    previous = case.status
    case.status = target
    _append(loaded, EVENT_TYPES[action], previous, target, actor, now, reason, data, bump_version=True)


def record(
    loaded: Loaded,
    event_type: str,
    actor: Actor,
    now: datetime,
    *,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
    bump_version: bool = True,
    addressee: int | None = None,
) -> None:
    """An audited event that leaves the state as it is (a confirmation request, an extension, a 督办).

    It takes the same path as a transition: one audit row, and whatever the event writer derives from it.
    ``bump_version`` is False for events that change nothing the holder's page was rendered with.
    ``addressee``: an organization the event is for although it does not hold the case (the court a
    confirmation request goes to); its feed receives it."""
    status = loaded.case.status
    _append(loaded, event_type, status, status, actor, now, reason, data, bump_version=bump_version)
    if addressee is not None:
        loaded.events[-1][ADDRESSEE_KEY] = addressee


def _append(
    loaded: Loaded,
    event_type: str,
    previous: str,
    target: str,
    actor: Actor,
    now: datetime,
    reason: str | None,
    data: dict[str, Any] | None,
    *,
    bump_version: bool,
) -> None:
    case = loaded.case
    if bump_version:
        case.version += 1
        case.updated_at = now
    loaded.events.append(
        {
            "case_id": case.id,
            "type": event_type,
            "from_status": previous,
            "to_status": target,
            "case_version": case.version,
            "actor_user_id": actor.user_id,
            "actor_client_id": actor.client_id,
            "actor_org_id": actor.organization_id,
            "reason": reason,
            "data": data or {},
            "occurred_at": now,
            # Who held the case before this event (not a column: the outbox uses it, see events.py).
            HOLDER_KEY: loaded.assignment.organization_id if loaded.assignment else None,
        }
    )


async def flush(session: AsyncSession, loaded: Loaded) -> list[dict[str, Any]]:
    """Write the case change and its audit events in the current transaction."""
    await session.flush()
    await write_events(session, loaded.case, loaded.events)
    written, loaded.events = loaded.events, []
    return written
