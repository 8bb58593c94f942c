"""The intake's write statements, built once at import (run through app.prepared).

Why: building ``insert(Case).values(**row)`` per request coerces every value into a new bind parameter and
walks them for the cache key (~1 ms CPU per statement). A statement built once over the *Table* (not the ORM
entity, which would route it through the ORM's bulk-insert machinery) with the row passed as execute
parameters compiles once per key set and then only binds values. Every row below therefore always carries
the same keys, so each statement has exactly one compiled form.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Table, insert, literal_column
from sqlalchemy.dialects import postgresql, sqlite

from app.models import Assignment, Case, CaseEvent, CaseReferenceCounter, FeedEvent, Party, SlaClock
from app.prepared import Prepared


def _table(model: Any) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


CASES = _table(Case)
PARTIES = _table(Party)
ASSIGNMENTS = _table(Assignment)
CASE_EVENTS = _table(CaseEvent)
COUNTERS = _table(CaseReferenceCounter)
FEED_EVENTS = _table(FeedEvent)
SLA_CLOCKS = _table(SlaClock)

# Every column of a case: an intake sets none of them to None where the model has a non-None default, so
# passing None explicitly stores what omitting it did.
CASE_COLUMNS: tuple[str, ...] = tuple(c.key for c in CASES.columns)
PARTY_COLUMNS: tuple[str, ...] = tuple(c.key for c in PARTIES.columns if c.key != "id")
# Every column but the id and outcome_detail: that one is JSON, where an explicit None would store JSON null
# instead of SQL NULL (and a new assignment has no outcome). Derived, so a new column cannot be forgotten.
ASSIGNMENT_COLUMNS: tuple[str, ...] = tuple(
    c.key for c in ASSIGNMENTS.columns if c.key not in ("id", "outcome_detail")
)
EVENT_COLUMNS: tuple[str, ...] = tuple(c.key for c in CASE_EVENTS.columns if c.key != "id")
# txid is the writing transaction's id, a column default on PostgreSQL (see app.models.feed).
FEED_COLUMNS: tuple[str, ...] = tuple(c.key for c in FEED_EVENTS.columns if c.key not in ("id", "txid"))
# The intake's clocks (the dispatch clock, and when auto-dispatched the acceptance clock after it).
CLOCK_COLUMNS: tuple[str, ...] = tuple(c.key for c in SLA_CLOCKS.columns if c.key != "id")

INSERT_CASE = Prepared(insert(CASES), keys=CASE_COLUMNS, json=["routing_flags"])
# inline(): no implicit "RETURNING id" (nobody reads the generated ids of parties and events).
INSERT_PARTIES = Prepared(insert(PARTIES).inline(), keys=PARTY_COLUMNS)
INSERT_ASSIGNMENT = Prepared(insert(ASSIGNMENTS).returning(ASSIGNMENTS.c.id), keys=ASSIGNMENT_COLUMNS)
INSERT_EVENTS = Prepared(insert(CASE_EVENTS).inline(), keys=EVENT_COLUMNS, json=["data"])
INSERT_FEED_EVENTS = Prepared(insert(FEED_EVENTS).inline(), keys=FEED_COLUMNS, json=["data"])
INSERT_CLOCKS = Prepared(insert(SLA_CLOCKS).inline(), keys=CLOCK_COLUMNS)


def _next_reference(dialect_insert: Any) -> Any:
    stmt = dialect_insert(COUNTERS)
    return stmt.on_conflict_do_update(
        index_elements=[COUNTERS.c.prefix, COUNTERS.c.year],
        # A literal, not a bound 1: app.prepared sends only the named parameters.
        set_={"last_value": COUNTERS.c.last_value + literal_column("1")},
    ).returning(COUNTERS.c.last_value)


# INSERT … ON CONFLICT differs in SQLAlchemy's constructs per dialect (the SQL is the same).
NEXT_REFERENCE = Prepared(
    _next_reference(postgresql.insert),
    keys=("prefix", "year", "last_value"),
    sqlite=_next_reference(sqlite.insert),
)


def row_of(obj: Any, columns: tuple[str, ...]) -> dict[str, Any]:
    return {key: getattr(obj, key) for key in columns}


class NewCaseStatement:
    """A new case in one statement on PostgreSQL: the case, its parties, its assignment, its audit events
    and their feed rows, as data-modifying CTEs (foreign keys are checked at the end of the statement, so
    the children may name the case inserted beside them). Returns the assignment's id.

    Why: each round trip costs the service ~0.2 ms of CPU and PostgreSQL its per-statement work; five
    become one. The SQL is generated from the tables' columns (the single source of truth, as for the Core
    statements above): the case is one row of scalar parameters, every other table a set of rows passed as
    one array per column and expanded with ``unnest``. SQLite runs the same rows through the statements
    above, one per table.
    """

    def __init__(self) -> None:
        pg = postgresql.dialect()
        # The tables written as sets of rows, in the order of args()'s row lists.
        self._sets: tuple[tuple[Table, tuple[str, ...]], ...] = (
            (PARTIES, PARTY_COLUMNS),
            (ASSIGNMENTS, ASSIGNMENT_COLUMNS),
            (CASE_EVENTS, EVENT_COLUMNS),
            (FEED_EVENTS, FEED_COLUMNS),
            (SLA_CLOCKS, CLOCK_COLUMNS),
        )
        types = {(t.name, c.key): c.type.compile(dialect=pg) for t in (CASES, *dict(self._sets)) for c in t.c}
        # JSON values go as text (as app.prepared does): asyncpg's jsonb codec takes str.
        self._json = {key for key, type_ in types.items() if type_ == "JSONB"}
        count = 0

        def param(cast: str) -> str:
            nonlocal count
            count += 1
            return f"${count}::{cast}"

        case = (
            f"c AS (INSERT INTO {CASES.name} ({', '.join(CASE_COLUMNS)}) "  # noqa: S608 (names from the models)
            f"VALUES ({', '.join(param(types[CASES.name, k]) for k in CASE_COLUMNS)}))"
        )
        inserts = [case]
        for name, (table, columns) in zip("paefk", self._sets, strict=True):
            arrays = ", ".join(param(f"{types[table.name, k]}[]") for k in columns)
            names = ", ".join(columns)
            inserts.append(
                f"{name} AS (INSERT INTO {table.name} ({names}) "  # noqa: S608 (likewise)
                f"SELECT * FROM unnest({arrays}) AS u({names}){' RETURNING id' if name == 'a' else ''})"
            )
        self.sql = f"WITH {', '.join(inserts)} SELECT id FROM a"  # noqa: S608 (values are $n parameters)

    def args(
        self,
        case: dict[str, Any],
        parties: list[dict[str, Any]],
        assignments: list[dict[str, Any]],
        events: list[dict[str, Any]],
        feed: list[dict[str, Any]],
        clocks: list[dict[str, Any]],
    ) -> list[Any]:
        """The parameters: the case's values, then per table one list per column, in ``self.sql``'s order."""

        def value(table: Table, key: str, v: Any) -> Any:
            return json.dumps(v) if (table.name, key) in self._json else v

        args = [value(CASES, k, case[k]) for k in CASE_COLUMNS]
        for (table, columns), rows in zip(
            self._sets, (parties, assignments, events, feed, clocks), strict=True
        ):
            args += [[value(table, k, r[k]) for r in rows] for k in columns]
        return args


NEW_CASE = NewCaseStatement()
