"""The official calendar's loaded schedules and the dispatch-deadline breaches."""

from __future__ import annotations

import uuid
from datetime import datetime

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


class SlaBreach(Base):
    """A dispatch clock that ran past its due time: recorded once per clock, closed by the late dispatch."""

    __tablename__ = "sla_breaches"
    __table_args__ = (
        UniqueConstraint("case_id", "clock_started_at"),  # once per clock, whoever records it
        # Newest-due-first pages, keyset on (due_at, id), city-wide and per town.
        Index(None, "town_org_id", "due_at", "id"),
        Index(None, "due_at", "id"),
        # Open breaches by clock: the sweep's anti-join reads only these.
        Index(
            "ix_sla_breaches_open",
            "case_id",
            "clock_started_at",
            postgresql_where=text("closed_at IS NULL"),
            sqlite_where=text("closed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    clock_started_at: Mapped[datetime]
    due_at: Mapped[datetime]
    due_provisional: Mapped[bool] = mapped_column(default=False)
    recorded_at: Mapped[datetime]
    # Denormalized from the case so that supervisors' filters need no join.
    town_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))  # routed to
    tier: Mapped[str | None] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(30))
    closed_at: Mapped[datetime | None]  # the late dispatch (or withdrawal) that stopped the clock
    closed_by: Mapped[str | None] = mapped_column(String(20))  # dispatched | withdrawn
    lateness_seconds: Mapped[int | None] = mapped_column(BigInteger)
    lateness_working_days: Mapped[int | None] = mapped_column(Integer)
