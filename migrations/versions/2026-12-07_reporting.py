"""Two-level dispute categories, the source of a case, and the external number of imported cases (issue #15).

Also an index on assignments.ended_at: the statistics read the attempts that ended in a period.

Categories: the codes kept their meaning except one. ``debt`` is now 民间借贷 under 合同 and
``enterprise`` is 生产经营 (labels only, in app/routing/categories.py). ``administrative`` (行政争议)
is retired: such a case is a dispute with a government body, which the administrative-review
channel takes by the rule on
``respondent_is_government``. So its rows become ``other`` with ``respondent_is_government`` true (their
stored routing decision and assignments are history and stay), and in every stored routing rule set:
``administrative`` leaves ``category_in`` (a rule that named only it now says ``respondent_is_government:
true``) and ``category_not_in`` (dropped when empty). Every stored version is rewritten, since an older
version is parsed again to explain the cases it routed; each note says so.

The downgrade drops the new columns and maps the new codes back to the nearest old ones (sub-categories to
their parent, 征地拆迁 and 环境污染 to ``other``); it cannot tell which ``other`` rows were
``administrative``.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 00:00:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RETIRED = "administrative"
NOTE = "（0009：行政争议类别并入“被申请人为政府机关”）"
# New codes → the nearest code before 0009, for the downgrade.
BACK = {
    "migrant_wages": "labour",
    "other_labour": "labour",
    "tourism": "consumer",
    "ecommerce": "consumer",
    "other_consumer": "consumer",
    "land_acquisition": "other",
    "environment": "other",
}

rule_sets = sa.table(
    "routing_rule_sets", sa.column("id", sa.Integer), sa.column("rules", sa.JSON), sa.column("note", sa.Text)
)


def map_rules_up(document: dict[str, Any]) -> dict[str, Any]:
    """The rule set without the retired category (tested in tests/db/test_reporting_migration.py)."""
    rules = []
    for rule in document.get("rules", []):
        when = dict(rule.get("when") or {})
        if RETIRED in (when.get("category_in") or []):
            kept = [c for c in when["category_in"] if c != RETIRED]
            if kept:
                when["category_in"] = kept
            else:
                del when["category_in"]
                when["respondent_is_government"] = True
        if RETIRED in (when.get("category_not_in") or []):
            kept = [c for c in when["category_not_in"] if c != RETIRED]
            if kept:
                when["category_not_in"] = kept
            else:
                del when["category_not_in"]
        rules.append({**rule, "when": when} if "when" in rule or when else rule)
    return {**document, "rules": rules}


def map_rules_down(document: dict[str, Any]) -> dict[str, Any]:
    rules = []
    for rule in document.get("rules", []):
        when = dict(rule.get("when") or {})
        for key in ("category_in", "category_not_in"):
            if when.get(key):
                when[key] = list(dict.fromkeys(BACK.get(c, c) for c in when[key]))
        rules.append({**rule, "when": when} if "when" in rule else rule)
    return {**document, "rules": rules}


def _rewrite_rule_sets(mapping: Any, note: str | None) -> None:
    bind = op.get_bind()
    for row in bind.execute(sa.select(rule_sets.c.id, rule_sets.c.rules, rule_sets.c.note)).all():
        mapped = mapping(row.rules)
        if mapped != row.rules:
            values: dict[str, Any] = {"rules": mapped}
            if note:
                values["note"] = (row.note or "") + note
            bind.execute(sa.update(rule_sets).where(rule_sets.c.id == row.id).values(**values))


def upgrade() -> None:
    op.add_column(
        "cases", sa.Column("source", sa.String(length=20), server_default="applied", nullable=False)
    )
    op.add_column("cases", sa.Column("referred_by", sa.String(length=20), nullable=True))
    op.add_column("cases", sa.Column("external_ref", sa.String(length=64), nullable=True))
    op.create_index(op.f("uq_cases_external_ref"), "cases", ["external_ref"], unique=True)
    op.create_index(op.f("ix_assignments_ended_at"), "assignments", ["ended_at"])
    op.execute(
        sa.text(
            "UPDATE cases SET category = 'other', respondent_is_government = :yes "
            "WHERE category = 'administrative'"
        ).bindparams(yes=True)
    )
    _rewrite_rule_sets(map_rules_up, NOTE)


def downgrade() -> None:
    for new, old in BACK.items():
        op.execute(
            sa.text("UPDATE cases SET category = :old WHERE category = :new").bindparams(old=old, new=new)
        )
    _rewrite_rule_sets(map_rules_down, None)
    op.drop_index(op.f("ix_assignments_ended_at"), table_name="assignments")
    op.drop_index(op.f("uq_cases_external_ref"), table_name="cases")
    # Native DROP COLUMN (SQLite 3.35+), as in 0005: a batch rebuild of "cases" would fight its foreign keys.
    op.drop_column("cases", "external_ref")
    op.drop_column("cases", "referred_by")
    op.drop_column("cases", "source")
