"""Users: password_change_required, set for every account whose password someone else chose.

Users that exist already keep working as they do (false); new users get true from the application
(``create_user``). The server default stays false, so a row written by hand is not locked out by surprise.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # ADD COLUMN with a constant default: no table rebuild on SQLite, no rewrite on PostgreSQL 11+.
    op.add_column(
        "users",
        sa.Column("password_change_required", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    # Native DROP COLUMN (SQLite 3.35+), not batch mode: a batch rebuild drops and recreates "users", which
    # foreign_keys=ON refuses while auth_tokens rows point at it.
    op.drop_column("users", "password_change_required")
