"""Case work: contact reveals and their log, judicial-confirmation requests and answers (issue #12); the
intake flag judicial_confirmation_requested becomes litigation_intended (当事人已起诉或拟起诉).

The flag keeps its values: a case sent to the court at intake was sent there for pre-litigation mediation,
which is what the new name says. Stored routing rule sets get the condition's new name, so that every
version still validates and re-evaluates the same.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 00:00:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD, NEW = "judicial_confirmation_requested", "litigation_intended"
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
BIGINT_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _rename_condition(document: dict[str, Any], old: str, new: str) -> bool:
    changed = False
    for rule in document.get("rules", []):
        when = rule.get("when") or {}
        if old in when:
            when[new] = when.pop(old)
            changed = True
    return changed


def _rewrite_rule_sets(old: str, new: str) -> None:
    bind = op.get_bind()
    table = sa.table("routing_rule_sets", sa.column("id", sa.Integer()), sa.column("rules", JSON))
    for row in bind.execute(sa.select(table.c.id, table.c.rules)).all():
        document = dict(row.rules)
        document["rules"] = [dict(r, when=dict(r.get("when") or {})) for r in document.get("rules", [])]
        if _rename_condition(document, old, new):
            bind.execute(table.update().where(table.c.id == row.id).values(rules=document))


def upgrade() -> None:
    # Native RENAME COLUMN on both (SQLite 3.25+): no table rebuild, which foreign_keys=ON would refuse.
    op.execute(f"ALTER TABLE cases RENAME COLUMN {OLD} TO {NEW}")
    _rewrite_rule_sets(OLD, NEW)

    op.create_table(
        "contact_reveals",
        sa.Column("id", BIGINT_PK, nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("revealed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fields", JSON, nullable=False),
        sa.Column("parties", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_contact_reveals_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_contact_reveals_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_contact_reveals_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_reveals")),
    )
    op.create_index(
        op.f("ix_contact_reveals_user_id_revealed_at"), "contact_reveals", ["user_id", "revealed_at"]
    )
    op.create_index(op.f("ix_contact_reveals_case_id_id"), "contact_reveals", ["case_id", "id"])

    op.create_table(
        "confirmation_requests",
        sa.Column("id", BIGINT_PK, nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("court_org_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_user_id", sa.Integer(), nullable=True),
        sa.Column("requested_by_org_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agreement", JSON, nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("court_case_number", sa.String(length=64), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by_client_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["answered_by_client_id"],
            ["api_clients.id"],
            name=op.f("fk_confirmation_requests_answered_by_client_id_api_clients"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_confirmation_requests_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["court_org_id"],
            ["organizations.id"],
            name=op.f("fk_confirmation_requests_court_org_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_org_id"],
            ["organizations.id"],
            name=op.f("fk_confirmation_requests_requested_by_org_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_user_id"],
            ["users.id"],
            name=op.f("fk_confirmation_requests_requested_by_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_confirmation_requests")),
    )
    op.create_index(op.f("ix_confirmation_requests_case_id_id"), "confirmation_requests", ["case_id", "id"])
    op.create_index(
        op.f("ix_confirmation_requests_court_org_id_status"),
        "confirmation_requests",
        ["court_org_id", "status"],
    )
    op.create_index(
        "uq_confirmation_requests_open_case",
        "confirmation_requests",
        ["case_id"],
        unique=True,
        postgresql_where=sa.text("status = 'requested'"),
        sqlite_where=sa.text("status = 'requested'"),
    )
    # The receiving organization's inbox: search by a party's exact name; the 待回访 and 已办结 tabs by the
    # organization that resolved the case.
    op.create_index(op.f("ix_parties_name"), "parties", ["name"])
    op.create_index(op.f("ix_cases_resolved_org_id_status"), "cases", ["resolved_org_id", "status"])


def downgrade() -> None:
    op.drop_index(op.f("ix_cases_resolved_org_id_status"), table_name="cases")
    op.drop_index(op.f("ix_parties_name"), table_name="parties")
    op.drop_index("uq_confirmation_requests_open_case", table_name="confirmation_requests")
    op.drop_table("confirmation_requests")
    op.drop_table("contact_reveals")
    _rewrite_rule_sets(NEW, OLD)
    op.execute(f"ALTER TABLE cases RENAME COLUMN {NEW} TO {OLD}")
