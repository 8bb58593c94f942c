"""Two-level dispute categories, case source, history import (issue #15).

Reserved in the chain so that the work on each issue has its own migration; filled in by that work.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 00:00:00
"""

from collections.abc import Sequence

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
