"""督办: a supervisor's recorded demand that the case's holder act, and the holder's answer (issue #14)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, BigIntPK
from app.models.case import Case


class UrgeStatus(StrEnum):
    OPEN = "open"  # 待答复
    ANSWERED = "answered"  # 已答复
    OVERDUE = "overdue"  # 逾期未答复: open past its report-back day (derived, never stored)


class Urge(Base):
    """One 督办. Open until the holding organization answers it; the answer closes it for good."""

    __tablename__ = "urges"
    __table_args__ = (
        # The holder's inbox badge and its open 督办; the supervisors' list, newest first, per town.
        Index(None, "holder_org_id", "answered_at"),
        Index(None, "town_org_id", "created_at"),
        Index(None, "created_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    # Which clock was at risk or breached when it was recorded: dispatch | acceptance | mediation.
    clock: Mapped[str] = mapped_column(String(20))
    # Who must answer: the organization holding the case then (the town's justice office while it waits
    # for dispatch). Copied with the case's town so that both lists read this table alone.
    holder_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    town_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    note: Mapped[str] = mapped_column(Text)
    report_back_by: Mapped[date | None]
    created_at: Mapped[datetime]
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    answered_at: Mapped[datetime | None]
    answer_note: Mapped[str | None] = mapped_column(Text)
    answered_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


# The workspace's reads of cases (app/workspace/queries.py). The city-wide series (registrations and
# categories of the last 90 days) read cases by the day they were received, whatever their town; the open
# cases per town (or per holder within a town) read only the open states' entries, index-only.
Index("ix_cases_received_at", Case.received_at, postgresql_include=["category", "town_org_id"])
Index("ix_cases_status_town_org_id_current_org_id", Case.status, Case.town_org_id, Case.current_org_id)
