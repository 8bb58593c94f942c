"""Routing rule sets, versioned; version 1 is the bundled default (app/routing/default_rules.yaml).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 21:10:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def default_rule_set_row() -> dict:
    """The first version: the bundled YAML, validated by the engine, as stored JSON."""
    from app.routing.engine import load_default_rule_set

    document = load_default_rule_set().model_copy(update={"version": 1}).model_dump(mode="json")
    return {
        "version": 1,
        "rules": document,
        "note": "default rule set (app/routing/default_rules.yaml)",
        "created_at": datetime.now(UTC),
    }


def upgrade() -> None:
    table = op.create_table(
        "routing_rule_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "rules", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["users.id"], name=op.f("fk_routing_rule_sets_created_by_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_rule_sets")),
        sa.UniqueConstraint("version", name=op.f("uq_routing_rule_sets_version")),
    )
    op.bulk_insert(table, [default_rule_set_row()])


def downgrade() -> None:
    op.drop_table("routing_rule_sets")
