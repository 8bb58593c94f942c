"""The court feed: an outbox written in the same transaction as each change, and each client's progress."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, BigIntPK, JSONType


class FeedEvent(Base):
    """One event for one receiving organization.

    ``txid`` is the writing transaction's id on PostgreSQL (``pg_current_xact_id()``, a column default set by
    the migration). Readers deliver in (txid, id) order and only below the oldest transaction still running,
    so a row whose transaction commits late can never fall behind a cursor. SQLite has one writer: id order.
    """

    __tablename__ = "feed_events"
    __table_args__ = (Index(None, "organization_id", "txid", "id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    txid: Mapped[int | None] = mapped_column(BigInteger)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(40))
    case_version: Mapped[int]
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    occurred_at: Mapped[datetime]


class FeedConsumer(Base):
    """How far a machine client has durably processed its feed (its acknowledged cursor)."""

    __tablename__ = "feed_consumers"

    client_id: Mapped[int] = mapped_column(
        ForeignKey("api_clients.id"), primary_key=True, autoincrement=False
    )
    acked_txid: Mapped[int] = mapped_column(BigInteger, default=0)
    acked_id: Mapped[int] = mapped_column(BigInteger, default=0)
    acked_at: Mapped[datetime | None]
    last_pull_at: Mapped[datetime | None]
