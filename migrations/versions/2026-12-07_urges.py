"""督办: a supervisor's recorded demand on a case's holder, and its answer (issue #14).

Reserved in the chain so that the work on each issue has its own migration; filled in by that work.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "urges",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("clock", sa.String(length=20), nullable=False),
        sa.Column("holder_org_id", sa.Integer(), nullable=False),
        sa.Column("town_org_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("report_back_by", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_by_org_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer_note", sa.Text(), nullable=True),
        sa.Column("answered_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_urges_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["holder_org_id"], ["organizations.id"], name=op.f("fk_urges_holder_org_id_organizations")
        ),
        sa.ForeignKeyConstraint(
            ["town_org_id"], ["organizations.id"], name=op.f("fk_urges_town_org_id_organizations")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["users.id"], name=op.f("fk_urges_created_by_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_org_id"],
            ["organizations.id"],
            name=op.f("fk_urges_created_by_org_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["answered_by_user_id"], ["users.id"], name=op.f("fk_urges_answered_by_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_urges")),
    )
    with op.batch_alter_table("urges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_urges_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_urges_holder_org_id_answered_at"), ["holder_org_id", "answered_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_urges_town_org_id_created_at"), ["town_org_id", "created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_urges_created_at"), ["created_at"], unique=False)
    # The workspace's city-wide 90-day series read cases by received_at alone.
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cases_received_at",
            ["received_at"],
            unique=False,
            postgresql_include=["category", "town_org_id"],
        )
        # Open cases per town, or per holder within a town: the open states' entries alone, index-only.
        batch_op.create_index(
            "ix_cases_status_town_org_id_current_org_id",
            ["status", "town_org_id", "current_org_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_status_town_org_id_current_org_id")
        batch_op.drop_index("ix_cases_received_at")
    with op.batch_alter_table("urges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_urges_created_at"))
        batch_op.drop_index(batch_op.f("ix_urges_town_org_id_created_at"))
        batch_op.drop_index(batch_op.f("ix_urges_holder_org_id_answered_at"))
        batch_op.drop_index(batch_op.f("ix_urges_case_id"))
    op.drop_table("urges")
