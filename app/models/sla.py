"""The official calendar's loaded schedules, the cases' deadline clocks and the clock rules."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, BigIntPK, JSONType


class CalendarYear(Base):
    """A year's State Council schedule as an administrator loaded it; overrides the built-in data."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    notice: Mapped[str] = mapped_column(Text)  # the notice it came from (国办发明电〔…〕…号)
    holidays: Mapped[dict[str, str]] = mapped_column(JSONType)  # ISO date → name
    makeup_workdays: Mapped[dict[str, str]] = mapped_column(JSONType)
    digest: Mapped[str] = mapped_column(String(16))
    loaded_at: Mapped[datetime]
    loaded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ClockKind(StrEnum):
    DISPATCH = "dispatch"  # 分派: from entering pending_dispatch to the dispatch
    ACCEPTANCE = "acceptance"  # 受理: from the dispatch to the accept or decline
    MEDIATION = "mediation"  # 调解期限: from the accept to an outcome, escalation or withdrawal


class ClockUnit(StrEnum):
    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"


class SlaClock(Base):
    """One clock of one case: dispatch, acceptance or mediation. Breached once, recorded with its lateness.

    A case has at most one running clock (they follow each other: dispatch → acceptance → mediation). The
    partial index ``ix_sla_clocks_watch`` holds only the running clocks not yet breached, ordered by due
    time: the sweep reads it from its start up to ``now``, so its cost follows the clocks coming due, never
    the breached backlog."""

    __tablename__ = "sla_clocks"
    __table_args__ = (
        UniqueConstraint("case_id", "kind", "started_at"),  # once per clock, whoever records it
        Index(
            "uq_sla_clocks_running_case",
            "case_id",
            unique=True,
            postgresql_where=text("stopped_at IS NULL"),
            sqlite_where=text("stopped_at IS NULL"),
        ),
        Index(
            "ix_sla_clocks_watch",
            "due_at",
            "id",  # the keyset's tie-break: many clocks fall due at the same 24:00
            postgresql_where=text("stopped_at IS NULL AND breached_at IS NULL"),
            sqlite_where=text("stopped_at IS NULL AND breached_at IS NULL"),
        ),
        # The on-time summary (index-only on PostgreSQL) and the breach pages (newest due first, the breached
        # ones filtered in the index), city-wide and per town. Few indexes on purpose: recording a breach
        # updates the row, and such an update writes an entry into every index whose columns it touches.
        Index(
            "ix_sla_clocks_due_cover",
            "kind",
            "due_at",
            "id",
            postgresql_include=[
                "town_org_id",
                "organization_id",
                "tier",
                "stopped_at",
                "stopped_by",
                "breached_at",
            ],
        ),
        Index(
            "ix_sla_clocks_town_due_cover",
            "kind",
            "town_org_id",
            "due_at",
            "id",
            postgresql_include=["organization_id", "tier", "stopped_at", "stopped_by", "breached_at"],
        ),
        # Loading a calendar year recomputes the running working-day clocks computed with another version.
        Index(
            "ix_sla_clocks_running_calendar",
            "calendar_version",
            postgresql_where=text("stopped_at IS NULL AND unit = 'working_days'"),
            sqlite_where=text("stopped_at IS NULL AND unit = 'working_days'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))
    started_at: Mapped[datetime]
    due_at: Mapped[datetime]
    due_provisional: Mapped[bool] = mapped_column(default=False)
    # The rule that set the due time: its version, length and unit (kept so a recomputation or an extension
    # uses the rule the clock started under, not a later one).
    rule_version: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(14))
    length_days: Mapped[int] = mapped_column(Integer)
    extension_max_days: Mapped[int] = mapped_column(Integer, default=0)  # 0: no extension allowed
    extended_days: Mapped[int] = mapped_column(Integer, default=0)  # granted (one extension at most)
    calendar_version: Mapped[str | None] = mapped_column(String(200))  # working-day clocks only
    # Denormalized from the case and the holder so that supervisors' filters need no join.
    town_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))  # holder / routed to
    tier: Mapped[str | None] = mapped_column(String(20))
    channel: Mapped[str | None] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(30))
    stopped_at: Mapped[datetime | None]
    # dispatched | accepted | declined | escalated | resolved | withdrawn
    stopped_by: Mapped[str | None] = mapped_column(String(20))
    breached_at: Mapped[datetime | None]  # when the breach was recorded (sweep, or the late stop)
    lateness_seconds: Mapped[int | None] = mapped_column(BigInteger)  # set when a breached clock stops
    lateness_working_days: Mapped[int | None] = mapped_column(Integer)


class SlaClockRuleSet(Base):
    """Clock rules (length, unit, extension per kind, tier and channel): versioned, never edited in place."""

    __tablename__ = "sla_clock_rule_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)  # the highest version is in force
    rules: Mapped[dict[str, Any]] = mapped_column(JSONType)
    note: Mapped[str | None] = mapped_column(Text)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
