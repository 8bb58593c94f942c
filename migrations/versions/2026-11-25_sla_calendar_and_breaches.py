"""SLA: loaded calendar schedules, the clock columns on cases (with partial indexes) and breaches.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 21:16:20.271508
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql


revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "calendar_years",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("notice", sa.Text(), nullable=False),
        sa.Column(
            "holidays",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "makeup_workdays",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("digest", sa.String(length=16), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("loaded_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["loaded_by_user_id"], ["users.id"], name=op.f("fk_calendar_years_loaded_by_user_id_users")
        ),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_calendar_years")),
    )
    op.create_table(
        "sla_breaches",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("clock_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_provisional", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("town_org_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=True),
        sa.Column("tier", sa.String(length=20), nullable=True),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
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
    with op.batch_alter_table("sla_breaches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sla_breaches_due_at_id"), ["due_at", "id"], unique=False)
        batch_op.create_index(
            "ix_sla_breaches_open",
            ["case_id", "clock_started_at"],
            unique=False,
            postgresql_where=sa.text("closed_at IS NULL"),
            sqlite_where=sa.text("closed_at IS NULL"),
        )
        batch_op.create_index(
            batch_op.f("ix_sla_breaches_town_org_id_due_at_id"), ["town_org_id", "due_at", "id"], unique=False
        )

    # In place on both databases (batch mode would rebuild the table): SQLite takes the constraint inline.
    fk_name = "fk_assignments_town_org_id_organizations"
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE assignments ADD COLUMN town_org_id INTEGER CONSTRAINT {fk_name} REFERENCES organizations (id)"
        )
    else:
        op.add_column("assignments", sa.Column("town_org_id", sa.Integer(), nullable=True))
        op.create_foreign_key(fk_name, "assignments", "organizations", ["town_org_id"], ["id"])
    op.create_index(
        "ix_assignments_dispatched_at_cover",
        "assignments",
        ["dispatched_at"],
        postgresql_include=["town_org_id", "organization_id", "dispatch_due_at", "tier"],
    )
    op.execute(
        "UPDATE assignments SET town_org_id = (SELECT town_org_id FROM cases WHERE cases.id = assignments.case_id)"
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dispatch_calendar_version", sa.String(length=200), nullable=True))
        batch_op.create_index(
            "ix_cases_pending_due",
            ["dispatch_due_at"],
            unique=False,
            postgresql_include=["id", "dispatch_clock_started_at"],
            postgresql_where=sa.text("status = 'pending_dispatch'"),
            sqlite_where=sa.text("status = 'pending_dispatch'"),
        )
        batch_op.create_index(
            "ix_cases_pending_calendar",
            ["dispatch_calendar_version"],
            unique=False,
            postgresql_where=sa.text("status = 'pending_dispatch'"),
            sqlite_where=sa.text("status = 'pending_dispatch'"),
        )


def downgrade() -> None:
    op.drop_index("ix_assignments_dispatched_at_cover", table_name="assignments")
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_column("town_org_id")

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_cases_pending_calendar",
            postgresql_where=sa.text("status = 'pending_dispatch'"),
            sqlite_where=sa.text("status = 'pending_dispatch'"),
        )
        batch_op.drop_index(
            "ix_cases_pending_due",
            postgresql_where=sa.text("status = 'pending_dispatch'"),
            sqlite_where=sa.text("status = 'pending_dispatch'"),
        )
        batch_op.drop_column("dispatch_calendar_version")

    with op.batch_alter_table("sla_breaches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sla_breaches_town_org_id_due_at_id"))
        batch_op.drop_index(
            "ix_sla_breaches_open",
            postgresql_where=sa.text("closed_at IS NULL"),
            sqlite_where=sa.text("closed_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_sla_breaches_due_at_id"))

    op.drop_table("sla_breaches")
    op.drop_table("calendar_years")
