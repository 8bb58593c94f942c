"""Working a case (issue #12): the log of contact reveals, and judicial-confirmation requests with the
court's answers."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, BigIntPK, JSONType, Timestamped


class ContactReveal(Base):
    """One reveal of the parties' full phones and addresses (PIPL 最小必要: who, when, which case, which
    fields of which parties). Also what the per-user rate limit counts, so it holds across replicas."""

    __tablename__ = "contact_reveals"
    __table_args__ = (Index(None, "user_id", "revealed_at"), Index(None, "case_id", "id"))

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    revealed_at: Mapped[datetime]
    fields: Mapped[list[str]] = mapped_column(JSONType, default=list)  # phone, address
    parties: Mapped[list[int]] = mapped_column(JSONType, default=list)  # the parties' positions


class ConfirmationStatus(StrEnum):
    REQUESTED = "requested"  # 已申请, awaiting the court
    CONFIRMED = "confirmed"  # 确认有效
    REFUSED = "refused"  # 不予确认


class ConfirmationRequest(Timestamped, Base):
    """A request for judicial confirmation (司法确认) of a settled written agreement, and the court's answer.
    At most one awaits an answer per case."""

    __tablename__ = "confirmation_requests"
    __table_args__ = (
        Index(
            "uq_confirmation_requests_open_case",
            "case_id",
            unique=True,
            postgresql_where=text("status = 'requested'"),
            sqlite_where=text("status = 'requested'"),
        ),
        Index(None, "case_id", "id"),
        Index(None, "court_org_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(12), default=ConfirmationStatus.REQUESTED)
    court_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    requested_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_by_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    requested_at: Mapped[datetime]
    # The agreement as it stood when the request was made (type, amount, performed, effective date).
    agreement: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    note: Mapped[str | None] = mapped_column(Text)
    court_case_number: Mapped[str | None] = mapped_column(String(64))  # 案号, when confirmed
    decided_on: Mapped[date | None]
    reason: Mapped[str | None] = mapped_column(Text)  # when refused
    answered_at: Mapped[datetime | None]
    answered_by_client_id: Mapped[int | None] = mapped_column(ForeignKey("api_clients.id"))
