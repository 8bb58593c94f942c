"""Court feed: the outbox (with the writing transaction's id on PostgreSQL), consumers' acknowledgements, and
the judicial-confirmation window on cases.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feed_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("txid", sa.BigInteger(), nullable=True),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("case_version", sa.Integer(), nullable=False),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_feed_events_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_feed_events_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_events")),
    )
    op.create_index(
        op.f("ix_feed_events_organization_id_txid_id"), "feed_events", ["organization_id", "txid", "id"]
    )
    if op.get_bind().dialect.name == "postgresql":
        # The writing transaction's id, filled by the database itself so no writer can forget it.
        op.execute(
            "ALTER TABLE feed_events ALTER COLUMN txid SET DEFAULT (pg_current_xact_id()::text::bigint)"
        )
    op.create_table(
        "feed_consumers",
        sa.Column("client_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("acked_txid", sa.BigInteger(), nullable=False),
        sa.Column("acked_id", sa.BigInteger(), nullable=False),
        sa.Column("acked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_pull_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"], ["api_clients.id"], name=op.f("fk_feed_consumers_client_id_api_clients")
        ),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_feed_consumers")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("judicial_confirmation_due_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("judicial_confirmation_due_on")
    op.drop_table("feed_consumers")
    op.drop_index(op.f("ix_feed_events_organization_id_txid_id"), table_name="feed_events")
    op.drop_table("feed_events")
