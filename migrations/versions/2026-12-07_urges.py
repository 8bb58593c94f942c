"""督办: a supervisor's recorded demand on a case's holder, and its answer (issue #14).

Reserved in the chain so that the work on each issue has its own migration; filled in by that work.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 00:00:00
"""

from collections.abc import Sequence

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
