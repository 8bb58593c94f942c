"""Writing a case's audit events: the one place every state change's events become rows (intake and
transitions), and the one writer through which other packages derive rows from them.

Events flow one way. Whatever must be written in the same transaction as an event — the court feed's
outbox, the notifications' outbox — is derived by a subscriber that its own package registers with
:func:`subscribe` (see app.subscribers); ``cases/`` never imports its subscribers. :func:`rows_of` gives the
audit rows and every subscriber's rows, which :func:`write_events` inserts (the intake inserts them in its
own single statement, see app.cases.repository.insert_new_case).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.cases.sql import EVENT_COLUMNS, INSERT_EVENTS
from app.models import Case
from app.prepared import Prepared, executemany

# Key of an event dict naming the organization that held the case before the event (not a column).
HOLDER_KEY = "_holder"
# Key naming an organization the event is addressed to without holding the case (not a column).
ADDRESSEE_KEY = "_addressee"

Derive = Callable[[AsyncSession, Case, list[dict[str, Any]]], Awaitable[list[dict[str, Any]]]]


@dataclass(frozen=True)
class Subscriber:
    """Rows of ``table`` derived from a change's events, written in the same transaction.

    ``derive`` gets the case (after the change) and its events, and returns rows giving every one of
    ``columns`` (one compiled statement); it should cost nothing for events it does not care about."""

    name: str
    table: Table
    columns: tuple[str, ...]
    derive: Derive
    insert: Prepared


_subscribers: dict[str, Subscriber] = {}


def subscribe(
    name: str, table: Table, columns: Sequence[str], derive: Derive, *, json: Sequence[str] = ()
) -> None:
    """Register (or replace, by name) a subscriber; called once per process by app.subscribers."""
    columns = tuple(columns)
    statement = Prepared(insert(table).inline(), keys=columns, json=json)
    _subscribers[name] = Subscriber(name, table, columns, derive, statement)


def subscribers() -> tuple[Subscriber, ...]:
    return tuple(_subscribers.values())


@dataclass(frozen=True)
class EventRows:
    audit: list[dict[str, Any]]  # case_events, every column given (one compiled statement)
    # Each subscriber that derived rows, with them (subscribers with none are left out).
    derived: list[tuple[Subscriber, list[dict[str, Any]]]]


async def rows_of(session: AsyncSession, case: Case, events: list[dict[str, Any]]) -> EventRows:
    """Each row is given every column, so a statement has one compiled form; a key an event leaves out is
    stored as NULL (``data`` as ``{}``, its model default), as the ORM insert did."""
    if not _subscribers:
        # Loud, not silent: without them the court would never hear of this change.
        raise RuntimeError("no event subscribers registered: the shell calls app.subscribers.install() first")
    audit = [{k: e.get(k) for k in EVENT_COLUMNS} | {"data": e.get("data") or {}} for e in events]
    derived = []
    if events:
        for subscriber in _subscribers.values():
            rows = await subscriber.derive(session, case, events)
            if rows:
                derived.append((subscriber, [{k: r.get(k) for k in subscriber.columns} for r in rows]))
    return EventRows(audit, derived)


async def write_events(session: AsyncSession, case: Case, events: list[dict[str, Any]]) -> None:
    """All of a change's events in one executemany (one round trip), and each subscriber's rows in another."""
    rows = await rows_of(session, case, events)
    if rows.audit:
        await executemany(session, INSERT_EVENTS, rows.audit)
    for subscriber, derived in rows.derived:
        await executemany(session, subscriber.insert, derived)
