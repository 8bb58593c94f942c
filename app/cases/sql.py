"""The intake's write statements, built once at import (run through app.prepared).

Why: building ``insert(Case).values(**row)`` per request coerces every value into a new bind parameter and
walks them for the cache key (~1 ms CPU per statement). A statement built once over the *Table* (not the ORM
entity, which would route it through the ORM's bulk-insert machinery) with the row passed as execute
parameters compiles once per key set and then only binds values. Every row below therefore always carries
the same keys, so each statement has exactly one compiled form.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, insert, literal_column
from sqlalchemy.dialects import postgresql, sqlite

from app.models import Assignment, Case, CaseEvent, CaseReferenceCounter, Party
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

INSERT_CASE = Prepared(insert(CASES), keys=CASE_COLUMNS, json=["routing_flags"])
# inline(): no implicit "RETURNING id" (nobody reads the generated ids of parties and events).
INSERT_PARTIES = Prepared(insert(PARTIES).inline(), keys=PARTY_COLUMNS)
INSERT_ASSIGNMENT = Prepared(insert(ASSIGNMENTS).returning(ASSIGNMENTS.c.id), keys=ASSIGNMENT_COLUMNS)
INSERT_EVENTS = Prepared(insert(CASE_EVENTS).inline(), keys=EVENT_COLUMNS, json=["data"])


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
