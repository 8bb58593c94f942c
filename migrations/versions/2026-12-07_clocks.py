"""Three clocks per assignment (dispatch, acceptance, mediation), clock rules as data (issue #13).

``sla_clocks`` replaces ``sla_breaches``: one row per clock of any kind, breached or not. Moved with nothing
lost: every assignment's dispatch clock (stopped by its dispatch) with the breach recorded for it, every
case's running dispatch clock, the dispatch clocks stopped by a withdrawal, and any breach left over. Open
assignments get the clock that runs for them now (acceptance from the dispatch, mediation from the accept),
due per the default rules; closed assignments had no acceptance or mediation clock and get none. The
default rules are stored as version 1.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 00:00:00
"""

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)

# The defaults as they were when this migration was written (app.sla.rules.DEFAULT_RULES may change later).
DEFAULT_RULES = [
    {
        "kind": "dispatch",
        "length": 3,
        "unit": "working_days",
        "extension_allowed": False,
        "extension_max_days": 0,
    },
    {
        "kind": "acceptance",
        "length": 1,
        "unit": "working_days",
        "extension_allowed": False,
        "extension_max_days": 0,
    },
    {
        "kind": "mediation",
        "length": 30,
        "unit": "calendar_days",
        "extension_allowed": True,
        "extension_max_days": 30,
    },
    {
        "kind": "mediation",
        "length": 60,
        "unit": "calendar_days",
        "channel": "administrative_review",
        "extension_allowed": True,
        "extension_max_days": 30,
    },
    {
        "kind": "mediation",
        "length": 30,
        "unit": "calendar_days",
        "tier": "court",
        "extension_allowed": True,
        "extension_max_days": 30,
    },
]

# Every column of a clock but the id, in the order the INSERT … SELECTs below produce them.
CLOCK_COLUMNS = (
    "case_id, kind, started_at, due_at, due_provisional, rule_version, unit, length_days, extension_max_days, "
    "extended_days, calendar_version, town_org_id, organization_id, tier, channel, category, stopped_at, "
    "stopped_by, breached_at, lateness_seconds, lateness_working_days"
)
WATCH = "stopped_at IS NULL AND breached_at IS NULL"


def _create_tables() -> None:
    op.create_table(
        "sla_clock_rule_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("rules", JSON, nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["users.id"], name=op.f("fk_sla_clock_rule_sets_created_by_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_clock_rule_sets")),
        sa.UniqueConstraint("version", name=op.f("uq_sla_clock_rule_sets_version")),
    )
    op.create_table(
        "sla_clocks",
        sa.Column("id", ID, nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("due_provisional", sa.Boolean(), nullable=False),
        sa.Column("rule_version", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=14), nullable=False),
        sa.Column("length_days", sa.Integer(), nullable=False),
        sa.Column("extension_max_days", sa.Integer(), nullable=False),
        sa.Column("extended_days", sa.Integer(), nullable=False),
        sa.Column("calendar_version", sa.String(length=200), nullable=True),
        sa.Column("town_org_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=True),
        sa.Column("tier", sa.String(length=20), nullable=True),
        sa.Column("channel", sa.String(length=40), nullable=True),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("stopped_at", TS, nullable=True),
        sa.Column("stopped_by", sa.String(length=20), nullable=True),
        sa.Column("breached_at", TS, nullable=True),
        sa.Column("lateness_seconds", sa.BigInteger(), nullable=True),
        sa.Column("lateness_working_days", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_sla_clocks_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_sla_clocks_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["town_org_id"], ["organizations.id"], name=op.f("fk_sla_clocks_town_org_id_organizations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_clocks")),
        sa.UniqueConstraint(
            "case_id", "kind", "started_at", name=op.f("uq_sla_clocks_case_id_kind_started_at")
        ),
    )


def _create_indexes() -> None:
    def partial(name: str, columns: list[str], where: str, unique: bool = False) -> None:
        op.create_index(
            name,
            "sla_clocks",
            columns,
            unique=unique,
            postgresql_where=sa.text(where),
            sqlite_where=sa.text(where),
        )

    partial("uq_sla_clocks_running_case", ["case_id"], "stopped_at IS NULL", unique=True)
    partial("ix_sla_clocks_watch", ["due_at", "id"], WATCH)
    partial(
        "ix_sla_clocks_running_calendar", ["calendar_version"], "stopped_at IS NULL AND unit = 'working_days'"
    )
    op.create_index(
        "ix_sla_clocks_due_cover",
        "sla_clocks",
        ["kind", "due_at", "id"],
        postgresql_include=[
            "town_org_id",
            "organization_id",
            "tier",
            "stopped_at",
            "stopped_by",
            "breached_at",
        ],
    )
    op.create_index(
        "ix_sla_clocks_town_due_cover",
        "sla_clocks",
        ["kind", "town_org_id", "due_at", "id"],
        postgresql_include=["organization_id", "tier", "stopped_at", "stopped_by", "breached_at"],
    )


def _move_dispatch_clocks() -> None:
    # The legacy dispatch clocks were 3 working days under rule version 1's terms.
    legacy = "1, 'working_days', 3, 0, 0"
    # 1. Each assignment's dispatch clock, stopped by its dispatch, with its breach if one was recorded.
    op.execute(
        f"INSERT INTO sla_clocks ({CLOCK_COLUMNS}) "  # noqa: S608 (constants)
        f"SELECT a.case_id, 'dispatch', a.clock_started_at, COALESCE(a.dispatch_due_at, b.due_at), "
        f"COALESCE(b.due_provisional, false), {legacy}, NULL, COALESCE(a.town_org_id, c.town_org_id), "
        "COALESCE(b.organization_id, a.organization_id), COALESCE(b.tier, a.tier), o.channel, c.category, "
        "a.dispatched_at, 'dispatched', b.recorded_at, b.lateness_seconds, b.lateness_working_days "
        "FROM assignments a JOIN cases c ON c.id = a.case_id "
        "JOIN organizations o ON o.id = a.organization_id "
        "LEFT JOIN sla_breaches b ON b.case_id = a.case_id AND b.clock_started_at = a.clock_started_at "
        "WHERE COALESCE(a.dispatch_due_at, b.due_at) IS NOT NULL "
        "ON CONFLICT DO NOTHING"
    )
    # 2. Each case's last dispatch clock that no assignment carries: still running, or stopped by a
    #    withdrawal before any dispatch.
    op.execute(
        f"INSERT INTO sla_clocks ({CLOCK_COLUMNS}) "  # noqa: S608 (constants)
        f"SELECT c.id, 'dispatch', c.dispatch_clock_started_at, c.dispatch_due_at, c.dispatch_due_provisional, "
        f"{legacy}, c.dispatch_calendar_version, c.town_org_id, c.routing_org_id, c.routing_tier, "
        "c.routing_channel, c.category, "
        "CASE WHEN c.status = 'pending_dispatch' THEN NULL "
        "ELSE COALESCE(b.closed_at, c.resolved_at, c.updated_at) END, "
        "CASE WHEN c.status = 'pending_dispatch' THEN NULL ELSE 'withdrawn' END, "
        "b.recorded_at, b.lateness_seconds, b.lateness_working_days "
        "FROM cases c LEFT JOIN sla_breaches b "
        "ON b.case_id = c.id AND b.clock_started_at = c.dispatch_clock_started_at "
        "WHERE c.dispatch_clock_started_at IS NOT NULL AND c.dispatch_due_at IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM sla_clocks k WHERE k.case_id = c.id AND k.kind = 'dispatch' "
        "AND k.started_at = c.dispatch_clock_started_at) "
        "ON CONFLICT DO NOTHING"
    )
    # 3. Any breach still without its clock (defensive: nothing recorded is dropped).
    op.execute(
        f"INSERT INTO sla_clocks ({CLOCK_COLUMNS}) "  # noqa: S608 (constants)
        f"SELECT b.case_id, 'dispatch', b.clock_started_at, b.due_at, b.due_provisional, {legacy}, NULL, "
        "b.town_org_id, b.organization_id, b.tier, NULL, b.category, b.closed_at, b.closed_by, b.recorded_at, "
        "b.lateness_seconds, b.lateness_working_days FROM sla_breaches b "
        "WHERE NOT EXISTS (SELECT 1 FROM sla_clocks k WHERE k.case_id = b.case_id AND k.kind = 'dispatch' "
        "AND k.started_at = b.clock_started_at) "
        "ON CONFLICT DO NOTHING"
    )


def _calendar(conn: Any) -> Any:
    """The working-day calendar as the service builds it: the built-in data and the loaded years."""
    from app.calendar.workdays import WorkCalendar, YearSchedule

    years = {}
    rows = conn.execute(sa.text("SELECT year, notice, holidays, makeup_workdays FROM calendar_years"))
    for year, notice, holidays, makeup in rows:
        if isinstance(holidays, str):  # SQLite's JSON comes back as text through a raw statement
            import json

            holidays, makeup = json.loads(holidays), json.loads(makeup)
        years[year] = YearSchedule(
            year=year,
            holidays={date.fromisoformat(d): n for d, n in holidays.items()},
            makeup_workdays={date.fromisoformat(d): n for d, n in makeup.items()},
            notice=notice,
        )
    return WorkCalendar(years)


def _aware(value: Any) -> datetime:
    from datetime import UTC

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _start_open_assignment_clocks() -> None:
    """The clock that runs now for each open assignment, from when it really started."""
    from app.calendar.workdays import SHANGHAI

    conn = op.get_bind()
    calendar = _calendar(conn)
    rows = conn.execute(
        sa.text(
            "SELECT a.case_id, a.dispatched_at, a.accepted_at, a.organization_id, o.tier, o.channel, "
            "COALESCE(a.town_org_id, c.town_org_id), c.category FROM assignments a "
            "JOIN cases c ON c.id = a.case_id JOIN organizations o ON o.id = a.organization_id "
            "WHERE a.ended_at IS NULL AND c.status IN ('dispatched', 'in_mediation')"
        )
    ).all()
    times = {"started_at", "due_at"}
    table = sa.table(
        "sla_clocks",
        *(
            sa.column(name, TS if name in times else None)
            for name in (n.strip() for n in CLOCK_COLUMNS.split(","))
        ),
    )
    batch: list[dict[str, Any]] = []
    for case_id, dispatched_at, accepted_at, org_id, tier, channel, town_id, category in rows:
        if accepted_at is None:
            kind, start, days, unit, extension = "acceptance", _aware(dispatched_at), 1, "working_days", 0
        else:
            kind, start, unit, extension = "mediation", _aware(accepted_at), "calendar_days", 30
            days = 60 if channel == "administrative_review" else 30
        if unit == "working_days":
            due = calendar.due(start, days)
            due_at, provisional, version = due.due_at, due.provisional, calendar.version
        else:
            due_date = start.astimezone(SHANGHAI).date() + timedelta(days=days)
            due_at, provisional, version = (
                datetime.combine(due_date + timedelta(days=1), time(0), SHANGHAI),
                False,
                None,
            )
        batch.append(
            {
                "case_id": case_id,
                "kind": kind,
                "started_at": start,
                "due_at": due_at,
                "due_provisional": provisional,
                "rule_version": 1,
                "unit": unit,
                "length_days": days,
                "extension_max_days": extension,
                "extended_days": 0,
                "calendar_version": version,
                "town_org_id": town_id,
                "organization_id": org_id,
                "tier": tier,
                "channel": channel,
                "category": category,
                "stopped_at": None,
                "stopped_by": None,
                "breached_at": None,
                "lateness_seconds": None,
                "lateness_working_days": None,
            }
        )
    if batch:
        if conn.dialect.name == "sqlite":  # naive UTC text, as app.db.UTCDateTime stores it
            from datetime import UTC

            for row in batch:
                for key in ("started_at", "due_at"):
                    row[key] = row[key].astimezone(UTC).replace(tzinfo=None)
        op.bulk_insert(table, batch)


def default_rule_set_row() -> dict[str, Any]:
    """The first clock rule set (also restored by the tests after they truncate the tables)."""
    from datetime import UTC

    now = datetime.now(UTC)
    return {
        "version": 1,
        "rules": {"rules": DEFAULT_RULES},
        "note": "默认规则 (issue #13)",
        "created_at": now,
    }


def upgrade() -> None:
    _create_tables()
    row = default_rule_set_row()
    if op.get_bind().dialect.name == "sqlite":  # naive UTC text, as app.db.UTCDateTime stores it
        row["created_at"] = row["created_at"].replace(tzinfo=None)
    rule_sets = sa.table(
        "sla_clock_rule_sets",
        sa.column("version"),
        sa.column("rules", JSON),
        sa.column("note"),
        sa.column("created_at", TS),
    )
    op.bulk_insert(
        rule_sets,
        [row],
    )
    _create_indexes()
    _move_dispatch_clocks()
    _start_open_assignment_clocks()
    with op.batch_alter_table("sla_breaches", schema=None) as batch_op:
        batch_op.drop_index("ix_sla_breaches_town_org_id_due_at_id")
        batch_op.drop_index(
            "ix_sla_breaches_open",
            postgresql_where=sa.text("closed_at IS NULL"),
            sqlite_where=sa.text("closed_at IS NULL"),
        )
        batch_op.drop_index("ix_sla_breaches_due_at_id")
    op.drop_table("sla_breaches")


def downgrade() -> None:
    op.create_table(
        "sla_breaches",
        sa.Column("id", ID, nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("clock_started_at", TS, nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("due_provisional", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("town_org_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=True),
        sa.Column("tier", sa.String(length=20), nullable=True),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("closed_at", TS, nullable=True),
        sa.Column("closed_by", sa.String(length=20), nullable=True),
        sa.Column("lateness_seconds", sa.BigInteger(), nullable=True),
        sa.Column("lateness_working_days", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_sla_breaches_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_sla_breaches_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["town_org_id"], ["organizations.id"], name=op.f("fk_sla_breaches_town_org_id_organizations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_breaches")),
        sa.UniqueConstraint(
            "case_id", "clock_started_at", name=op.f("uq_sla_breaches_case_id_clock_started_at")
        ),
    )
    op.create_index("ix_sla_breaches_due_at_id", "sla_breaches", ["due_at", "id"])
    op.create_index(
        "ix_sla_breaches_open",
        "sla_breaches",
        ["case_id", "clock_started_at"],
        postgresql_where=sa.text("closed_at IS NULL"),
        sqlite_where=sa.text("closed_at IS NULL"),
    )
    op.create_index("ix_sla_breaches_town_org_id_due_at_id", "sla_breaches", ["town_org_id", "due_at", "id"])
    # The dispatch clocks' breaches go back; acceptance and mediation clocks had no place before.
    op.execute(
        "INSERT INTO sla_breaches (case_id, clock_started_at, due_at, due_provisional, recorded_at, town_org_id, "
        "organization_id, tier, category, closed_at, closed_by, lateness_seconds, lateness_working_days) "
        "SELECT case_id, started_at, due_at, due_provisional, breached_at, town_org_id, organization_id, tier, "
        "category, stopped_at, CASE WHEN stopped_by = 'withdrawn' THEN 'withdrawn' "
        "WHEN stopped_at IS NULL THEN NULL ELSE 'dispatched' END, lateness_seconds, lateness_working_days "
        "FROM sla_clocks WHERE kind = 'dispatch' AND breached_at IS NOT NULL"
    )
    op.drop_table("sla_clocks")  # its indexes go with it
    op.drop_table("sla_clock_rule_sets")
